"""``python -m zhengwen``: the same as the ``zhengwen`` command."""

from __future__ import annotations

import sys

from zhengwen.cli import main

if __name__ == "__main__":
    sys.exit(main())
