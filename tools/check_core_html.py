"""The compiled core's HTML reading against the Python reading it replaced, on the labelled pages.

The reading before (``src/zhengwen/html.py`` at commit 8721101: lxml, and the
flat reader for pages too deep for libxml2) is taken from git and imported as
a module of its own; the reading now is ``zhengwen.html.html_to_page``. Both
decode the bytes the same way (``decode_html_counted`` did not change).

1. Pages: how many give identical (lines, link_chars, block, title, h1); for
   the others, the lines that differ (difflib opcodes over the lines) and
   which fields differ, worst pages first.
2. What training sees: ``tools/train.py``'s ``aligned_markup`` puts each
   reading's link and block facts on the gold lines; how many gold lines get
   different facts (and how many pages a different title or h1).
3. Speed of ``html_to_page`` (bytes in) before and after, and of resiliparse's
   ``extract_plain_text(main_content=True)`` on the same bytes when installed:
   this process's CPU time a page (``time.process_time``, best of ``--rounds``),
   which holds on a shared machine.

The reading before needs lxml (``pip install lxml``; no longer a dependency).

    .venv/bin/python tools/check_core_html.py [--eval ../shared/eval] [--worst 10]
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

from module_at import module_at

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "8721101"


def reading_before(commit: str = BEFORE) -> ModuleType:
    """``zhengwen/html.py`` as it was at ``commit``, imported as a module of its own."""
    return module_at(commit, "src/zhengwen/html.py", "html_before")


def fields(page: Any) -> tuple[Any, ...]:
    return (page.lines, page.link_chars, page.block, page.title, page.h1)


NAMES = ("lines", "link_chars", "block", "title", "h1")


def differing_lines(old: Any, new: Any) -> int:
    """Lines (line, link, block together) not matched between the readings."""
    a = list(zip(old.lines, old.link_chars, old.block))
    b = list(zip(new.lines, new.link_chars, new.block))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def per_page_ms(reader: Callable[[bytes], object], raw: list[bytes], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for data in raw:
            reader(data)
        best = min(best, time.process_time() - start)
    return best / len(raw) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--worst", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from zhengwen import html as now

    before = reading_before()
    pages = [
        (folder, path)
        for folder in ("dev", "train")
        for path in sorted((args.eval / folder / "html").glob("*.html"))
    ]
    if not pages:
        print(f"no pages under {args.eval}", file=sys.stderr)
        return 1
    raw = [path.read_bytes() for _, path in pages]

    # 1. pages
    identical, diffs = 0, []
    field_counts = dict.fromkeys(NAMES, 0)
    total_lines = 0
    for (folder, path), data in zip(pages, raw):
        old, new = before.html_to_page(data), now.html_to_page(data)
        total_lines += len(old.lines)
        if fields(old) == fields(new):
            identical += 1
            continue
        which = [n for n, a, b in zip(NAMES, fields(old), fields(new)) if a != b]
        for name in which:
            field_counts[name] += 1
        diffs.append((differing_lines(old, new), f"{folder}/{path.stem}", len(old.lines), which))
    print(f"1. pages identical: {identical}/{len(pages)} ({total_lines} lines before)")
    if diffs:
        print(f"   differing pages by field: {field_counts}")
        print(f"   differing lines in all: {sum(d[0] for d in diffs)}")
        for count, name, lines, which in sorted(diffs, reverse=True)[: args.worst]:
            print(f"   {count:5d} of {lines:5d} lines  {name}  {','.join(which)}")

    # 2. the facts training aligns onto the gold lines
    sys.path.insert(0, str(ROOT / "tools"))
    import train

    gold_lines = changed = title_pages = h1_pages = 0
    for folder, path in pages:
        gold = args.eval / folder / "gold" / f"{path.stem}.tsv"
        if not gold.exists():
            continue
        rows = [r for r in gold.read_text(encoding="utf-8").split("\n") if r]
        folded = [
            train.feature_text(r.partition("\t")[2], train.DEFAULT.max_line_chars) for r in rows
        ]
        data = path.read_bytes()
        with mock.patch.object(now, "html_to_page", before.html_to_page):
            old_markup = train.aligned_markup(data, folded)
        new_markup = train.aligned_markup(data, folded)
        gold_lines += len(folded)
        changed += sum(
            (a, b) != (c, d)
            for a, b, c, d in zip(
                old_markup.link_chars, old_markup.block, new_markup.link_chars, new_markup.block
            )
        )
        title_pages += old_markup.title != new_markup.title
        h1_pages += old_markup.h1 != new_markup.h1
    print(
        f"2. gold lines with different link/block facts: {changed}/{gold_lines};"
        f" pages with a different title: {title_pages}, h1: {h1_pages}"
    )

    # 3. speed, one process, best of --rounds
    print(
        f"3. ms a page over {len(raw)} pages ({sum(map(len, raw)) / len(raw) / 1000:.1f} KB mean):"
    )
    print(f"   html_to_page before {per_page_ms(before.html_to_page, raw, args.rounds):7.2f}")
    print(f"   html_to_page now    {per_page_ms(now.html_to_page, raw, args.rounds):7.2f}")
    decode = now.decode_html_counted
    print(f"   decode_html_counted {per_page_ms(decode, raw, args.rounds):7.2f}")
    texts = [decode(data).text for data in raw]
    from zhengwen._core import read_html

    core_ms = per_page_ms(read_html, texts, args.rounds)
    print(f"   _core.read_html     {core_ms:7.2f}  (decoded str in)")
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        print("   resiliparse         not installed")
    else:

        def resiliparse(data: bytes) -> object:
            return extract_plain_text(HTMLTree.parse_from_bytes(data), main_content=True)

        print(f"   resiliparse main    {per_page_ms(resiliparse, raw, args.rounds):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
