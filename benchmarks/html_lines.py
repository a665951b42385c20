"""How closely ``zhengwen.html.html_to_page`` reproduces the dev set's scraped lines.

For every ``dev/html/<page>.html`` beside a ``dev/gold/<page>.tsv``, the page's
``lines`` are compared with the gold TEXT column, both whitespace-normalised
(runs of whitespace folded to one space, ends stripped, empty lines dropped).
Prints the share of pages whose lines match exactly and the mean line-level
agreement (2·matched / (ours + gold), matched lines from an in-order alignment),
and, with ``--per-page``, each page that differs.

    .venv/bin/python benchmarks/html_lines.py [--dev ../shared/eval/dev] [--per-page]
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import time
from pathlib import Path

from zhengwen.html import html_to_page

_SPACES = re.compile(r"\s+")
DEFAULT_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev"


def normalised(lines: list[str]) -> list[str]:
    """``lines`` with whitespace runs folded to one space, stripped, empties dropped."""
    out = (_SPACES.sub(" ", line).strip() for line in lines)
    return [line for line in out if line]


def gold_lines(path: Path) -> list[str]:
    """The TEXT column of a ``LABEL<TAB>TEXT`` gold file."""
    rows = path.read_text(encoding="utf-8").split("\n")
    return [row.partition("\t")[2] for row in rows if row]


def agreement(ours: list[str], gold: list[str]) -> float:
    """2·(lines in an in-order alignment) / (len(ours) + len(gold)); 1.0 for two empty pages."""
    if not ours and not gold:
        return 1.0
    matcher = difflib.SequenceMatcher(None, ours, gold, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matched / (len(ours) + len(gold))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="the dev set folder")
    parser.add_argument("--per-page", action="store_true", help="list the pages that differ")
    args = parser.parse_args(argv)
    pages = sorted((args.dev / "html").glob("*.html"))
    pages = [p for p in pages if (args.dev / "gold" / f"{p.stem}.tsv").is_file()]
    if not pages:
        print(f"no pages with gold under {args.dev}", file=sys.stderr)
        return 1
    exact = 0
    scores: list[float] = []
    seconds = 0.0
    for path in pages:
        data = path.read_bytes()
        start = time.perf_counter()
        page = html_to_page(data)
        seconds += time.perf_counter() - start
        ours = normalised(page.lines)
        gold = normalised(gold_lines(args.dev / "gold" / f"{path.stem}.tsv"))
        score = agreement(ours, gold)
        scores.append(score)
        exact += ours == gold
        if args.per_page and ours != gold:
            print(
                f"{path.stem}\t{score:.4f}\tours={len(ours)}\tgold={len(gold)}"
                f"\t{page.encoding}\t{page.parser}"
            )
    print(f"pages: {len(pages)}")
    print(f"lines match exactly: {exact}/{len(pages)} = {exact / len(pages):.1%}")
    print(f"mean line agreement: {sum(scores) / len(scores):.5f}")
    print(f"min line agreement:  {min(scores):.5f}")
    print(f"html_to_page time:   {seconds:.2f} s ({seconds / len(pages) * 1000:.1f} ms a page)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
