"""The pipeline: normalize → features → classify (context-free) → decode (context) → metadata.

``extract`` reads top to bottom like the table of contents of the package.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from zhengwen import classify, decode, metadata, reasons
from zhengwen.decode import STACK_NAMES
from zhengwen.features import ALL_NAMES
from zhengwen.model import Document, Label, Line
from zhengwen.normalize import feature_text, split_lines
from zhengwen.options import DEFAULT, Options


def extract(text: str, options: Options | None = None, **overrides: Any) -> Document:
    """Label every line of a page's scraped text and collect its body and metadata.

    Takes the page as one ``str``, one text node per line. Gives a ``Document``
    whose ``lines`` has one entry per input line, in order.
    """
    opts = options or DEFAULT
    if overrides:
        opts = opts.override(**overrides)
    raw = split_lines(text)
    folded = [feature_text(line, opts.max_line_chars) for line in raw]
    page = decode.decide(folded, opts.threshold, _models())
    why = reasons.explain(folded, page)
    lines = [
        Line(i, raw[i], page.labels[i], float(page.body_belief[i]), why[i]) for i in range(len(raw))
    ]
    meta = metadata.collect(lines)
    body = "\n".join(line.text for line in lines if line.label is Label.BODY)
    return Document(
        title=meta.title,
        date=meta.date,
        source=meta.source,
        authors=meta.authors,
        editors=meta.editors,
        body=body,
        lines=lines,
        reasons=Counter(why),
    )


@cache
def _models() -> tuple[classify.Classifier, classify.Classifier]:
    """The shipped models, checked against the features this code computes."""
    first, second = classify.load("pass1"), classify.load("pass2")
    for model, names in ((first, ALL_NAMES), (second, ALL_NAMES + STACK_NAMES)):
        if model.features != names:
            raise RuntimeError(
                "the packaged model was trained on other features than this code computes; "
                "refit it with tools/train.py --export"
            )
    return first, second


def clean(text: str, options: Options | None = None, **overrides: Any) -> str:
    """The body text of a page alone (``extract(...).body``)."""
    return extract(text, options, **overrides).body
