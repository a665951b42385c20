"""Is ``zhengwen.extract`` linear in its input? Time it at a size ``s`` and at ``10·s``.

The shapes of pathological page, each named with the full size it stands for:

* ``long_line``: one line of prose without a break (10 MB of UTF-8 in full);
* ``one_char_lines``: lines of one character each (1,000,000 in full);
* ``repeated_lines``: one body sentence repeated (100,000 lines in full);
* ``alternating_blank``: a prose line, a blank line, and again (100,000
  lines in full);
* ``punctuation``: a page of punctuation only, in lines of 40 (full: 1 MB);
* ``digit_line``: one line of digits (full: 20,000, the ``max_line_chars``
  that features read), the worst case found by benchmarks/regex_linearity.py.

For each, ``s`` is found by doubling from a small size until one call takes
``--target`` seconds (0.1 s by default), and capped at a tenth of the full
size. Then ``extract`` is timed in CPU seconds: ten calls at ``s`` in a row,
then one at ``10·s``, five rounds, the best round of each kept (``t(s)`` is
the best ten calls over ten), twice: with the garbage collector as Python
runs it, and with it off (``gc.freeze()`` then ``gc.disable()`` around each
call), so that the collector's share shows. A linear stage gives a ratio
near 10; above ~12 something grows faster than the input.

Each sample is the same work, ``10·s`` in all, over about the same time:
on a shared machine whose speed drifts over seconds, the best of many short
calls found a fast spell more often than the best of a few long ones did,
which put a slope on the ratio of its own (docs/reliability.md). ``--full``
also times each case at its full size.

    python benchmarks/linearity.py            # about two minutes on a quiet core
    python benchmarks/linearity.py --full     # the full sizes too (minutes, GBs)
    python benchmarks/linearity.py --profile repeated_lines
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

import zhengwen

PROSE = "新征程是充满光荣和梦想的远征，党的二十大绘就了宏伟蓝图、吹响了前进号角。"
SENTENCE = "全区上下深入学习贯彻党的二十大精神，区党工委、管委会迅速行动，结合实际抓好落实。"
PUNCTUATION = "，。！？；：、“”（）《》【】,.!?;:()[]|>·—-…～"

RATIO_LIMIT = 12.0
"""The largest time ratio for ten times the input that still counts as linear
(10, plus room for timing noise and cache effects)."""
ROUNDS = 5
"""Rounds of ten calls at s and one at 10·s, taken in turn: the best of each is kept."""
CALLS_AT_S = 10
"""Calls at s summed into one sample: the same work as one call at 10·s."""


def long_line(n: int) -> str:
    """One line of ``n`` characters of prose (3 bytes each in UTF-8)."""
    return (PROSE * (n // len(PROSE) + 1))[:n]


def digit_line(n: int) -> str:
    """One line of ``n`` digits."""
    return "1" * n


def one_char_lines(n: int) -> str:
    """``n`` lines of one character each, cycling through a few kinds."""
    chars = "的a1，。 中"
    return "\n".join(chars[i % len(chars)] for i in range(n))


def repeated_lines(n: int) -> str:
    """The same body sentence on ``n`` lines."""
    return "\n".join([SENTENCE] * n)


def alternating_blank(n: int) -> str:
    """``n`` lines, every other one blank, the others prose."""
    return "\n".join(PROSE if i % 2 == 0 else "" for i in range(n))


def punctuation(n: int) -> str:
    """``n`` characters of punctuation, 40 to a line."""
    text = (PUNCTUATION * (n // len(PUNCTUATION) + 1))[:n]
    return "\n".join(text[i : i + 40] for i in range(0, len(text), 40))


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[int], str]
    full: int  # the size the case stands for, in make's unit
    unit: str
    start: int  # first size tried when calibrating


CASES = (
    Case("long_line", long_line, 10_000_000 // 3, "chars", 10_000),
    Case("one_char_lines", one_char_lines, 1_000_000, "lines", 100),
    Case("repeated_lines", repeated_lines, 100_000, "lines", 100),
    Case("alternating_blank", alternating_blank, 100_000, "lines", 100),
    Case("punctuation", punctuation, 1_000_000, "chars", 1_000),
    Case("digit_line", digit_line, 20_000, "chars", 100),
)


def timed(text: str, collector: bool) -> float:
    """CPU seconds one ``extract(text)`` takes, with the garbage collector on or off.

    CPU time of this process, not wall time: on a shared machine the wall
    clock also counts the time other work held the core.
    """
    if not collector:
        gc.collect()
        gc.freeze()  # what exists already is never scanned again
        gc.disable()
    try:
        started = time.process_time()
        zhengwen.extract(text)
        return time.process_time() - started
    finally:
        if not collector:
            gc.enable()
            gc.unfreeze()


def calibrate(case: Case, target: float) -> int:
    """The smallest doubling of ``case.start`` whose call takes ``target`` seconds."""
    size = case.start
    while size * 2 <= case.full // 10:
        if timed(case.make(size), collector=True) >= target:
            break
        size *= 2
    return size


def human(n: float) -> str:
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:g}{suffix}"
    return f"{n:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=float, default=0.1, help="seconds at size s")
    parser.add_argument("--full", action="store_true", help="also time the full sizes")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--profile", metavar="CASE", help="cProfile CASE at 10·s and stop")
    args = parser.parse_args()
    cases = [c for c in CASES if args.cases is None or c.name in args.cases.split(",")]
    zhengwen.extract("预热\n正文。")  # models loaded before any timing

    if args.profile:
        import cProfile
        import pstats

        case = next(c for c in CASES if c.name == args.profile)
        text = case.make(10 * calibrate(case, args.target))
        profiler = cProfile.Profile()
        profiler.runcall(zhengwen.extract, text)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return

    print(
        f"{'case':<18}{'s':>10}{'t(s)':>9}{'t(10s)':>9}{'ratio':>7}"
        f"{'t(s) nogc':>11}{'t(10s) nogc':>13}{'ratio':>7}  verdict"
    )
    for case in cases:
        s = calibrate(case, args.target)
        small, large = case.make(s), case.make(10 * s)
        row = []
        for collector in (True, False):
            # The best of five samples each way, taken in turn so that a slower
            # spell of the machine falls on both; a sample at s is ten calls.
            t1, t10 = float("inf"), float("inf")
            for _ in range(ROUNDS):
                ten = sum(timed(small, collector) for _ in range(CALLS_AT_S))
                t1 = min(t1, ten / CALLS_AT_S)
                t10 = min(t10, timed(large, collector))
            row.append((t1, t10, t10 / t1))
        worst = max(r[2] for r in row)
        verdict = "linear" if worst <= RATIO_LIMIT else "SUPERLINEAR"
        (a1, a10, ar), (b1, b10, br) = row
        print(
            f"{case.name:<18}{human(s) + ' ' + case.unit:>10}{a1:>8.3f}s{a10:>8.3f}s{ar:>6.1f}x"
            f"{b1:>10.3f}s{b10:>12.3f}s{br:>6.1f}x  {verdict}",
            flush=True,
        )
        if args.full:
            t = timed(case.make(case.full), collector=True)
            print(f"{'':<18}full {human(case.full)} {case.unit}: {t:.1f} s", flush=True)


if __name__ == "__main__":
    main()
