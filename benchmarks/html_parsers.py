"""Parser speed on the dev pages: ``zhengwen.html``'s reader (the compiled core) against others.

Every ``dev/html/*.html`` is decoded once up front (decoding is the same for
any parser), then each reader runs over all pages ``--rounds`` times; the best
round is reported, in milliseconds a page and MB of HTML a second:

* ``core read_html``: ``zhengwen._core.read_html``, ``zhengwen.html``'s reader
  (html5ever's tokenizer, libxml2's tree rules on a stack, text nodes, link
  and block context, title, h1; ``rust/src/html.rs``);
* ``lxml parse``: libxml2 builds the tree, nothing more (the reader before
  the core; needs lxml, in the ``bench`` extra);
* ``selectolax parse`` / ``selectolax text nodes``: lexbor's HTML5 tree, and
  a text-node walk (needs ``pip install selectolax``; skipped without).

    nice -n 10 .venv/bin/python benchmarks/html_parsers.py [--dev DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhengwen import html as zh_html

DEFAULT_DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev"


def lxml_parse(text: str) -> object:
    from lxml import etree

    parser = etree.HTMLParser(encoding="utf-8", no_network=True, huge_tree=True)
    return etree.fromstring(text.encode("utf-8", errors="replace"), parser)


def core_read_html(text: str) -> object:
    from zhengwen._core import read_html

    return read_html(text)


def _split_node(text: str) -> list[str]:
    return [piece for piece in text.strip().splitlines() if piece.strip()]


def selectolax_parse(text: str) -> object:
    from selectolax.lexbor import LexborHTMLParser  # type: ignore[import-not-found,unused-ignore]

    return LexborHTMLParser(text)


def selectolax_text_nodes(text: str) -> object:
    from selectolax.lexbor import LexborHTMLParser  # type: ignore[import-not-found,unused-ignore]

    tree = LexborHTMLParser(text)
    tree.strip_tags(list(zh_html.SKIPPED_TAGS))
    body: Any = tree.body
    lines: list[str] = []
    if body is not None:
        for node in body.traverse(include_text=True):
            if node.tag == "-text":
                lines.extend(_split_node(node.text_content))
    return lines


def best_round(reader: Callable[[str], object], texts: list[str], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            reader(text)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    raw = [p.read_bytes() for p in sorted((args.dev / "html").glob("*.html"))]
    if not raw:
        print(f"no pages under {args.dev}/html", file=sys.stderr)
        return 1
    texts = [zh_html.decode_html(data)[0] for data in raw]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    readers: dict[str, Callable[[str], object]] = {
        "core read_html": core_read_html,
        "lxml parse": lxml_parse,
        "selectolax parse": selectolax_parse,
        "selectolax text nodes": selectolax_text_nodes,
    }
    print(f"{len(texts)} pages, {megabytes:.1f} MB of HTML (UTF-8), best of {args.rounds}")
    for name, reader in readers.items():
        try:
            seconds = best_round(reader, texts, args.rounds)
        except ImportError as exc:
            print(f"{name:24s} skipped ({exc.name} is not installed)")
            continue
        print(
            f"{name:24s} {seconds / len(texts) * 1000:7.2f} ms a page"
            f" {megabytes / seconds:8.1f} MB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
