"""Title, date, source, authors and editors, read from the labelled lines.

Takes the page's ``Line`` list after decoding and gives a ``Metadata``. The
fields are looked for in the lines labelled ``meta`` first, then in the lines
near the title; a key whose value is on the next line (``来源：`` / ``新华网``)
takes that line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

from zhengwen import lexicon
from zhengwen.model import Label, Line
from zhengwen.normalize import decoded

NEAR_TITLE = 6  # lines after the title searched for a date when no meta line has one
MAX_VALUE_CHARS = 30  # a source or name list longer than this is prose, not a value
MAX_NAME_CHARS = 12

_DATE = regex.compile(
    r"(?<!\d)((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
    r"(?:[T\s]*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
_KEY_END = r"\s*[:：︰]?\s*"
_SOURCE = regex.compile(r"(?:来源|來源|稿源|出处|出處|信息来源|本文来源|本文來源)" + _KEY_END)
_EDITOR = regex.compile(
    r"(?:责任编辑|責任編輯|实习编辑|編輯|编辑|责编|責編)"
    + r"\s*[:：︰]\s*|(?:责任编辑|責任編輯|责编|責編)\s*"
)
_AUTHOR = regex.compile(
    r"(?:作者|记者|記者|撰文|撰稿|采写|採寫|文)\s*[:：︰/／]\s*(?:记者|記者)?\s*|(?:记者|記者|作者)\s*"
)
# What ends a value: another key, a bracket, a separator, a date.
_VALUE_END = regex.compile(
    r"\s{2,}|[|｜丨·•/／]|[（(【\[]|(?:来源|來源|作者|记者|記者|编辑|編輯|责任编辑|責任編輯|时间|時間|发布|發布|日期|浏览|瀏覽|阅读|閱讀|字号|字號)\s*[:：]|(?:19|20)\d\d[-/.年]"
)
_NAME_SPLIT = regex.compile(r"[\s、，,;；]+")
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

    __slots__ = ("_done", "_lines")

    def __init__(self, lines: list[Line]) -> None:
        self._lines = lines
        self._done: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i: int) -> str:
        text = self._done.get(i)
        if text is None:
            text = self._done[i] = decoded(self._lines[i].text)
        return text


def _value_after(key: regex.Pattern[str], texts: _Decoded, i: int) -> str | None:
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


def _candidate_rows(lines: list[Line], title_rows: list[int]) -> Iterable[int]:
    meta = [ln.index for ln in lines if ln.label is Label.META]
    yield from meta
    if title_rows:
        start = title_rows[-1] + 1
        for i in range(start, min(start + NEAR_TITLE, len(lines))):
            if lines[i].label is not Label.META:
                yield i


def collect(lines: list[Line]) -> Metadata:
    """Metadata of a page from its labelled lines."""
    title_rows = [ln.index for ln in lines if ln.label is Label.TITLE]
    texts = _Decoded(lines)
    title = " ".join(texts[i].strip() for i in title_rows) or None
    out = Metadata(title=title)
    for i in _candidate_rows(lines, title_rows):
        text = texts[i]
        if out.date is None:
            out.date = parse_date(text)
        if out.source is None:
            out.source = _value_after(_SOURCE, texts, i)
        if not out.editors:
            out.editors = _names(_value_after(_EDITOR, texts, i))
        if not out.authors and _EDITOR.search(text) is None:
            out.authors = _names(_value_after(_AUTHOR, texts, i))
    if not out.authors and title_rows:
        out.authors = _byline(lines, title_rows[-1])
    return out


def _byline(lines: list[Line], title_row: int) -> list[str]:
    """The author named alone on the first line of text under the title (胡平), if any."""
    for line in lines[title_row + 1 :]:
        name = "".join(decoded(line.text).split())
        if not name:
            continue
        if line.label is Label.META and lexicon.is_bare_name(name):
            return [name]
        return []
    return []
