#!/usr/bin/env python3
"""Check that the compiled core folds lines as ``normalize.feature_text`` did.

The reference is ``src/zhengwen/normalize.py`` as it was at ``--rev`` (default
64e6e11, the commit before the port to ``rust/src/fold.rs``), taken from git
and imported as a module of its own. ``_core.fold_lines(lines, max_chars)``
must equal ``[feature_text(line, max_chars) for line in lines]`` for:

* every line of every dev and train text page of ``../shared/eval``, every
  gold line, every line the HTML reader gives for their HTML, and the seed
  page (``fixtures/seed.txt``), at the default ``max_line_chars``;
* every code point alone, and every named entity, decimal and hex reference
  at its edge values, with and without ``;``;
* ``--random N`` random lines (default 200,000) over a hostile alphabet:
  entity names with and without ``;``, ``&#`` forms with edge numbers,
  whitespace of every kind, invisible characters, lone surrogates, CJK and
  ASCII, each at a random edge ``max_chars`` (0, 1, around its length,
  negative, past 64 bits).

Prints the count of lines compared and the first differences. Exit status 1
if any line differs::

    python tools/check_core_fold.py
    python tools/check_core_fold.py --rev 64e6e11 --random 1000000
"""

from __future__ import annotations

import argparse
import html.entities
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from module_at import module_at  # noqa: E402

from zhengwen import _core  # noqa: E402
from zhengwen.html import html_to_page  # noqa: E402
from zhengwen.options import DEFAULT  # noqa: E402

MAX = DEFAULT.max_line_chars


def eval_lines(shared: Path, split_lines) -> Iterator[tuple[str, list[str]]]:
    """The lines of every dev and train page: text, gold and HTML reader; and the seed."""
    for folder in ("dev", "train"):
        for path in sorted((shared / folder / "text").glob("*")):
            yield str(path), split_lines(path.read_text(encoding="utf-8"))
        for path in sorted((shared / folder / "gold").glob("*")):
            rows = path.read_text(encoding="utf-8").split("\n")
            yield str(path), [r.partition("\t")[2] for r in rows if r]
        for path in sorted((shared / folder / "html").glob("*")):
            yield str(path), html_to_page(path.read_bytes()).lines
    seed = (ROOT / "fixtures" / "seed.txt").read_text(encoding="utf-8")
    yield "seed.txt", split_lines(seed)


def edge_lines() -> list[str]:
    """Every code point alone, and every reference form at its edges."""
    lines = [chr(c) for c in range(0x110000)]
    names = [n.rstrip(";") for n in html.entities.html5]
    for name in names:
        lines += [f"&{name};", f"&{name}", f"&{name}x;", f"&{name}9;", f"&{name}Zq;", f"a&{name};b"]
    numbers = [*range(0, 0x110), *range(0xD7FE, 0xE001), *range(0xFDCE, 0xFDF2)]
    numbers += [p * 0x10000 + k for p in range(17) for k in (0xFFFD, 0xFFFE, 0xFFFF)]
    numbers += [0x10FFFF, 0x110000, 0xFFFFFF, 9999999, 38, 13, 160, 0x3000, 0x200B]
    for n in numbers:
        for form in (f"&#{n};", f"&#x{n:x};", f"&#X{n:X};", f"&#{n:08d};", f"&#x{n:07x};"):
            lines += [form, form[:-1], f"x{form}y"]
    lines += ["&#;", "&#x;", "&;", "&a;", "&" + "a" * 32 + ";", "&" + "a" * 33 + ";"]
    lines += ["&1a;", "&&amp;", "&amp;amp;", "&#38;lt;", "&ltfoo;", "&ampx;", "&notit;"]
    return lines


def hostile_alphabet() -> list[str]:
    """The pieces random lines are made of."""
    names = [n.rstrip(";") for n in html.entities.html5]
    pieces = [f"&{n};" for n in names] + [f"&{n}" for n in names] + [f"&{n}x;" for n in names]
    edge = [0, 1, 8, 9, 11, 13, 31, 32, 38, 127, 128, 129, 141, 159, 160, 0xD7FF, 0xD800, 0xDFFF]
    edge += [0xE000, 0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x10FFFF, 0x110000, 0xFFFFFF, 9999999]
    for n in edge:
        pieces += [f"&#{n};", f"&#x{n:x};", f"&#X{n:X};", f"&#{n}", f"&#x{n:x}"]
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    spaces += [chr(c) for c in (*range(0x1C, 0x20), 0x85, 0x180E, 0x200B, 0x200F, 0x2028)]
    spaces += [chr(c) for c in (*range(0x2060, 0x2066), 0xFEFF, 0xAD, 0x202F, 0x205F, 0x3000)]
    pieces += spaces * 20
    pieces += ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00"] * 20
    pieces += list("中文正文标题，。！？“”、《》一二三") * 20
    pieces += list("&#;xXaAzZ019 fF") * 40
    pieces += [chr(c) for c in range(0x20, 0x7F)] * 5
    pieces += ["😀", "\U000f0001", "\ue5e5", "\x00", "\r", "\n"]
    return pieces


def random_cases(n: int, seed: int) -> Iterator[tuple[list[str], int]]:
    """``n`` random lines, in pages of 100, each page with one edge ``max_chars``."""
    rng = random.Random(seed)
    alphabet = hostile_alphabet()
    for _ in range(0, n, 100):
        lines = ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(100)]
        size = rng.choice([len(line) for line in lines])
        max_chars = rng.choice(
            [0, 1, 2, 3, size - 1, size, size + 1, 10, MAX, -1, -3, 2**63, 2**70, -(2**70), 10**9]
        )
        yield lines, max_chars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="64e6e11", help="git revision of the reference")
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--random", type=int, default=200_000, help="random lines")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ref = module_at(args.rev, "src/zhengwen/normalize.py", "zhengwen_normalize_reference")

    diffs: list[str] = []
    compared = 0

    def compare(name: str, lines: list[str], max_chars: int) -> None:
        nonlocal compared
        got = _core.fold_lines(lines, max_chars)
        want = [ref.feature_text(line, max_chars) for line in lines]
        compared += len(lines)
        if got != want:
            for line, a, b in zip(lines, got, want):
                if a != b:
                    diffs.append(f"{name} max_chars={max_chars}: {line!r} → {a!r}, want {b!r}")

    start = time.perf_counter()
    pages = 0
    for name, lines in eval_lines(args.eval, ref.split_lines):
        compare(name, lines, MAX)
        pages += 1
    print(f"eval: {pages} line lists, {compared} lines")
    before = compared
    edges = edge_lines()
    for max_chars in (MAX, 1, 2, 0, -1):
        compare("edges", edges, max_chars)
    print(f"edges: {compared - before} lines")
    before = compared
    for k, (lines, max_chars) in enumerate(random_cases(args.random, args.seed)):
        compare(f"random {k}", lines, max_chars)
    print(f"random: {compared - before} lines")
    print(f"compared {compared} lines in {time.perf_counter() - start:.1f} s; {len(diffs)} differ")
    for line in diffs[:20]:
        print("  " + line)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
