"""The command line, through main(argv) and as a real subprocess.

These tests hold for any extractor: they compare the CLI with the library
(``zhengwen.extract``) and check shapes (one TSV row per input line, the JSON
keys), never particular labels.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import zhengwen
from conftest import BUDGET, hang, run_quietly
from zhengwen import batch as cli_batch
from zhengwen import cli
from zhengwen.cli import main
from zhengwen.options import Options

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_PATH = FIXTURES / "seed.txt"
SEED = SEED_PATH.read_text(encoding="utf-8")
SEED_LINES = SEED.rstrip("\n").split("\n")
SHARED = Path(__file__).resolve().parents[2] / "shared"
JSON_KEYS = {"file", "encoding", "encoding_reason", "replaced", "title", "date", "source"} | {
    "authors",
    "editors",
    "body",
    "lines",
}
Spawn = Callable[..., subprocess.Popen[bytes]]
BIG5_PAGE = (
    "首頁\n新聞\n颱風來襲 氣象局發布海上陸上警報\n2023-07-26 10:30 來源：中央社\n"
    "氣象局今天上午發布颱風海上陸上警報，提醒民眾注意強風豪雨，並做好防颱準備。"
    "各縣市政府已成立災害應變中心，隨時掌握最新情況。\n相關新聞\n版權所有 中央通訊社\n"
)


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _body(text: str) -> str:
    return zhengwen.extract(text).body


def _page(tmp_path: Path, name: str, text: str, codec: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(codec))
    return str(path)


def _jsonl(rows: list[Any]) -> bytes:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
    ).encode("utf-8")


# --------------------------------------------------------------------------- pages


def test_stdin_filter_prints_body(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, SEED.encode("utf-8"))
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out == _body(SEED) + "\n"
    assert out.strip()  # the seed has a body


def test_files_in_order_with_dash_for_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "\n".join(SEED_LINES[20:40]) + "\n"
    _stdin(monkeypatch, other.encode("utf-8"))
    assert main(["-f", "tsv", str(SEED_PATH), "-", str(SEED_PATH)]) == 0
    rows = capsys.readouterr().out.split("\n")[:-1]
    texts = [row.split("\t", 1)[1] for row in rows]
    assert texts == SEED_LINES + SEED_LINES[20:40] + SEED_LINES


def test_tsv_has_one_row_per_input_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "tsv", str(SEED_PATH)]) == 0
    rows = capsys.readouterr().out.split("\n")
    assert rows[-1] == ""
    labels = {label.value for label in zhengwen.Label}
    assert [r.split("\t", 1)[1] for r in rows[:-1]] == SEED_LINES
    assert {r.split("\t", 1)[0] for r in rows[:-1]} <= labels


def test_json_has_metadata_labels_and_encoding(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "json", str(SEED_PATH)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record) == JSON_KEYS
    assert record["encoding"] == "utf-8" and record["replaced"] == 0
    assert record["body"] == _body(SEED)
    assert [ln["text"] for ln in record["lines"]] == SEED_LINES
    assert all(ln["reason"] for ln in record["lines"])


def test_markdown_puts_title_over_body(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "markdown", str(SEED_PATH)]) == 0
    md = capsys.readouterr().out
    doc = zhengwen.extract(SEED)
    if doc.title:
        assert md.startswith("# " + doc.title.replace("\n", " ") + "\n\n")
    body_lines = [line for line in doc.body.split("\n") if line.strip()]
    assert md.count("\n\n") >= len(body_lines) - 1
    for line in body_lines:
        assert line.lstrip("#>-+*=|<~`") in md


def test_explain_is_plain_unless_colour_is_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--explain", str(SEED_PATH)]) == 0
    plain = capsys.readouterr().out
    assert "\x1b[" not in plain  # stdout is not a terminal here
    assert len(plain.splitlines()) == len(SEED_LINES)
    doc = zhengwen.extract(SEED)
    for row, line in zip(plain.splitlines(), doc.lines, strict=True):
        assert line.label.value in row and line.reason in row and row.endswith(line.text)
    assert main(["--explain", "--color", "always", str(SEED_PATH)]) == 0
    assert "\x1b[" in capsys.readouterr().out


def test_gb18030_file_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _page(tmp_path, "gb.txt", SEED, "gb18030")
    assert main([path]) == 0
    assert capsys.readouterr().out == _body(SEED) + "\n"
    assert main(["-f", "json", path]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["encoding"] == "gb18030"
    assert record["body"] == _body(SEED)


@pytest.mark.parametrize(
    ("codec", "reported", "text"),
    [
        ("big5", "big5", BIG5_PAGE),
        # with a BOM, which stays in line 1 as U+FEFF (as in the eval gold)
        ("utf-16", "utf-16-le" if sys.byteorder == "little" else "utf-16-be", "\ufeff" + SEED),
        ("utf-8-sig", "utf-8", "\ufeff" + SEED),
    ],
)
def test_other_encodings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], codec: str, reported: str, text: str
) -> None:
    path = _page(tmp_path, "p.txt", text.removeprefix("\ufeff"), codec)
    assert main(["-f", "json", path]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["encoding"] == reported
    assert [ln["text"] for ln in record["lines"]] == text.rstrip("\n").split("\n")
    assert record["body"] == _body(text)


def test_encoding_override_and_replacement_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _page(tmp_path, "gb.txt", SEED, "gb18030")
    assert main(["-f", "json", "--encoding", "utf-8", path]) == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert record["encoding"] == "utf-8"
    assert record["replaced"] > 0
    assert f"{record['replaced']} undecodable byte sequence(s) replaced" in captured.err


def test_output_dir_writes_one_file_per_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    _page(pages, "one.txt", SEED)
    _page(pages, "two.txt", "\n".join(SEED_LINES[::-1]) + "\n", "gb18030")
    out = tmp_path / "pred"
    for fmt, ext in [("tsv", "tsv"), ("json", "json"), ("text", "txt"), ("markdown", "md")]:
        assert main(["-q", "-f", fmt, "--output-dir", str(out), str(pages)]) == 0
        assert (out / f"one.{ext}").exists() and (out / f"two.{ext}").exists()
    assert (out / "one.txt").read_text(encoding="utf-8") == _body(SEED) + "\n"
    two = json.loads((out / "two.json").read_text(encoding="utf-8"))
    assert two["encoding"] == "gb18030"
    assert capsys.readouterr().out == ""


def test_output_dir_rejects_colliding_stems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _page(tmp_path, "x.txt", SEED)
    (tmp_path / "sub").mkdir()
    b = _page(tmp_path / "sub", "x.txt", SEED)
    assert main(["--output-dir", str(tmp_path / "out"), a, b]) == 2
    assert "would both write" in capsys.readouterr().err


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "eval" / "score.py").exists(), reason="needs ../shared")
def test_tsv_output_is_readable_by_score_py(tmp_path: Path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "seed.tsv").write_bytes((FIXTURES / "seed.tsv").read_bytes())
    assert main(["-q", "-f", "tsv", "--output-dir", str(tmp_path / "pred"), str(SEED_PATH)]) == 0
    run = subprocess.run(
        [sys.executable, str(SHARED / "eval" / "score.py"), str(gold), str(tmp_path / "pred")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "differ" not in run.stdout + run.stderr
    assert "no prediction" not in run.stdout + run.stderr


# --------------------------------------------------------------------------- JSON Lines


def test_jsonl_broken_line_in_the_middle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[Any] = [{"id": i, "text": SEED} for i in range(5)]
    rows[2] = '{"id": 2, "text": '
    path = tmp_path / "in.jsonl"
    path.write_bytes(_jsonl(rows))
    assert main(["--jsonl", "-j", "1", str(path)]) == 1
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert len(out) == 5
    assert out[2]["line"] == 3 and out[2]["error"].startswith("line 3: invalid JSON")
    assert [r["id"] for r in out if "error" not in r] == [0, 1, 3, 4]
    assert all(r["body"] == _body(SEED) for r in out if "error" not in r)
    assert "5 records, 1 error" in captured.err


def test_jsonl_all_good_exits_zero_and_keeps_labels(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, _jsonl([{"content": SEED, "url": "u"}]))
    assert main(["--jsonl", "--text-field", "content", "--keep-labels", "-q"]) == 0
    captured = capsys.readouterr()
    (record,) = [json.loads(line) for line in captured.out.splitlines()]
    assert record["url"] == "u" and "lines" in record and "error" not in record
    assert captured.err == ""


def test_jsonl_blank_lines_are_error_records(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, b'{"text": "a"}\n\n{"text": "b"}\n')
    assert main(["--jsonl", "-q"]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 3
    assert out[1] == {"error": "line 2: blank line", "line": 2}


def test_jsonl_gzip_and_zstd_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zstandard = pytest.importorskip("zstandard")
    data = _jsonl([{"id": i, "text": SEED} for i in range(3)])
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(data))
    (tmp_path / "in.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    for name in ("in.jsonl.gz", "in.jsonl.zst"):
        assert main(["--jsonl", "-q", str(tmp_path / name)]) == 0
        out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [r["id"] for r in out] == [0, 1, 2]


def test_jsonl_parallel_keeps_order_and_writes_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # short pages, so that 150 records (several chunks per worker) stay fast
    rows = [{"id": i, "text": "\n".join(SEED_LINES[i % 100 : i % 100 + 6])} for i in range(150)]
    path = tmp_path / "in.jsonl"
    path.write_bytes(_jsonl(rows))
    target = tmp_path / "out.jsonl.gz"
    assert main(["--jsonl", "-j", "2", "-o", str(target), str(path)]) == 0
    out = [json.loads(line) for line in gzip.decompress(target.read_bytes()).splitlines()]
    assert [r["id"] for r in out] == list(range(150))
    assert all(r["body"] == _body(r["text"]) for r in out[::37])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl.gz"]
    assert capsys.readouterr().out == ""


def test_jsonl_record_size_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_jsonl([{"text": "短"}, {"text": "长" * 500}, {"text": "短"}]))
    assert main(["--jsonl", "-q", "--max-record-bytes", "100", str(path)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 3 and "error" not in out[0] and "error" not in out[2]
    assert out[1]["error"].startswith("line 2: record too large")


def test_interrupt_leaves_no_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(inputs: list[str], out: Any, *args: Any, **kwargs: Any) -> None:
        out.write(b'{"half": ')
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_jsonl", interrupted)
    path = tmp_path / "in.jsonl"
    path.write_bytes(_jsonl([{"text": SEED}]))
    assert main(["--jsonl", "-o", str(tmp_path / "out.jsonl"), str(path)]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    assert "interrupted" in capsys.readouterr().err


# --------------------------------------------------------------------------- options and errors


def test_options_take_only_given_flags() -> None:
    parser = cli.build_parser()
    assert cli.options_from(parser.parse_args([])) == Options()
    opts = cli.options_from(parser.parse_args(["--favor-precision", "--body-threshold", "0.7"]))
    assert opts == Options().override(favor_precision=True, body_threshold=0.7)


@pytest.mark.parametrize(
    "argv",
    [
        ["--favor-precision", "--favor-recall", "x"],
        ["--body-threshold", "1.5", "x"],
        ["--format", "yaml", "x"],
        ["--encoding", "no-such-codec", "x"],
        ["--jsonl", "--format", "tsv", "x"],
        ["--jsonl", "--output-dir", "d", "x"],
        ["-j", "0", "x"],
        ["--jsonl", "-j", "99999999999999999999999", "x"],  # started them all, and hung
        ["-o", "a", "--output-dir", "b", "x"],
        ["--jsonl", "--resume", "x"],
        ["--resume", "-o", "a", "x"],
        ["--record-timeout", "-1", "x"],
        ["--record-timeout", "nan", "x"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SEED_PATH), str(tmp_path / "missing.txt")]) == 2
    captured = capsys.readouterr()
    assert "missing.txt: no such file" in captured.err
    assert captured.out == ""  # checked before any output


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert zhengwen.__version__ in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "exit status:" in text and "--favor-precision" in text


# --------------------------------------------------------------------------- subprocess


def _zhengwen(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return run_quietly([sys.executable, "-m", "zhengwen", *args], stdin)


def test_subprocess_filter_and_files(tmp_path: Path) -> None:
    run = _zhengwen(stdin=SEED.encode("gb18030"))
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode("utf-8") == _body(SEED) + "\n"
    run = _zhengwen("-f", "tsv", str(SEED_PATH))
    assert run.returncode == 0
    assert len(run.stdout.decode("utf-8").splitlines()) == len(SEED_LINES)
    run = _zhengwen(str(tmp_path / "nope.txt"))
    assert run.returncode == 2 and b"no such file" in run.stderr


def test_subprocess_jsonl_from_stdin_with_jobs() -> None:
    rows: list[Any] = [{"id": i, "text": "\n".join(SEED_LINES[i : i + 6])} for i in range(40)]
    rows[17] = "not json"
    run = _zhengwen("--jsonl", "-j", "2", stdin=_jsonl(rows))
    assert run.returncode == 1
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(out) == 40
    assert out[17] == {"error": out[17]["error"], "line": 18}
    assert [r["id"] for r in out if "id" in r] == [i for i in range(40) if i != 17]
    assert b"40 records, 1 error" in run.stderr


def _blocked_run(spawn: Spawn, jobs: int, target: Path) -> subprocess.Popen[bytes]:
    """A JSONL run to ``target`` whose stdin stays open after 5 records, too few for a chunk."""
    proc = spawn(
        [sys.executable, "-m", "zhengwen", "--jsonl", "-j", str(jobs), "-o", str(target)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(_jsonl([{"text": SEED}] * 5))
    proc.stdin.flush()
    return proc


def _wait_until(done: Callable[[], object], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX")
def test_subprocess_sigterm_before_any_record_leaves_nothing(tmp_path: Path, spawn: Spawn) -> None:
    proc = _blocked_run(spawn, 1, tmp_path / "out.jsonl")
    # The side files exist once the run (and its SIGTERM handler) is under way;
    # the run is blocked mid-stream, with no record written, when the signal comes.
    _wait_until((tmp_path / "out.jsonl.progress.json").exists, "run never started")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert b"terminated after 0 records" in err and b"nothing kept" in err
    assert list(tmp_path.iterdir()) == []


def _children(pid: int) -> list[int]:
    """The child process ids of ``pid`` (Linux ``/proc``)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (ended, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="needs Linux /proc/PID/task/PID/children",
)
def test_workers_end_when_the_parent_is_killed(tmp_path: Path, spawn: Spawn) -> None:
    # SIGKILL gives the parent no chance to stop its workers. They must still
    # end on their own: a worker left waiting would hold the run's stderr open
    # (so communicate() below would time out) and idle forever.
    proc = _blocked_run(spawn, 2, tmp_path / "o.jsonl")
    _wait_until(lambda: len(_children(proc.pid)) >= 2, "workers never started")
    workers = _children(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)
    _wait_until(lambda: not any(map(_running, workers)), f"workers outlived the parent: {workers}")


# A zhengwen run whose extraction is slowed down, and stalls for good on a
# record holding STALL, so that a signal lands mid-run however loaded the
# machine is: the run cannot finish before the test has signalled it.
# Test-only: the package itself has no such hook.
STALL = "【此处停顿】"
# Ctrl-C as a terminal sends it: a run started from a background job (a CI script's `&`)
# inherits SIGINT ignored, and Python then installs no KeyboardInterrupt for it.
SLOW_RUN = f"""
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
import zhengwen, zhengwen.batch
from zhengwen.cli import main
def slow(text, options=None, **kwargs):
    time.sleep(600 if {STALL!r} in text else 0.02)
    return zhengwen.extract(text, options, **kwargs)
zhengwen.batch.extract = slow
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # two full runs and a slowed one: several seconds each
@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_subprocess_signal_keeps_work_and_resume_finishes_it(
    tmp_path: Path, sig: signal.Signals, spawn: Spawn
) -> None:
    source = tmp_path / "in.jsonl"
    rows = [{"id": i, "text": "\n".join(SEED_LINES[i % 90 : i % 90 + 8])} for i in range(150)]
    for row in rows[120:]:  # the slowed run stalls here, so the signal always lands mid-run
        row["text"] += "\n" + STALL
    source.write_bytes(_jsonl(rows))
    reference = tmp_path / "reference.jsonl"
    assert main(["--jsonl", "-q", "-j", "1", "-o", str(reference), str(source)]) == 0

    target = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    argv = ["--jsonl", "-j", "2", "-o", str(target), str(source)]
    proc = spawn([sys.executable, "-c", SLOW_RUN, *argv], stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not partial.exists() or partial.stat().st_size < 20_000:
        assert time.monotonic() < deadline and proc.poll() is None, "run never got going"
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, err
    what = b"terminated" if sig == signal.SIGTERM else b"interrupted"
    assert what + b" after " in err and b"kept in " + bytes(partial) in err, err
    assert not target.exists()  # never a truncated output
    progress = json.loads((tmp_path / "out.jsonl.progress.json").read_text())
    kept = partial.read_bytes()
    assert 0 < progress["records"] <= 120 and progress["bytes"] == len(kept)
    assert kept.count(b"\n") == progress["records"] and kept.endswith(b"\n")
    assert reference.read_bytes().startswith(kept)

    again = _zhengwen(*argv)  # without --resume: refuses to overwrite the work
    assert again.returncode == 2 and b"--resume" in again.stderr

    done = _zhengwen(*argv, "--resume")
    assert done.returncode == 0, done.stderr
    assert b"kept from the interrupted run" in done.stderr
    assert target.read_bytes() == reference.read_bytes()  # nothing lost, nothing twice
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in.jsonl",
        "out.jsonl",
        "reference.jsonl",
    ]


def test_resume_of_another_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl([{"text": "第一段。"}, {"text": "第二段。"}]))
    target = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl.partial").write_bytes(b"{}\n")
    settings = cli_batch.run_settings([str(source)], cli_batch.RecordConfig(options=Options()))
    progress = {"format": "zhengwen-progress/1", "records": 1, "bytes": 3, "errors": 0}
    progress |= {"digest": "0" * 64, "settings": settings}
    (tmp_path / "out.jsonl.progress.json").write_text(json.dumps(progress))
    assert main(["--jsonl", "-q", "-j", "1", "-o", str(target), str(source), "--resume"]) == 2
    assert "cannot resume: the first 1 input records differ" in capsys.readouterr().err
    assert not target.exists() and (tmp_path / "out.jsonl.partial").exists()


def test_resume_with_nothing_to_resume_runs_from_the_start(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl([{"text": SEED}]))
    target = tmp_path / "out.jsonl"
    assert main(["--jsonl", "-q", "-j", "1", "-o", str(target), str(source), "--resume"]) == 0
    assert json.loads(target.read_bytes())["body"] == _body(SEED)


@pytest.mark.usefixtures("fake_clock")
def test_record_timeout_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def hangs(text: str, options: Options | None = None, **kwargs: Any) -> zhengwen.Document:
        if text == "HANG":
            hang()
        return zhengwen.extract(text, options, **kwargs)

    monkeypatch.setattr(cli_batch, "extract", hangs)  # inherited by the forked worker
    path = tmp_path / "in.jsonl"
    path.write_bytes(_jsonl([{"text": "短"}, {"text": "HANG"}, {"text": "短"}]))
    argv = ["--jsonl", "-q", "-j", "1", "--record-timeout", f"{BUDGET:g}", str(path)]
    assert main(argv) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("error") for r in out] == [None, f"line 2: timed out after {BUDGET:g} s", None]
