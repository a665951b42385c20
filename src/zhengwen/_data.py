"""The package's data files (lexicons, models), read by ``os.path``.

Not ``pathlib``: importing it costs a command's start about 8 ms, and nothing
on a page's path needs it.
"""

from __future__ import annotations

import os

_PACKAGE = os.path.dirname(__file__)


def read_text(*parts: str) -> str:
    """The UTF-8 text of the package's file ``parts`` (``"model", "pass1.json"``)."""
    with open(os.path.join(_PACKAGE, *parts), encoding="utf-8") as f:
        return f.read()
