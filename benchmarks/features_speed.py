"""Time ``page_features`` per page over the dev pages: the compiled core against a git revision.

The reference is ``src/zhengwen/features.py`` at ``--rev`` (default 8721101, the
numpy implementation before the port to ``rust/src/features/``), imported from
git as a module of its own. Each page's folded lines are computed once; then
each implementation runs on every page, best of ``--repeat`` runs, in one
process. Run it with one BLAS thread, as the pipeline does::

    OPENBLAS_NUM_THREADS=1 python benchmarks/features_speed.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/features_speed.py --rev HEAD~3 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from zhengwen import features
from zhengwen.normalize import feature_text, split_lines
from zhengwen.options import DEFAULT

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from module_at import module_at  # noqa: E402


def reference_module(rev: str) -> ModuleType:
    """``src/zhengwen/features.py`` at ``rev``, imported as a module of its own."""
    return module_at(rev, "src/zhengwen/features.py", "zhengwen_features_reference")


def per_page(fn: Callable[[list[str]], object], pages: list[list[str]], repeat: int) -> list[float]:
    """Seconds per page, the best of ``repeat`` runs each."""
    fn(pages[0])  # lexicons, patterns and caches built before timing
    times = []
    for folded in pages:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(folded)
            best = min(best, time.perf_counter() - t0)
        times.append(best)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="8721101", help="the reference's git revision")
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval" / "dev")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = sorted((args.eval / "text").glob("*.txt"))
    if not texts:
        print(f"no pages under {args.eval / 'text'}", file=sys.stderr)
        return 2
    pages = [
        [feature_text(s, DEFAULT.max_line_chars) for s in split_lines(p.read_text("utf-8"))]
        for p in texts
    ]
    lines = sum(len(p) for p in pages)
    chars = sum(len(s) for p in pages for s in p)
    print(f"{len(pages)} pages, {lines} lines, {chars} folded characters; best of {args.repeat}")
    reference = reference_module(args.rev)
    for name, fn in (
        (f"python ({args.rev})", reference.page_features),
        ("core (rust)", features.page_features),
    ):
        t = per_page(fn, pages, args.repeat)
        print(
            f"{name:16} total {sum(t) * 1e3:8.1f} ms  mean {statistics.mean(t) * 1e3:6.3f} ms"
            f"  median {statistics.median(t) * 1e3:6.3f} ms  max {max(t) * 1e3:6.2f} ms a page"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
