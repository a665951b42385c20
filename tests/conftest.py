"""Shared test fixtures: the seed page, and the dev set when ../shared is beside the checkout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "dev"


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    """Labels and texts of a ``LABEL<TAB>TEXT`` file (split on the first tab)."""
    labels, texts = [], []
    for row in path.read_text(encoding="utf-8").split("\n"):
        if not row:
            continue
        label, _, text = row.partition("\t")
        labels.append(label)
        texts.append(text)
    return labels, texts


@pytest.fixture(scope="session")
def seed_text() -> str:
    return (FIXTURES / "seed.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> tuple[list[str], list[str]]:
    return read_tsv(FIXTURES / "seed.tsv")


@pytest.fixture(scope="session")
def dev_dir() -> Path:
    if not (DEV / "gold").is_dir():
        pytest.skip(f"the dev set is not at {DEV} (../shared is absent in this clone)")
    return DEV


# --------------------------------------------------------------------------- time and processes

STEP = 1000.0
"""Seconds the test clock (:func:`fake_clock`) moves on at each :func:`tick`."""


def tick(steps: int = 1) -> None:
    """Move the test clock on by ``steps`` × :data:`STEP` (from any process of the test)."""
    marks = Path(os.environ["ZHENGWEN_TEST_CLOCK"])
    for _ in range(steps):
        fd, _ = tempfile.mkstemp(dir=marks)
        os.close(fd)


def hang() -> None:
    """Stand-in for a record that never finishes: it moves the test clock on and on,
    so it overruns any :data:`BUDGET`, until its process is killed."""
    while True:
        tick()
        time.sleep(0.01)


BUDGET = 2.5 * STEP
"""A per-record time limit for tests: :func:`hang` overruns it; a record that ticks
once stays under it, even if the parent (which restarts a worker's budget at each
result) reads that result after the next record's tick."""


@pytest.fixture
def fake_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``zhengwen.batch``'s time limits on a clock that moves only by :func:`tick`.

    The parent's clock is the real one plus :data:`STEP` per tick; a worker
    ticks (files in a folder that forked workers share), so whether a record
    overruns its budget depends on the test's ticks, never on how loaded the
    machine is. Timed waits are cut to 50 ms so that the parent sees a tick.
    """
    import multiprocessing.connection as connection

    from zhengwen import batch

    marks = tmp_path / "clock"
    marks.mkdir()
    monkeypatch.setenv("ZHENGWEN_TEST_CLOCK", str(marks))
    real_wait = connection.wait

    def monotonic() -> float:
        return time.monotonic() + STEP * len(os.listdir(marks))

    def short_wait(objects: Any, timeout: float | None = None) -> Any:
        # Only a wait with a deadline is cut short (``None``: nothing is timed,
        # and a forked worker's wait for its parent's end must stay a wait).
        return real_wait(objects, None if timeout is None else min(timeout, 0.05))

    monkeypatch.setattr(batch, "time", SimpleNamespace(monotonic=monotonic))
    monkeypatch.setattr(connection, "wait", short_wait)


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``subprocess.Popen`` in a session of its own, whose whole process group (workers
    included) is killed when the test ends, passed, failed or timed out."""
    started: list[subprocess.Popen[bytes]] = []

    def popen(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
        started.append(proc)
        return proc

    yield popen
    for proc in started:
        kill_group(proc)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc``'s process group (a session leader's), then reap ``proc``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def run_quietly(
    argv: list[str], stdin: bytes = b"", timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run(argv, input=stdin, capture_output=True)``, its process group
    killed however it ends (a timeout included)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    finally:
        kill_group(proc)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)
