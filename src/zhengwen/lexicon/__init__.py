"""Word lists that name page furniture, loaded from the data files beside this module.

Each ``<kind>.txt`` holds one phrase a line (``#`` starts a comment). The kinds
are fixed: a file that is missing, empty or unknown is an error at load time,
not a silent gap at extraction time.
"""

from __future__ import annotations

import enum
from functools import cache

from zhengwen._data import read_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from typing import Any


class Kind(str, enum.Enum):
    """The kinds of furniture phrase, one data file each."""

    RELATED = "related_header"
    COMMENT = "comment_header"
    PAGER = "pager"
    SHARE = "share"
    NAV = "nav"
    FOOTER = "footer"
    META = "meta_prefix"


def _read(name: str) -> tuple[str, ...]:
    """The phrases of ``<name>.txt``: one a line, ``#`` comments and spaces removed."""
    text = read_text("lexicon", f"{name}.txt")
    words = []
    for raw in text.splitlines():
        word = "".join(raw.split("#", 1)[0].split())
        if word:
            words.append(word)
    if not words:
        raise ValueError(f"lexicon {name}.txt is empty")
    return tuple(dict.fromkeys(words))


@cache
def words(kind: Kind) -> tuple[str, ...]:
    """The phrases of one kind, in file order, without duplicates or spaces."""
    return _read(kind.value)


@cache
def function_chars() -> str:
    """Grammar characters (的 了 在 …) from ``function_chars.txt``, one string."""
    text = read_text("lexicon", "function_chars.txt")
    chars = [c for raw in text.splitlines() for c in raw.split("#", 1)[0].split()]
    if not chars or any(len(c) != 1 for c in chars):
        raise ValueError("function_chars.txt must hold one character a line")
    return "".join(chars)


@cache
def comment_section() -> frozenset[str]:
    """Reader-comment section headers that close an article (``comment_section.txt``)."""
    return frozenset(_read("comment_section"))


# Comment-section headers known by their form rather than their words: a count
# of the comments (3条评论, 共5篇评论, 查看全部13条评论, 《标题》已有1件评论) and a
# prompt to sign in and comment (登录后评论, 登录并评论, 请先登录再发表评论).
# Matched against a whole line's core (``features.line_core``); the bounded
# repeats keep a scan linear. The pattern's text: the core compiles it
# (``engine.decoder``), and ``is_comment_section`` for Python's callers.
COMMENT_WORDS = ("评论", "評論", "留言")
_COMMENTS = "(?:" + "|".join(COMMENT_WORDS) + ")"
_COUNTED = r"\d{1,7}(?:条|條|件|则|則|篇|个|個)" + _COMMENTS
COMMENT_SECTION_FORMS = (
    r"(?:请|請)?先?(?:登录|登入|登陆|登錄|登陸)(?:并|並|后|後|以|再|才能|即可)?"
    r"(?:发表|發表|参与|參與|进行|進行)?"
    + _COMMENTS
    + r"|(?:共|全部|查看全部)?"
    + _COUNTED
    + r"|.{1,60}?(?:已有|共有)"
    + _COUNTED
)


@cache
def _comment_section_forms() -> Any:
    import regex  # only Python's callers (the tools) match here; the core has its own

    return regex.compile(COMMENT_SECTION_FORMS)


def is_comment_section(core: str) -> bool:
    """Whether a line's core heads a reader-comment section: a listed header or a form above."""
    if core in comment_section():
        return True
    # Every form ends in 评论/評論/留言: most lines are out before the pattern runs.
    return core[-2:] in COMMENT_WORDS and _comment_section_forms().fullmatch(core) is not None


@cache
def surnames() -> frozenset[str]:
    """Common Chinese surnames, one or two characters (``surname.txt``)."""
    return frozenset(_read("surname"))


def is_bare_name(folded: str) -> bool:
    """Whether a folded line (no spaces) is a Chinese personal name alone: 胡平, 罗银胜, 欧阳修.

    A known surname followed by one or two Han characters (``\\p{Han}``),
    nothing else. The core decides it (rust/src/reasons.rs), as it does for
    the ``byline`` reason.
    """
    from zhengwen import engine  # engine reads this module's lists

    return bool(engine.reasons().is_bare_name(folded))


@cache
def exact_index() -> dict[str, int]:
    """Each phrase mapped to the bitmask of its kinds (bit ``i`` is ``list(Kind)[i]``)."""
    index: dict[str, int] = {}
    for bit, kind in enumerate(Kind):
        for word in words(kind):
            index[word] = index.get(word, 0) | (1 << bit)
    return index


@cache
def charset_labels(transport: bool = False) -> dict[str, str]:
    """The charset labels browsers know, to the Python codec each is read with.

    From ``whatwg_labels.txt``: ``@ codec`` opens a group of labels (one a
    line, lower case), a label may name its own codec after it. With
    ``transport``, the codecs an HTTP header's labels mean (``@ codec
    transport``: UTF-16 labels are UTF-16 there, UTF-8 in a ``<meta>``). A
    codec Python does not know is an error at load time.
    """
    import codecs

    text = read_text("lexicon", "whatwg_labels.txt")
    table: dict[str, str] = {}
    group: str | None = None
    for raw in text.splitlines():
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        if fields[0] == "@":
            if len(fields) not in (2, 3):
                raise ValueError(f"whatwg_labels.txt: bad line {raw!r}")
            group = codecs.lookup(fields[2] if transport and len(fields) == 3 else fields[1]).name
            continue
        if group is None or len(fields) > 2 or fields[0] != fields[0].lower():
            raise ValueError(f"whatwg_labels.txt: bad line {raw!r}")
        table[fields[0]] = codecs.lookup(fields[1]).name if len(fields) == 2 else group
    return table
