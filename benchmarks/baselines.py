"""Baselines and adapters for the benchmark in ``compare.py`` (benchmark-only code).

What is here:

* ``split_lines``: the input lines of a page, split the way zhengwen and the
  eval gold split them (LF, CRLF or CR; a final line break adds no line).
* ``wrap_lines``: a page's text lines as a minimal HTML document, one ``<p>``
  per line, so that HTML extractors can read scraped text.
* ``decode_html``: the bytes of a page's original HTML as ``str``.
* ``lineblock_keep``: the line-block-distribution (行块分布) baseline.
* ``jieba_stoplist`` / ``segment``: a Chinese stoplist and word segmentation
  for jusText, which counts words by whitespace.

Nothing here is imported by zhengwen itself, and nothing heavy runs at import
time: jieba is imported when a function that needs it is first called.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

# --------------------------------------------------------------------------- lines

_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The input lines of ``text``: split on LF, CRLF or CR; a final break adds no line."""
    if text == "":
        return []
    lines = _NEWLINE.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


_WS = re.compile(r"\s+")


def visible_len(line: str) -> int:
    """Characters of ``line`` with all whitespace removed (any script, any width)."""
    return len(_WS.sub("", line))


# --------------------------------------------------------------------------- html wrapping

# Characters that HTML parsers (libxml2 included) drop or choke on; tab is kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_HTML_HEAD = '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"></head>\n<body>\n'
_HTML_TAIL = "</body>\n</html>\n"


def wrap_lines(lines: Sequence[str]) -> str:
    """A minimal HTML document with one ``<p>`` per input line, in order.

    Every line becomes a ``<p>``, blank ones included, so that the n-th ``<p>``
    of ``<body>`` is input line n-1 (``justext`` paragraphs are mapped back to
    lines by their xpath ``/html[1]/body[1]/p[n]``).  There is no ``<title>``:
    the scraped text does not say which line is the headline.
    """
    parts = [_HTML_HEAD]
    for line in lines:
        parts.append("<p>" + html.escape(_CONTROL.sub("", line), quote=False) + "</p>\n")
    parts.append(_HTML_TAIL)
    return "".join(parts)


_P_XPATH = re.compile(r"^/html\[1\]/body\[1\]/p\[(\d+)\]$")


def wrapped_line_index(xpath: str) -> int | None:
    """The input line index of a ``<p>`` of ``wrap_lines``' output, from its xpath."""
    m = _P_XPATH.match(xpath)
    return int(m.group(1)) - 1 if m else None


# --------------------------------------------------------------------------- html decoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Declared Chinese legacy encodings are decoded with their superset: pages that
# say gb2312 routinely hold GBK/GB18030 characters, and big5 pages hold HKSCS ones.
_SUPERSET = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp936": "gb18030",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(name: str) -> str | None:
    name = name.strip().lower()
    name = _SUPERSET.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode an HTML page's bytes; gives ``(text, encoding used)``.

    Order: a BOM; the ``<meta charset>`` (legacy Chinese charsets widened to
    their supersets); UTF-8; GB18030.  The first that decodes strictly wins;
    if none does, the candidate with the fewest replacement characters is used
    with errors replaced.  A leading XML declaration is dropped, since lxml
    refuses ``str`` input that declares an encoding.
    """
    candidates: list[str] = []
    for bom, enc in _BOMS:
        if data.startswith(bom):
            candidates.append(enc)
    m = _META_CHARSET.search(data[:8192])
    if m:
        declared = _codec(m.group(1).decode("ascii", "replace"))
        if declared:
            candidates.append(declared)
    candidates += ["utf-8", "gb18030"]
    seen: list[str] = []
    for enc in candidates:
        if enc in seen:
            continue
        seen.append(enc)
        try:
            return _XML_DECL.sub("", data.decode(enc)), enc
        except UnicodeDecodeError:
            continue
    best = min(seen, key=lambda enc: data.decode(enc, "replace").count("\ufffd"))
    return _XML_DECL.sub("", data.decode(best, "replace")), best + "+replace"


# --------------------------------------------------------------------------- 行块分布

LINEBLOCK_WINDOW = 3
"""Lines per block (k).  Chen Xin's paper and its reference extractor use 3."""

LINEBLOCK_THRESHOLD = 86
"""Block value (non-whitespace characters in k lines) the body must rise above.

86 is the default of Chen Xin's reference extractor (cx-extractor) for k = 3;
it was not re-tuned on the dev set.
"""

LINEBLOCK_MIN_REGION = 5
"""Regions with fewer non-whitespace characters than this are dropped (as in the reference)."""


def lineblock_blocks(lines: Sequence[str], window: int = LINEBLOCK_WINDOW) -> list[int]:
    """Block value of every line: non-whitespace characters of lines i .. i+window-1."""
    lengths = [visible_len(line) for line in lines]
    blocks, running = [], sum(lengths[:window])
    for i in range(len(lengths)):
        blocks.append(running)
        running -= lengths[i]
        if i + window < len(lengths):
            running += lengths[i + window]
    return blocks


def lineblock_regions(
    lines: Sequence[str], window: int = LINEBLOCK_WINDOW, threshold: int = LINEBLOCK_THRESHOLD
) -> list[tuple[int, int]]:
    """Body regions ``(first, last)`` (inclusive line indices) by the line-block distribution.

    Chen Xin's method (基于行块分布函数的通用网页正文抽取, 2007): the block
    value of line i is the text length of the k lines starting at i.  Body
    text is where the block value rises steeply above a threshold; the region
    ends where it falls back.  The original works on tag-stripped HTML, where
    blank lines left by tags make the fall a drop to zero; in scraped text,
    one text node per line, blank lines are rare, so here the region ends at
    the last line whose block is still above the threshold.
    """
    blocks = lineblock_blocks(lines, window)
    regions, start = [], None
    for i, value in enumerate(blocks):
        if value > threshold:
            if start is None:
                start = i
        elif start is not None:
            regions.append((start, i - 1))
            start = None
    if start is not None:
        regions.append((start, len(blocks) - 1))
    return [
        (a, b)
        for a, b in regions
        if sum(visible_len(line) for line in lines[a : b + 1]) >= LINEBLOCK_MIN_REGION
    ]


def lineblock_keep(
    lines: Sequence[str],
    *,
    largest_only: bool = False,
    window: int = LINEBLOCK_WINDOW,
    threshold: int = LINEBLOCK_THRESHOLD,
) -> list[bool]:
    """Which lines the line-block baseline keeps as body.

    ``largest_only=False`` keeps every region, as Chen Xin's reference
    extractor does (it concatenates them); ``True`` keeps only the region with
    the most characters.
    """
    regions = lineblock_regions(lines, window, threshold)
    if largest_only and regions:
        regions = [max(regions, key=lambda r: sum(visible_len(x) for x in lines[r[0] : r[1] + 1]))]
    keep = [False] * len(lines)
    for a, b in regions:
        for i in range(a, b + 1):
            keep[i] = True
    return keep


# --------------------------------------------------------------------------- jusText + jieba

JIEBA_STOPLIST_SIZE = 500
"""Words in the Chinese stoplist: about the size of jusText's English one (503 words)."""

JIEBA_EXCLUDED_POS = frozenset({"nr", "ns", "nt", "nz", "zg"})
"""jieba POS tags left out of the stoplist.

Proper nouns (nr person, ns place, nt organisation, nz other) reflect jieba's
training corpus (湖北, 武汉, 天安门 rank in its top 500), not Chinese; ``zg``
holds garbled dictionary entries (紝, 銆, 鐨: mis-decoded GBK).
"""

_HAN_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


@lru_cache(maxsize=1)
def jieba_stoplist(size: int = JIEBA_STOPLIST_SIZE) -> frozenset[str]:
    """The ``size`` most frequent words of jieba's dictionary, as a jusText stoplist.

    jusText's own stoplists are the most frequent words of each language's
    Wikipedia, content words included (English has "people", "year", "city").
    The analogue here is jieba's ``dict.txt`` (word, corpus frequency, POS) by
    frequency, keeping words made only of Han characters and leaving out the
    POS tags in ``JIEBA_EXCLUDED_POS``.  The top of the list is 了 是 在 和 有
    他 不 我 的 人 也 为 就 这 上 年 中 你 说 一 …
    """
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    entries = []
    with path.open(encoding="utf-8") as f:
        for row in f:
            parts = row.split()
            if len(parts) != 3:
                continue
            word, freq, pos = parts
            if pos in JIEBA_EXCLUDED_POS or not _HAN_ONLY.match(word):
                continue
            entries.append((int(freq), word))
    entries.sort(key=lambda e: (-e[0], e[1]))
    return frozenset(word for _, word in entries[:size])


def init_jieba() -> None:
    """Load jieba's dictionary now (it is otherwise loaded by the first cut) and silence it."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


def segment(text: str) -> str:
    """``text`` with jieba's words separated by single spaces (whitespace collapsed)."""
    import jieba

    return " ".join(w for w in jieba.cut(text) if not w.isspace())
