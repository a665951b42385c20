"""Title, date, source, authors and editors, read from the labelled lines.

Takes the page's ``Line`` list after decoding and gives a ``Metadata``. The
fields are looked for in the lines labelled ``meta`` first, then in the lines
near the title; a key whose value is on the next line (``来源：`` / ``新华网``)
takes that line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from zhengwen import lexicon
from zhengwen.model import Label, Line
from zhengwen.normalize import WHITE_SPACE, WHITE_SPACE_CHAR, decoded

NEAR_TITLE = 6  # lines after the title searched for a date when no meta line has one
MAX_VALUE_CHARS = 30  # a source or name list longer than this is prose, not a value
MAX_NAME_CHARS = 12

# The standard library's ``re``: its ``\d`` is what ``int`` reads (a digit of a
# newer Unicode than Python's, which the ``regex`` module matched, made
# ``int`` raise); White_Space is ``_S``, one character (``\s`` less U+001C..U+001F).
_S = WHITE_SPACE_CHAR
_DATE = re.compile(
    rf"(?<!\d)((?:19|20)\d\d){_S}*[-/.年]{_S}*(\d{{1,2}}){_S}*[-/.月]{_S}*(\d{{1,2}})(?!\d){_S}*日?"
    rf"(?:(?:T|{_S})*(\d{{1,2}})[:：](\d{{2}})(?:[:：](\d{{2}}))?)?"
)
_KEY_END = rf"{_S}*[:：︰]?{_S}*"
_SOURCE = re.compile(r"(?:来源|來源|稿源|出处|出處|信息来源|本文来源|本文來源)" + _KEY_END)
_EDITOR = re.compile(
    r"(?:责任编辑|責任編輯|实习编辑|編輯|编辑|责编|責編)"
    + rf"{_S}*[:：︰]{_S}*|(?:责任编辑|責任編輯|责编|責編){_S}*"
)
_AUTHOR = re.compile(
    rf"(?:作者|记者|記者|撰文|撰稿|采写|採寫|文){_S}*[:：︰/／]{_S}*(?:记者|記者)?{_S}*"
    rf"|(?:记者|記者|作者){_S}*"
)
# What ends a value: another key, a bracket, a separator, a date. Searched for
# at every position of a value: its White_Space stays a class, which lets the
# search skip to the characters that can start a match (compiled once, 2 ms).
_VALUE_END = re.compile(
    rf"[{WHITE_SPACE}]{{2,}}|[|｜丨·•/／]|[（(【\[]|(?:来源|來源|作者|记者|記者|编辑|編輯|责任编辑|責任編輯"
    rf"|时间|時間|发布|發布|日期|浏览|瀏覽|阅读|閱讀|字号|字號){_S}*[:：]|(?:19|20)\d\d[-/.年]"
)
_NAME_SPLIT = re.compile(rf"(?:[、，,;；]|{_S})+")
_NAME_TRIM = "　 ：:·-—()（）[]【】<>《》\"'“”"


@dataclass
class Metadata:
    """What a page says about its article; ``None``/empty where it says nothing."""

    title: str | None = None
    date: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)


def parse_date(text: str) -> str | None:
    """The first valid date in ``text`` as ISO 8601 (with the time when given).

    Character references (``&nbsp;``) are decoded, and full-width digits and
    separators (２０２２－１１－１４　１６：２８) read as their ASCII forms (NFKC).
    """
    text = decoded(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    for m in _DATE.finditer(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        date = f"{year:04d}-{month:02d}-{day:02d}"
        if m[4] is None:
            return date
        hour, minute, second = int(m[4]), int(m[5]), int(m[6] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return date
        return f"{date}T{hour:02d}:{minute:02d}:{second:02d}"
    return None


class _Decoded:
    """The lines' texts with their character references decoded (``decoded``),
    each decoded when first read: metadata reads a few lines of a page."""

    __slots__ = ("_done", "_texts")

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, i: int) -> str:
        text = self._done.get(i)
        if text is None:
            text = self._done[i] = decoded(self._texts[i])
        return text


def _value_after(key: re.Pattern[str], texts: _Decoded, i: int) -> str | None:
    """The value that follows ``key`` in line ``i`` (or alone on the next line)."""
    m = key.search(texts[i])
    if m is None:
        return None
    rest = texts[i][m.end() :]
    if not rest.strip() and i + 1 < len(texts):
        rest = texts[i + 1]
    rest = rest.strip()
    end = _VALUE_END.search(rest)
    if end is not None:
        rest = rest[: end.start()]
    rest = rest.strip(_NAME_TRIM)
    if not rest or len(rest) > MAX_VALUE_CHARS:
        return None
    return rest


def _names(value: str | None) -> list[str]:
    if not value:
        return []
    names = []
    for part in _NAME_SPLIT.split(value):
        part = part.strip(_NAME_TRIM)
        for prefix in ("记者", "記者", "通讯员", "通訊員", "实习生", "實習生"):
            part = part.removeprefix(prefix)
        if part and len(part) <= MAX_NAME_CHARS:
            names.append(part)
    return list(dict.fromkeys(names))


def _candidate_rows(labels: Sequence[Label], title_rows: list[int]) -> Iterator[int]:
    meta_label = Label.META  # an enum member's lookup costs more than the comparison
    yield from [i for i, label in enumerate(labels) if label is meta_label]
    if title_rows:
        start = title_rows[-1] + 1
        for i in range(start, min(start + NEAR_TITLE, len(labels))):
            if labels[i] is not meta_label:
                yield i


def collect(lines: Sequence[Line]) -> Metadata:
    """Metadata of a page from its labelled lines."""
    return read([line.text for line in lines], [line.label for line in lines])


def read(texts: Sequence[str], labels: Sequence[Label]) -> Metadata:
    """Metadata of a page from its lines' texts and labels (``collect`` without ``Line``s)."""
    title_label = Label.TITLE
    title_rows = [i for i, label in enumerate(labels) if label is title_label]
    decoded_texts = _Decoded(texts)
    title = " ".join(decoded_texts[i].strip() for i in title_rows) or None
    out = Metadata(title=title)
    for i in _candidate_rows(labels, title_rows):
        text = decoded_texts[i]
        if out.date is None:
            out.date = parse_date(text)
        if out.source is None:
            out.source = _value_after(_SOURCE, decoded_texts, i)
        if not out.editors:
            out.editors = _names(_value_after(_EDITOR, decoded_texts, i))
        if not out.authors and _EDITOR.search(text) is None:
            out.authors = _names(_value_after(_AUTHOR, decoded_texts, i))
        if out.date is not None and out.source is not None and out.editors and out.authors:
            break  # every field found: the rows left can change none
    if not out.authors and title_rows:
        out.authors = _byline(texts, labels, title_rows[-1])
    return out


def _byline(texts: Sequence[str], labels: Sequence[Label], title_row: int) -> list[str]:
    """The author named alone on the first line of text under the title (胡平), if any."""
    for i in range(title_row + 1, len(texts)):
        name = "".join(decoded(texts[i]).split())
        if not name:
            continue
        if labels[i] is Label.META and lexicon.is_bare_name(name):
            return [name]
        return []
    return []
