#!/usr/bin/env python3
"""Memory and time a line of ``extract`` on pages of many short lines (docs/reliability.md).

    python benchmarks/line_cost.py memory    # peak RSS a line, one page per process
    python benchmarks/line_cost.py time      # CPU µs a line, one-character pages to 1,024,000 lines
    python benchmarks/line_cost.py time --sizes 12800,128000 --best 8   # best of 8, sizes in turn
    python benchmarks/line_cost.py reads     # lines read a page line (the body's re-readings)
    python benchmarks/line_cost.py reads --shape repeated_lines --sizes 2048,3000,10000
    python benchmarks/line_cost.py block     # CPU µs a line either side of 8,192 lines

``memory`` runs each page in a fresh process (peak RSS is a process's high-water
mark) and prints the peak above the process's RSS before the call.
``time`` wraps ``_core.extract_page`` to split the time spent in the core from
the Python around it.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from linearity import (  # noqa: E402
    alternating_blank,
    one_char_lines,
    repeated_lines,
    timed,
)

PROSE = "全区上下深入学习贯彻党的二十大精神，区党工委、管委会迅速行动，部署推进相关工作。"[:40]
MEMORY_CASES = (("one", 100_000), ("one", 1_000_000), ("prose", 100_000))
MILLION = 1_000_000  # issue 25: extract on 1,000,000 short lines stays under 1 GB
TIME_SIZES = (12_800, 25_600, 51_200, 102_400, 256_000, 512_000, 1_024_000)
SHAPES = {f.__name__: f for f in (one_char_lines, repeated_lines, alternating_blank)}


def peak_of(kind: str, n: int) -> None:
    """Extract a page of ``n`` lines (``one``: 字, ``prose``: 40 characters); print its peak."""
    import zhengwen

    text = "\n".join(["字" if kind == "one" else PROSE] * n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    zhengwen.extract(text)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    verdict = ""
    if n >= MILLION:
        total = peak * 1024  # the whole process, not only the page
        verdict = f" (process {total / 1e9:.2f} GB: {'under' if total < 1e9 else 'OVER'} 1 GB)"
    print(
        f"{kind:>5} {n:>9,} lines: peak {(peak - base) / 1024:.0f} MB, "
        f"{(peak - base) * 1024 / n:,.0f} B a line{verdict}",
        flush=True,
    )


def times(sizes: tuple[int, ...], best: int) -> None:
    """CPU µs a line of ``extract`` on one-character pages of ``sizes`` lines, and
    of it in the core: the best of ``best`` calls a size, the sizes in turn."""
    import zhengwen
    from zhengwen import _core

    original, spent = _core.extract_page, [0.0]

    def timed(*args: object, **kwargs: object) -> object:
        t0 = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - t0

    _core.extract_page = timed  # type: ignore[attr-defined]
    zhengwen.extract(one_char_lines(1000))
    texts = {n: one_char_lines(n) for n in sizes}
    least = {n: (float("inf"), float("inf")) for n in sizes}
    for _ in range(best):
        for n in sizes:
            spent[0] = 0.0
            t0 = time.process_time()
            zhengwen.extract(texts[n])
            least[n] = min(least[n], (time.process_time() - t0, spent[0]))
    for n in sizes:
        total, core = least[n]
        print(f"{n:>9,} lines: {1e6 * total / n:.2f} µs a line, in the core {1e6 * core / n:.2f}")


def readings(text: str) -> list[int]:
    """The lines each reading of ``decode.decide`` reads on page ``text``: the page's
    non-blank lines, then its body alone until stable.

    The shipped models go behind a wrapper, so that ``decide`` calls back into
    Python for each reading and its lines can be counted.
    """
    from zhengwen import core, decode
    from zhengwen.normalize import feature_text, split_lines

    class Counted:
        def __init__(self, model: Any) -> None:
            self.model, self.classes = model, model.classes

        def predict(self, x: Any) -> Any:
            return self.model.predict(x)

    counts: list[int] = []
    page_features = decode.page_features

    def counted(lines: list[str], facts: Any = None) -> Any:
        counts.append(len(lines))
        return page_features(lines, facts)

    folded = [feature_text(line, 100) for line in split_lines(text)]
    decode.page_features = counted  # type: ignore[assignment]
    try:
        decode.decide(folded, 0.5, [Counted(m) for m in core._models()])
    finally:
        decode.page_features = page_features  # type: ignore[assignment]
    return counts


def reads(shape: str, sizes: tuple[int, ...]) -> None:
    """Lines read a non-blank page line by ``decode.decide``, for pages of ``shape``."""
    for n in sizes:
        counts = readings(SHAPES[shape](n))
        shown = " + ".join(f"{c:,}" for c in counts)
        print(f"{n:>9,} lines: {sum(counts) / counts[0]:.2f}x ({shown})")


BLOCK_SIZES = (4_096, 6_400, 8_000, 8_400, 12_800, 25_600, 64_000)


def block() -> None:
    """CPU µs a line of ``extract`` on repeated prose lines (one reading at every
    size) below and above ``WHOLE_PAGE_ROWS``, best of five, the sizes in turn."""
    texts = {n: repeated_lines(n) for n in BLOCK_SIZES}
    best = dict.fromkeys(BLOCK_SIZES, float("inf"))
    for _ in range(5):
        for n, text in texts.items():
            best[n] = min(best[n], timed(text, collector=True))
    for n in BLOCK_SIZES:
        print(f"{n:>7,} lines: {1e6 * best[n] / n:.2f} µs a line")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("memory", "time", "peak", "reads", "block"))
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help="comma-separated line counts (time, reads)")
    parser.add_argument("--best", type=int, default=1, help="calls a size, the best kept (time)")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="one_char_lines", help="(reads)")
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else TIME_SIZES
    if args.what == "peak":
        peak_of(args.args[0], int(args.args[1]))
    elif args.what == "memory":
        for kind, n in MEMORY_CASES:
            subprocess.run([sys.executable, __file__, "peak", kind, str(n)], check=True)
    elif args.what == "reads":
        reads(args.shape, sizes if args.sizes else TIME_SIZES[:-1])
    elif args.what == "block":
        block()
    else:
        times(sizes, args.best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
