"""HTML in, scraped page text out: the one-text-node-per-line input ``extract`` reads.

:func:`html_to_page` takes a page's HTML (bytes as served, or ``str``) and
gives an :class:`HtmlPage`: every non-empty text node of ``<body>`` on its own
line, as ``BeautifulSoup(html).body.get_text("\\n", strip=True)`` would give
it (scripts, styles, ``<noscript>``, ``<template>`` and comments dropped), with
what the text alone loses: how much of each line is link text, the block
element each line sits in, the ``<title>`` and the first ``<h1>``.
:func:`extract_html` runs :func:`zhengwen.extract` on that text
(:func:`document_from_page` for a page already read).

Reading bytes: a byte-order mark decides; else bytes that are valid UTF-8
and carry non-ASCII text are UTF-8, whatever is declared; else the charset
of the HTTP ``Content-Type`` header, then the page's own ``<meta charset>``
or ``<meta http-equiv="Content-Type">``, each believed only when it is a
label browsers know (the WHATWG Encoding Standard's, see
:func:`zhengwen.lexicon.charset_labels`) and the bytes read cleanly in it
(see :data:`MAX_BAD_PER_KB`); else detection (:func:`zhengwen.io.detect`,
charset-normalizer with a preference for Chinese encodings). GBK and GB2312
are read as their superset GB18030. ``Decoded.reason`` says which step chose.

Parsing is the compiled core's (``zhengwen._core.read_html``): html5ever's
tokenizer, which follows the HTML standard (character references, raw text,
scripts, comments), and the tree rules of libxml2 2.14's HTML parser, which the
models were trained on (lxml read the pages then), kept on a stack of open
elements with no tree: every tag costs amortised constant time whatever the
depth, with no depth limit and no recursion, and nothing is fetched (no DTD,
no external entity). See ``rust/src/html.rs``.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from dataclasses import dataclass

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from zhengwen.io import Decoded
    from zhengwen.model import Document
    from zhengwen.options import Options

# Elements whose text is not page text: code and style, fallbacks for no-script
# browsers, inert templates, and SVG drawings, whose <text> and <title> are
# chart labels and icon names (the dev gold leaves them out). The core reads
# by this list and BLOCK_TAGS (rust/src/html.rs); they are kept here as the
# documentation of HtmlPage.
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})

# Elements that start a block of their own in a browser's layout (HTML's
# block-level and table elements, with the old <center>). ``HtmlPage.block``
# names the nearest one around each line; ``body`` when there is none.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center",
        "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hgroup", "hr", "legend", "li", "main", "menu", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip

# How far into a document to look for HTML tags (looks_like_html).
SNIFF_CHARS = 4096

# How far into the bytes to look for a <meta> charset. The HTML standard's
# prescan reads 1024 bytes, but old Chinese pages put long comments and scripts
# first; on the dev pages the latest declaration starts at byte 34,198.
META_SCAN_BYTES = 65_536

# A declared encoding is believed when reading the bytes in it leaves at most
# this many undecodable sequences per 1,000 bytes (and at least one is always
# forgiven): a GBK page with a stray byte keeps its label, a UTF-8 page
# labelled GB2312 (a stream of errors) does not.
MAX_BAD_PER_KB = 1.0

# Labels that servers send by default rather than by knowledge (Apache's
# ``AddDefaultCharset``, HTTP/1.1's old ISO-8859-1 default): a Chinese page
# served with them is common, so they yield to any other declaration and,
# when alone, to detection.
WEAK_LABELS = frozenset({"iso8859-1", "latin-1", "cp1252", "ascii"})

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# [^<>]: a scan stops at the next tag, so a run of unclosed <meta is linear.
_META_CHARSET = re.compile(
    rb"""<meta\b[^<>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|br|table)[\s/>]", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """A page's scraped text and what its HTML says about each line.

    ``lines`` are the non-empty text nodes of ``<body>`` in document order,
    each stripped of surrounding whitespace; a node that spans several source
    lines gives one line per non-blank piece, pieces kept as written (so
    inner indentation stays, as ``get_text("\\n", strip=True)`` keeps it).
    ``text`` is ``"\\n".join(lines)``: what :func:`zhengwen.extract` reads.
    ``link_chars[i]`` is how many characters of ``lines[i]`` sit inside an
    ``<a>`` (all or none: a line is one text node). ``block[i]`` is the tag
    name of the nearest block-level element around ``lines[i]`` (see
    :data:`BLOCK_TAGS`). ``title`` is the ``<title>`` text and ``h1`` the text
    of the first ``<h1>``, whitespace runs folded to one space, ``None`` when
    missing or empty. ``encoding`` is the Python codec the bytes were read
    with, ``None`` when the input was already ``str``, and
    ``encoding_reason`` why (see :data:`zhengwen.io.ENCODING_REASONS`).
    ``parser`` names the reader (``"html5ever"``: see the module docstring).
    """

    text: str
    lines: list[str]
    link_chars: list[int]
    block: list[str]
    title: str | None
    h1: str | None
    encoding: str | None
    parser: str
    encoding_reason: str | None = None


def html_to_page(html: bytes | str, content_type: str | None = None) -> HtmlPage:
    """The scraped text of a page's HTML, one text node per line, with per-line facts.

    Takes the HTML as bytes (decoded as the module docstring says, using the
    HTTP ``content_type`` header value when given) or as ``str``. Gives an
    :class:`HtmlPage`. Never raises on malformed HTML or undecodable bytes.
    """
    reason = None
    if isinstance(html, bytes):
        decoded = decode_html_counted(html, content_type)
        text, encoding, reason = decoded.text, decoded.encoding, decoded.reason
    else:
        text, encoding = html, None
    from zhengwen._core import HTML_PARSER, read_html

    lines, link_chars, block, title, h1 = read_html(text)
    return HtmlPage(
        text="\n".join(lines),
        lines=lines,
        link_chars=link_chars,
        block=block,
        title=title,
        h1=h1,
        encoding=encoding,
        parser=HTML_PARSER,
        encoding_reason=reason,
    )


def extract_html(
    html: bytes | str,
    content_type: str | None = None,
    options: Options | None = None,
    **overrides: Any,
) -> Document:
    """:func:`zhengwen.extract` on the page text of ``html``.

    Takes what :func:`html_to_page` takes, plus ``extract``'s options. Gives
    the ``Document`` of :func:`document_from_page`.
    """
    return document_from_page(html_to_page(html, content_type), options, **overrides)


def document_from_page(
    page: HtmlPage,
    options: Options | None = None,
    *,
    template: Sequence[float] | None = None,
    **overrides: Any,
) -> Document:
    """:func:`zhengwen.extract` on ``page.text`` with the page's HTML facts.

    The lines are decided by the models trained on HTML pages, which also
    read each line's link density, block tag and ``<h1>``/``<title>`` match
    (``zhengwen.features.HTML_NAMES``). A page without a single link is read
    by the text models instead: every real page has links (menus, related
    lists), and the HTML models, fitted on real pages, would take a page whose
    links were stripped for all article. ``template`` is as for ``extract``.
    Gives ``extract``'s ``Document``; when the text gives no title, the title
    is the page's first ``<h1>``, else its ``<title>``.
    """
    from zhengwen.core import extract
    from zhengwen.engine import Markup

    markup = None
    if any(page.link_chars):
        markup = Markup(page.link_chars, page.block, page.title, page.h1)
    doc = extract(page.text, options, html=False, template=template, markup=markup, **overrides)
    if doc.title is None:
        fallback = page.h1 or page.title
        if fallback is not None:
            doc = dataclasses.replace(doc, title=fallback)
    return doc


def looks_like_html(text: str | bytes) -> bool:
    """Whether a document is HTML rather than page text: an HTML tag in its first bytes.

    Looks at the first :data:`SNIFF_CHARS` characters for a doctype or one of
    the tags every page has (``html``, ``head``, ``body``, ``meta``,
    ``title``) or most have (``div``, ``p``, ``br``, ``table``). Bytes are
    read as Latin-1 (the tags are ASCII in any encoding a page is served in),
    or as UTF-16 after a UTF-16 byte-order mark.
    """
    if isinstance(text, bytes):
        if text.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = text[: 2 * SNIFF_CHARS + 2].decode("utf-16", errors="replace")
        else:
            text = text[:SNIFF_CHARS].decode("latin-1")
    return _HTML_TAG.search(text[:SNIFF_CHARS]) is not None


# --------------------------------------------------------------------------- decoding


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The text of an HTML page's bytes and the codec that read them.

    Order: byte-order mark; valid UTF-8 with non-ASCII text; the
    ``Content-Type`` header's charset; the page's ``<meta>`` charset (weak
    labels ignored, see :data:`WEAK_LABELS`), each only if browsers know the
    label and it reads the bytes cleanly enough (:data:`MAX_BAD_PER_KB`);
    else detection. Bad bytes become U+FFFD; never raises.
    """
    decoded = decode_html_counted(data, content_type)
    return decoded.text, decoded.encoding


def decode_html_counted(data: bytes, content_type: str | None = None) -> Decoded:
    """:func:`decode_html`'s reading as a :class:`zhengwen.io.Decoded`, replacements counted.

    ``Decoded.reason`` says which step chose the codec: ``bom``,
    ``http-header``, ``meta``, ``utf-8`` or ``detected``
    (:data:`zhengwen.io.ENCODING_REASONS`).
    """
    from zhengwen.io import decode_with, detect, is_utf8

    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            # The mark picks the codec and stays in the text as U+FEFF, as a
            # scraper that decodes with the same codec keeps it.
            return decode_with(data, bom_codec, "bom")
    declared = [
        (_codec(label, source == "http-header"), source)
        for label, source in _declared_labels(data, content_type)
    ]
    strong = [(name, source) for name, source in declared if name and name not in WEAK_LABELS]
    if not data.isascii() and is_utf8(data):
        # Legacy multi-byte text is next to never valid UTF-8, and a single-byte
        # codec reads anything: bytes that are valid UTF-8 with non-ASCII text
        # in them are UTF-8, whatever a template's <meta> says.
        says_utf8 = [source for name, source in strong if name == "utf-8"]
        return decode_with(data, "utf-8", says_utf8[0] if says_utf8 else "utf-8")
    allowed_bad = max(1.0, MAX_BAD_PER_KB * len(data) / 1000)
    for name, source in dict.fromkeys(strong):
        if name.startswith("utf-16") and b"\0" not in data:
            # HTML in UTF-16 has its markup's high bytes 0: bytes with no NUL
            # are not UTF-16, whatever the header says (they read without error).
            continue
        decoded = decode_with(data, name, source)
        if decoded.replaced <= allowed_bad:
            return decoded
    return decode_with(data, *detect(data))


def decode_page(
    data: bytes, html: bool | None = None, encoding: str | None = None
) -> tuple[Decoded, bool]:
    """A page file's bytes as text, and whether the page is HTML.

    ``html`` decides (``None``: :func:`looks_like_html`). HTML is read as
    :func:`decode_html_counted` reads it, page text as
    :func:`zhengwen.io.decode` does; ``encoding`` overrides both. This is how
    the command line and :func:`zhengwen.extract` read bytes. Raises
    ``LookupError`` for an unknown ``encoding``; never for bad bytes.
    """
    from zhengwen.io import decode

    as_html = looks_like_html(data) if html is None else html
    if as_html and encoding is None:
        return decode_html_counted(data), True
    return decode(data, encoding), as_html


def _declared_labels(data: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(label, where) for the charset in the header value, then each in the page's ``<meta>`` tags.

    ``where`` is ``http-header`` or ``meta``.
    """
    labels = []
    if content_type:
        found = _HEADER_CHARSET.search(content_type)
        if found:
            labels.append((found.group(1), "http-header"))
    for match in _META_CHARSET.finditer(data, 0, META_SCAN_BYTES):
        labels.append((match.group(1).decode("ascii"), "meta"))
    return labels


def _codec(label: str, transport: bool = False) -> str | None:
    """Python's name for the codec a charset label means to browsers, or ``None``.

    Only labels of the WHATWG Encoding Standard count
    (:func:`zhengwen.lexicon.charset_labels`; ``transport``: the label is an
    HTTP header's); ``None`` too for a codec that cannot read arbitrary bytes
    (:func:`zhengwen.io.check_encoding`).
    """
    from zhengwen.io import check_encoding
    from zhengwen.lexicon import charset_labels

    name = charset_labels(transport).get(label.strip().lower())
    if name is None:
        return None
    try:
        return check_encoding(name)
    except LookupError:
        return None
