"""What the fuzz targets share: running atheris, and the invariants they check.

Not part of the package: a dev tool (the ``fuzz`` extra installs atheris).
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    """``part`` appears in ``whole`` in order (not necessarily adjacent)."""
    it = iter(whole)
    return all(any(p == w for w in it) for p in part)


def run(test_one_input: Callable[[bytes], None]) -> None:
    """Hand ``test_one_input`` to libFuzzer with the command line's arguments."""
    import atheris

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
