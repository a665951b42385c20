"""The pipeline entry points (placeholder while the stages are built)."""

from __future__ import annotations

from typing import Any

from zhengwen.model import Document, Label, Line
from zhengwen.options import DEFAULT, Options


def extract(text: str, options: Options | None = None, **overrides: Any) -> Document:
    """Label every line of ``text`` and return the page's Document."""
    opts = (options or DEFAULT).override(**overrides) if overrides else (options or DEFAULT)
    del opts
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    lines = [
        Line(i, t, Label.BODY if len(t) > 40 else Label.OTHER, 0.0, "placeholder")
        for i, t in enumerate(raw)
    ]
    body = "\n".join(ln.text for ln in lines if ln.label is Label.BODY)
    return Document(None, None, None, [], [], body, lines)


def clean(text: str, options: Options | None = None, **overrides: Any) -> str:
    """The body text of ``text`` alone."""
    return extract(text, options, **overrides).body
