"""The pipeline: normalize → features → classify (context-free) → decode (context) → metadata.

``extract`` reads top to bottom like the table of contents of the package.
Features, both passes, the decode and the reasons run in the compiled core in
one call (``engine.extract_page``); nothing on this path loads numpy.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Sequence
from dataclasses import fields
from functools import cache
from itertools import compress

from zhengwen import _core, engine, metadata
from zhengwen.engine import Markup
from zhengwen.html import decode_page, document_from_page, html_to_page, looks_like_html
from zhengwen.io import binary_problem
from zhengwen.model import Document, Label, Line
from zhengwen.normalize import split_lines
from zhengwen.options import DEFAULT, Options

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from typing import Any


def extract(
    page: str | bytes,
    options: Options | None = None,
    *,
    html: bool | None = None,
    template: Sequence[float] | None = None,
    markup: Markup | None = None,
    **overrides: Any,
) -> Document:
    """Label every line of a page and collect its body and metadata.

    Takes the page as ``str`` (scraped text, one text node per line, or
    HTML) or as ``bytes`` (either, decoded as the ``zhengwen`` command
    decodes files: :func:`zhengwen.html.decode_page`). HTML is found as the
    command finds it (:func:`zhengwen.html.looks_like_html`); ``html=True``
    or ``False`` decides instead. HTML is read into page text by
    :func:`zhengwen.html.html_to_page` and decided with its markup
    (:func:`zhengwen.html.document_from_page`). Optionally ``template``:
    per line of page text, the share of the site's other pages that contain
    it (``zhengwen.site.SiteTemplates.shares``), as evidence against body;
    ``markup``: per line of page text, what the page's HTML says
    (``zhengwen.html`` gives it), read by the models trained on HTML pages.
    Gives a ``Document`` whose ``lines`` has one entry per line of page
    text, in order. Raises ``TypeError`` when ``page`` is neither ``str``
    nor ``bytes``, ``ValueError`` for bytes that are binary data.
    """
    text, as_html = _page_text(page, False if markup is not None else html)
    if as_html:
        if markup is not None:
            raise ValueError("markup is for page text; extract(html=True) reads it from the HTML")
        return document_from_page(html_to_page(text), options, template=template, **overrides)
    opts = options or DEFAULT
    if overrides:
        opts = opts.override(**overrides)
    raw = split_lines(text)
    if len(raw) < GC_PAUSE_LINES or not gc.isenabled():
        return _extract(raw, opts, template, markup)
    # A page of many lines makes many small objects (a Line each, and their
    # reasons); the cyclic garbage collector would rescan them again and again
    # as they pile up, which makes time grow faster than the page. None of
    # them forms a cycle, so collection waits until the page is done.
    gc.disable()
    try:
        return _extract(raw, opts, template, markup)
    finally:
        gc.enable()


def _page_text(page: str | bytes, html: bool | None) -> tuple[str, bool]:
    """``extract``'s page as ``str``, and whether it is HTML (``html`` decides unless ``None``)."""
    if isinstance(page, (bytes, bytearray)):
        decoded, as_html = decode_page(bytes(page), html)
        problem = binary_problem(decoded)
        if problem is not None:
            raise ValueError(f"page is {problem}")
        return decoded.text, as_html
    if isinstance(page, str):
        return page, looks_like_html(page) if html is None else html
    raise TypeError(
        "extract() argument 'page' must be str (page text or HTML) or bytes, "
        f"not {type(page).__name__}"
    )


def _extract(
    raw: list[str], opts: Options, template: Sequence[float] | None, markup: Markup | None
) -> Document:
    # normalize.feature_text of every line, in one call to the core.
    folded = _core.fold_lines(raw, opts.max_line_chars)
    shares = None
    if template is not None:
        shares = [float(s) for s in template]
        if len(shares) != len(raw):
            raise ValueError(f"template has {len(shares)} shares for {len(raw)} lines")
    if markup is not None and not (len(markup.link_chars) == len(markup.block) == len(raw)):
        raise ValueError(f"markup has {len(markup.block)} lines for {len(raw)} lines of text")
    html = markup is not None
    # The headline ranker was fitted on the text path's beliefs; the HTML
    # path's models read <title> and <h1> and choose better on their own.
    ranker = None if html else engine.ranker()
    codes, body_belief, _, why = engine.extract_page(folded, opts.threshold, shares, markup, ranker)
    # Line(i, raw[i], _LABELS[codes[i]], body_belief[i], why[i]) for each line,
    # made in the core: a frozen dataclass's __init__ costs more than the page's decode.
    lines = _core.new_lines(Line, _LINE_FIELDS, raw, _LABELS, codes, body_belief, why)
    meta = metadata.read(raw, list(map(_LABELS.__getitem__, codes)))
    body = "\n".join(compress(raw, [code == _BODY for code in codes]))
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


GC_PAUSE_LINES = 5_000  # pages with at least this many lines run with the collector paused
_LABELS = tuple(Label(c) for c in engine.CLASSES)  # the core's class indices, as labels
_BODY = _LABELS.index(Label.BODY)
_LINE_FIELDS = tuple(f.name for f in fields(Line))


@cache
def _models(html: bool = False) -> tuple[Any, Any]:
    """The shipped models (text path, or HTML path) as ``classify`` wraps them (numpy API).

    Checked against the features computed (``engine.models``); for the tools
    and tests that hand them to ``decode.decide``.
    """
    from zhengwen import classify

    suffix = "-html" if html else ""
    engine.models(html)
    return classify.load("pass1" + suffix), classify.load("pass2" + suffix)


def clean(
    page: str | bytes,
    options: Options | None = None,
    *,
    html: bool | None = None,
    template: Sequence[float] | None = None,
    **overrides: Any,
) -> str:
    """The body text of a page alone (``extract(...).body``; takes what ``extract`` takes)."""
    return extract(page, options, html=html, template=template, **overrides).body
