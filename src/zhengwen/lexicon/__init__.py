"""Word lists that name page furniture, loaded from the data files beside this module.

Each ``<kind>.txt`` holds one phrase a line (``#`` starts a comment). The kinds
are fixed: a file that is missing, empty or unknown is an error at load time,
not a silent gap at extraction time.
"""

from __future__ import annotations

import enum
from functools import cache
from importlib import resources


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
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
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
    text = resources.files(__name__).joinpath("function_chars.txt").read_text(encoding="utf-8")
    chars = [c for raw in text.splitlines() for c in raw.split("#", 1)[0].split()]
    if not chars or any(len(c) != 1 for c in chars):
        raise ValueError("function_chars.txt must hold one character a line")
    return "".join(chars)


@cache
def comment_section() -> frozenset[str]:
    """Reader-comment section headers that close an article (``comment_section.txt``)."""
    return frozenset(_read("comment_section"))


@cache
def exact_index() -> dict[str, int]:
    """Each phrase mapped to the bitmask of its kinds (bit ``i`` is ``list(Kind)[i]``)."""
    index: dict[str, int] = {}
    for bit, kind in enumerate(Kind):
        for word in words(kind):
            index[word] = index.get(word, 0) | (1 << bit)
    return index
