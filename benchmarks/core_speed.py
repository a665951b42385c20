#!/usr/bin/env python3
"""Pages per second of ``extract`` on text and ``extract_html`` on HTML, one process.

CPU time (``time.process_time``) over the dev and train pages of the eval
folder, after one warm-up page; also the share of it spent in the core's
``extract_page`` (features, both passes, the decode with its re-readings, the reasons)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/core_speed.py [--eval ../shared/eval] [--runs 3]

Each figure is the best of ``--runs`` passes over the pages (the least
disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zhengwen
from zhengwen import _core
from zhengwen.html import extract_html

ROOT = Path(__file__).resolve().parents[1]


class _Timed:
    """Wraps ``_core.extract_page`` to sum the CPU time spent in it."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.spent = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.spent += time.process_time() - t0


def _best(pages: list[Any], run: Callable[[Any], object], runs: int) -> tuple[float, float]:
    """Best CPU seconds of ``runs`` passes, and the ``extract_page`` seconds of that pass."""
    original = _core.extract_page
    best = (float("inf"), 0.0)
    try:
        for _ in range(runs):
            timed = _Timed(original)
            _core.extract_page = timed  # type: ignore[attr-defined]
            t0 = time.process_time()
            for page in pages:
                run(page)
            spent = time.process_time() - t0
            if spent < best[0]:
                best = (spent, timed.spent)
    finally:
        _core.extract_page = original  # type: ignore[attr-defined]
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--sets", default="dev,train")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-html", action="store_true", help="time the text pages alone")
    args = parser.parse_args()
    sets = args.sets.split(",")
    texts = [
        p.read_text(encoding="utf-8")
        for s in sets
        for p in sorted((args.eval / s / "text").glob("*.txt"))
    ]
    if not texts:
        print(f"no text pages under {args.eval}", file=sys.stderr)
        return 2
    zhengwen.extract(texts[0])  # load the models outside the timings
    spent, core = _best(texts, zhengwen.extract, args.runs)
    n = len(texts)
    print(
        f"text: {n} pages, extract {1e3 * spent / n:.2f} ms/page ({n / spent:.0f} pages/s), "
        f"in the core {1e3 * core / n:.2f} ms/page"
    )
    if args.no_html:
        return 0
    htmls = [p.read_bytes() for s in sets for p in sorted((args.eval / s / "html").glob("*.html"))]
    if htmls:
        extract_html(htmls[0])
        spent, core = _best(htmls, extract_html, args.runs)
        n = len(htmls)
        print(
            f"html: {n} pages, extract_html {1e3 * spent / n:.2f} ms/page "
            f"({n / spent:.0f} pages/s), in the core {1e3 * core / n:.2f} ms/page"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
