"""What the fuzz targets share: running atheris, and the invariants they check.

Not part of the package: a dev tool (the ``fuzz`` extra installs atheris).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    """``part`` appears in ``whole`` in order (not necessarily adjacent)."""
    it = iter(whole)
    return all(any(p == w for w in it) for p in part)


def run(test_one_input: Callable[[bytes], None]) -> None:
    """Hand ``test_one_input`` to libFuzzer with the command line's arguments."""
    import atheris

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


def reads_cleanly(payload: bytes, codec: str) -> bool:
    """Whether ``codec`` reads all of ``payload`` without an undecodable sequence."""
    try:
        payload.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def run_or_write_seeds(test_one_input: Callable[[bytes], None], seeds: Mapping[str, bytes]) -> None:
    """``--write-seeds FOLDER`` writes ``seeds`` there (one file each); else :func:`run`."""
    if sys.argv[1:2] == ["--write-seeds"]:
        folder = Path(sys.argv[2])
        folder.mkdir(parents=True, exist_ok=True)
        for name, seed in seeds.items():
            (folder / name).write_bytes(seed)
    else:
        run(test_one_input)
