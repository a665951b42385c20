"""A module of this checkout as it was at a git revision: what the core's checks compare with.

The ``check_core_*`` tools and ``benchmarks/features_speed.py`` take the Python
code the compiled core replaced from git, so that the reference is the code
that ran, not a copy kept beside it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def module_at(rev: str, path: str, name: str) -> ModuleType:
    """The file ``path`` (relative to the checkout) at git revision ``rev``, imported as ``name``.

    The module is registered in ``sys.modules`` under ``name`` (dataclasses
    look their module up there).
    """
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    file = Path(tempfile.mkdtemp()) / f"{name}.py"
    file.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
