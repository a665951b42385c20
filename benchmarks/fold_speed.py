#!/usr/bin/env python3
"""Folding a page's lines: ``normalize.feature_text`` per line against ``_core.fold_lines``.

Times both on every dev and train text page of ``../shared/eval`` at the
default ``max_line_chars`` (best of 5 passes)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/fold_speed.py
"""

from __future__ import annotations

import time
from pathlib import Path

from zhengwen import _core
from zhengwen.normalize import feature_text, split_lines
from zhengwen.options import DEFAULT

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    shared = ROOT.parent / "shared" / "eval"
    pages = [
        split_lines(path.read_text(encoding="utf-8"))
        for folder in ("dev", "train")
        for path in sorted((shared / folder / "text").glob("*"))
    ]
    lines = sum(map(len, pages))
    size = DEFAULT.max_line_chars
    ways = {
        "python feature_text": lambda raw: [feature_text(s, size) for s in raw],
        "core fold_lines": lambda raw: _core.fold_lines(raw, size),
    }
    for name, fold in ways.items():
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for raw in pages:
                fold(raw)
            best = min(best, time.perf_counter() - start)
        print(f"{name}: {len(pages)} pages, {lines} lines, {best / len(pages) * 1e3:.3f} ms/page")


if __name__ == "__main__":
    main()
