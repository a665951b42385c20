"""Split a page into its lines, and make the folded form that features read.

The input lines are never rewritten: ``split_lines`` returns them exactly, and
``feature_text`` only derives a second form for counting.
"""

from __future__ import annotations

import html
import re

# Unicode's White_Space characters, for a character class: what ``\s`` meant
# when these patterns were written for the ``regex`` module. The standard
# library's ``\s`` also takes the separators U+001C to U+001F, which stay text
# here. (The standard library is used so that a command that reads one page
# does not import ``regex``: 15 ms.)
WHITE_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# One White_Space character, for a pattern: the same characters as
# ``[WHITE_SPACE]``, spelled as ``\s`` without U+001C to U+001F. The class
# costs the standard library about 0.4 ms to compile at each use (a set over
# the whole Basic Multilingual Plane); ``\s`` is a category and costs nothing.
WHITE_SPACE_CHAR = r"(?:(?![\x1c-\x1f])\s)"

# Whitespace of every width, and the invisible characters scrapers leave in
# (zero-width space/joiners, BOM, soft hyphen, word joiner). Full-width
# punctuation is *not* folded: ，。 are evidence.
_INVISIBLE = re.compile(f"[{WHITE_SPACE}\u200b-\u200f\u2028-\u202f\u2060-\u2064\ufeff\u00ad]+")


def count_lines(text: str) -> int:
    """``len(split_lines(text))``, without making the lines (a few passes over ``text``)."""
    if not text:
        return 0
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    return breaks + (not text.endswith(("\n", "\r")))


def split_lines(text: str) -> list[str]:
    """The page's lines, split on LF, CRLF or CR; a final line break adds no line.

    Only these three break a line: Unicode's other separators (U+2028, form
    feed) stay inside their line, as a scraper that wrote them meant.
    """
    if not text:
        return []
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


# Private-use code points: icon-font glyphs (share, menu and arrow icons), and
# the full-width space some GBK pages decode to (U+E5E5). They render as no
# standard character, so a line of nothing else holds no text.
_GLYPHS_ONLY = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]*")


def has_text(folded: str) -> bool:
    """Whether a folded line (``feature_text``) holds any text: not empty, not only icon glyphs."""
    if not folded:
        return False
    first = folded[0]
    if not ("\ue000" <= first <= "\uf8ff" or first >= "\U000f0000"):  # not private use
        return True
    return _GLYPHS_ONLY.fullmatch(folded) is None


# A character reference with its closing semicolon: named, decimal or hex.
_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def _character(match: re.Match[str]) -> str:
    char = html.unescape(match.group())
    # A reference to "&" itself stays: decoding it would make new references
    # of an escaped one (&amp;lt; → &lt;), and decoding twice would differ.
    return match.group() if char == "&" else char


def decoded(line: str) -> str:
    """The line with the HTML character references a scraper left in it decoded.

    ``&nbsp;``, ``&ldquo;`` and ``&#12290;`` are read as the characters they
    name, so that they count as whitespace and punctuation, not as Latin
    letters, and a title or a source does not carry them. Only references
    closed by ``;`` count (``?a=1&copy=2`` in a link stays), and a reference
    to ``&`` stays as written, so decoding once is decoding for good.
    """
    return _REFERENCE.sub(_character, line) if "&" in line else line


def feature_text(line: str, max_chars: int) -> str:
    """The line ``decoded``, without whitespace or invisible characters, cut to ``max_chars``."""
    if len(line) > max_chars:
        line = line[:max_chars]
    return _INVISIBLE.sub("", decoded(line))
