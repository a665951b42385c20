#!/usr/bin/env python3
"""CPU time per dev page of each stage of ``zhengwen.extract``.

Prints milliseconds of process CPU time per page for: splitting and folding
the lines, the features, one reading of a page by both classifiers, and
``extract`` end to end (which adds the re-readings of the body, the decoding,
metadata and reasons). CPU time, not wall time, so another job on the machine
disturbs it less::

    python benchmarks/profile_stages.py [TEXT_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import zhengwen
from zhengwen import core, decode
from zhengwen.features import page_features
from zhengwen.normalize import feature_text, split_lines

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev" / "text"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT_DIR
    pages = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    if not pages:
        print(f"no *.txt pages in {folder}", file=sys.stderr)
        return 2
    zhengwen.extract(pages[0])  # load the models once, outside the timings
    models = core._models()
    clock = time.process_time
    t0 = clock()
    folded = [[feature_text(s, 20_000) for s in split_lines(p)] for p in pages]
    t1 = clock()
    feats = [page_features(f) for f in folded]
    t2 = clock()
    for x in feats:
        decode.beliefs(x, models)
    t3 = clock()
    for p in pages:
        zhengwen.extract(p)
    t4 = clock()
    n = len(pages)
    lines = sum(len(f) for f in folded) / n
    print(f"{n} pages, {lines:.0f} lines a page; CPU ms per page:")
    print(f"  split and fold      {1e3 * (t1 - t0) / n:8.1f}")
    print(f"  features            {1e3 * (t2 - t1) / n:8.1f}")
    print(f"  one reading         {1e3 * (t3 - t2) / n:8.1f}")
    print(
        f"  extract, end to end {1e3 * (t4 - t3) / n:8.1f}  ({n / (t4 - t3):.1f} pages/s per core)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
