"""What the fuzz targets share: running atheris, and the invariants they check.

Not part of the package: a dev tool (the ``fuzz`` extra installs atheris).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    """``part`` appears in ``whole`` in order (not necessarily adjacent)."""
    it = iter(whole)
    return all(any(p == w for w in it) for p in part)


def run(test_one_input: Callable[[bytes], None]) -> None:
    """Hand ``test_one_input`` to libFuzzer with the command line's arguments.

    With ``-artifact_prefix=P``, an input that raises is also written as
    ``Pexception-<sha1>`` before libFuzzer handles the crash: the first
    30-minute run of ``fuzz_html.py`` found an input and lost it, the process
    killed by SIGALRM ("Alarm clock", the timer of ``-timeout``) before
    libFuzzer wrote its ``crash-`` file.
    """
    import atheris

    prefixes = [arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("-artifact_prefix=")]
    target = test_one_input
    if prefixes:

        def target(data: bytes) -> None:
            try:
                test_one_input(data)
            except BaseException:
                name = f"{prefixes[-1]}exception-{hashlib.sha1(data).hexdigest()}"
                Path(name).write_bytes(data)
                raise

    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


def reads_cleanly(payload: bytes, codec: str) -> bool:
    """Whether ``codec`` reads all of ``payload`` without an undecodable sequence."""
    try:
        payload.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def run_or_write_seeds(
    test_one_input: Callable[[bytes], None],
    seeds: Mapping[str, bytes],
    full: Mapping[str, bytes] | None = None,
) -> None:
    """``--write-seeds FOLDER`` writes ``seeds`` there (one file each); else :func:`run`.

    ``--write-seeds FOLDER --full`` writes ``full`` instead: attacks at the sizes
    an issue reported, too large to mutate (libFuzzer's ``-max_len`` grows to the
    largest input of the corpus) but worth replaying once, with ``-timeout``:
    ``python fuzz/fuzz_x.py -timeout=10 FOLDER/*``.
    """
    if sys.argv[1:2] == ["--write-seeds"]:
        folder = Path(sys.argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        chosen = full if sys.argv[3:4] == ["--full"] and full is not None else seeds
        for name, seed in chosen.items():
            (folder / name).write_bytes(seed)
    else:
        run(test_one_input)
