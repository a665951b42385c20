"""Fuzz ``zhengwen.html.html_to_page`` on hostile HTML (issue 25's attacks as seeds).

Each input is a mode byte and then the page. Mode ``% 3``: 0, the page as
bytes (decoded as ``html_to_page`` decodes); 1, the page as ``str`` (UTF-8
with replacement); 2, the ``str`` behind 3,000 nested ``<div>`` tags (deeper
than libxml2 read; the core has no depth limit). Checked on every input:
no exception; each line holds text and no line break, and ``text`` is their
join, so that ``extract`` reads exactly these lines (``split_lines(text)`` gives
them back); ``link_chars`` and ``block`` have a value per line (a link share
within the line, a block tag name); the reader is the core's (``rust/src/html.rs``;
a panic there would be a Python exception); bytes name their codec and a reason from
``zhengwen.io.ENCODING_REASONS``. A slow input is libFuzzer's ``-timeout``
finding: the seeds hold the quadratic patterns found before, at sizes that
took seconds.

    python fuzz/fuzz_html.py -max_total_time=600 -timeout=10 out/fuzz/html fuzz/seeds/html
    python fuzz/fuzz_html.py --write-seeds fuzz/seeds/html
    python fuzz/fuzz_html.py --write-seeds out/fuzz/html-full --full  # issue 25's sizes
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_or_write_seeds

with atheris.instrument_imports(include=["zhengwen"], exclude=["zhengwen.classify"]):
    from zhengwen.html import BLOCK_TAGS, html_to_page
    from zhengwen.io import ENCODING_REASONS
    from zhengwen.normalize import split_lines

DEEP = "<div>" * 3000


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0] % 3, data[1:]
    if mode == 0:
        page = html_to_page(body)
        assert page.encoding is not None and page.encoding_reason in ENCODING_REASONS
    else:
        text = body.decode("utf-8", errors="replace")
        page = html_to_page(DEEP + text if mode == 2 else text)
    assert page.parser == "html5ever"
    # Not ``line == line.strip()``: a text node over several source lines gives
    # its pieces as written, inner indentation kept (see ``HtmlPage``); the first
    # run asserted that, and found ``"a\n b"`` within minutes (see SEEDS).
    assert all(line.strip() for line in page.lines), "blank line"
    assert page.text == "\n".join(page.lines)
    assert split_lines(page.text) == page.lines, "a line holds a line break"
    assert len(page.link_chars) == len(page.block) == len(page.lines)
    assert all(0 <= n <= len(line) for n, line in zip(page.link_chars, page.lines))
    assert all(tag in BLOCK_TAGS for tag in page.block)


# Issue 25's attacks, at sizes that took seconds before the fixes (mode byte first).
SEEDS = {
    "comments-no-body": b"\x01<p>x</p>" + b"<!--" * 8000,
    "scripts-no-body": b"\x01<p>x</p>" + b"<script>" * 8000,
    "deep-unclosed-quote": b"\x02" + b"<a b='" * 5000,
    "deep-comments": b"\x02" + b"<!--" * 5000,
    "deep-bad-declaration": b"\x02<p>x</p><![<![",
    "deep-titles": b"\x01" + b"<div>" * 2000 + b"<title>t</title>" * 5000,
    "meta-undefined": b"\x00<meta charset=undefined><p>x</p>",
    "meta-idna": b"\x00<meta charset=idna><p>x</p>",
    "meta-punycode": b"\x00<meta charset=punycode><p>x</p>",
    "utf8-declared-gb2312": b"\x00<meta charset=gb2312><p>" + "中文正文内容，".encode() * 20,
    "utf8-declared-koi8-r": b"\x00<meta charset=koi8-r><p>" + "中文正文内容".encode(),
    "utf8-declared-cp037": b"\x00<meta charset=cp037><p>" + "中文正文内容".encode(),
    "gbk-declared": b"\x00<meta charset=gbk><p>" + "中文正文内容".encode("gbk"),
    # Found by the 30-minute session (minimised): a text node over two source
    # lines, the second indented; its pieces are kept as written (" x").
    "regress-indented-piece": b"<\x00\n x",
}

# The same attacks at the sizes issue 25 reported (0.13 to 0.8 MB), each of which
# took 13 to 32 s before the fixes: written by ``--write-seeds FOLDER --full`` and
# replayed once (``python fuzz/fuzz_html.py -timeout=10 FOLDER/*``), not mutated.
FULL_SEEDS = {
    "full-comments-no-body": b"\x01<p>x</p>" + b"<!--" * 32_000,
    "full-comments-no-body-bytes": b"\x00<p>x</p>" + b"<!--" * 32_000,
    "full-scripts-no-body": b"\x01<p>x</p>" + b"<script>" * 32_000,
    "full-deep-unclosed-quote": b"\x02" + b"<a b='" * 10_000,
    "full-deep-comments": b"\x02" + b"<!--" * 20_000,
    "full-deep-bad-declaration": b"\x02<![<![",
    "full-deep-titles": b"\x01" + b"<div>" * 2_000 + b"<title>t</title>" * 50_000,
}


if __name__ == "__main__":
    run_or_write_seeds(test_one_input, SEEDS, FULL_SEEDS)
