"""The result types: every line's Decision, and the Document a page becomes."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class Label(str, enum.Enum):
    """What a line is on the page (the label set of the eval guidelines)."""

    BODY = "body"
    TITLE = "title"
    META = "meta"
    NAV = "nav"
    RELATED = "related"
    PAGER = "pager"
    SHARE = "share"
    FOOTER = "footer"
    COMMENT = "comment"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Decision:
    """A label with the evidence for it.

    ``score`` is the model's probability that the line is article body (0..1);
    ``reason`` is a short code naming the deciding evidence, e.g.
    ``section_header:为你推荐`` or ``between_body_lines``.
    """

    label: Label
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Line:
    """One input line, exactly as it was given, with its decision."""

    index: int
    text: str
    label: Label
    score: float
    reason: str


@dataclass(slots=True)
class Document:
    """What ``extract`` gives back for one page.

    ``body`` is the body lines joined by ``\\n``, each exactly as in the input.
    ``date`` is ISO 8601 (``2022-11-14T16:28:00``, or ``2022-11-14`` when the
    page gives no time). Missing metadata is ``None`` or an empty list.
    ``reasons`` counts the reason codes of all lines.
    """

    title: str | None
    date: str | None
    source: str | None
    authors: list[str]
    editors: list[str]
    body: str
    lines: list[Line]
    reasons: Counter[str] = field(default_factory=Counter)

    def to_dict(self, *, with_lines: bool = True) -> dict[str, object]:
        """A JSON-ready dict (lines as ``{"label", "score", "reason", "text"}``)."""
        out: dict[str, object] = {
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "authors": list(self.authors),
            "editors": list(self.editors),
            "body": self.body,
        }
        if with_lines:
            out["lines"] = [
                {
                    "label": ln.label.value,
                    "score": round(ln.score, 4),
                    "reason": ln.reason,
                    "text": ln.text,
                }
                for ln in self.lines
            ]
        return out
