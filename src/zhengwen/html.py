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

Parsing uses lxml (libxml2's HTML parser) with no network access. libxml2's
HTML parser loads no DTD and expands no external entities (lxml's
``resolve_entities`` switch exists only for XML). ``huge_tree`` is on: in HTML
it only lifts libxml2's caps on text-node size (10 MB) and nesting depth
(256), since without it a long page is silently cut short; the memory used
stays in proportion to the input. A page nested deeper than libxml2 will go
(2048 open elements even with ``huge_tree``; an old page's unclosed
``<font>`` tags get there) makes libxml2 stop reading; such a page is read
again by :class:`_FlatReader`, a tokenizer that keeps no tree.
"""

from __future__ import annotations

import codecs
import dataclasses
import html.parser
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lxml import etree

    from zhengwen.io import Decoded
    from zhengwen.model import Document
    from zhengwen.options import Options

# Elements whose text is not page text: code and style, fallbacks for no-script
# browsers, inert templates, and SVG drawings, whose <text> and <title> are
# chart labels and icon names (the dev gold leaves them out).
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

# Elements that make no end tag (for the flat reader, which keeps its own stack).
VOID_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip

# After the first construct that never ends (a comment, tag or quote left open),
# the stdlib tokenizer's end-of-input mode searches from every later "<" to the
# end of the page: quadratic. The flat reader reads that rest in windows of
# about this many characters, each cut just before a "<", so no search passes
# its window; only a single tag longer than this is cut in two.
FLAT_TAIL_WINDOW = 2048

# Elements that may sit in <head>: any other start tag ends the head (flat reader).
HEAD_TAGS = frozenset({"base", "link", "meta", "noscript", "script", "style", "template", "title"})

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
_BODY_TAG = re.compile(r"<body[\s/>]", re.IGNORECASE)
_TITLE_TAG = re.compile(r"<title[\s/>]", re.IGNORECASE)
# The head's tokens that matter to _head_titles, and the ends of the first two.
_HEAD_TOKEN = re.compile(r"<!--|<script\b|<title[\s/>]", re.IGNORECASE)
_COMMENT_END = re.compile(r"-->")
_SCRIPT_END = re.compile(r"</script\s*>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SPACES = re.compile(r"\s+")


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
    ``parser`` is ``"lxml"``, or ``"flat"`` for a page too deep for libxml2.
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
    collected = _read_lxml(text)
    if collected is None:
        collected = _read_flat(text)
    lines = [line for line, _, _ in collected.nodes]
    return HtmlPage(
        text="\n".join(lines),
        lines=lines,
        link_chars=[len(line) if in_link else 0 for line, _, in_link in collected.nodes],
        block=[block for _, block, _ in collected.nodes],
        title=_folded(collected.title),
        h1=_folded(collected.h1),
        encoding=encoding,
        parser=collected.parser,
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
    from zhengwen.features import Markup

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
    declared = [(_codec(label), source) for label, source in _declared_labels(data, content_type)]
    strong = [(name, source) for name, source in declared if name and name not in WEAK_LABELS]
    if not data.isascii() and is_utf8(data):
        # Legacy multi-byte text is next to never valid UTF-8, and a single-byte
        # codec reads anything: bytes that are valid UTF-8 with non-ASCII text
        # in them are UTF-8, whatever a template's <meta> says.
        says_utf8 = [source for name, source in strong if name == "utf-8"]
        return decode_with(data, "utf-8", says_utf8[0] if says_utf8 else "utf-8")
    allowed_bad = max(1.0, MAX_BAD_PER_KB * len(data) / 1000)
    for name, source in dict.fromkeys(strong):
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


def _codec(label: str) -> str | None:
    """Python's name for the codec a charset label means to browsers, or ``None``.

    Only labels of the WHATWG Encoding Standard count
    (:func:`zhengwen.lexicon.charset_labels`); ``None`` too for a codec that
    cannot read arbitrary bytes (:func:`zhengwen.io.check_encoding`).
    """
    from zhengwen.io import check_encoding
    from zhengwen.lexicon import charset_labels

    name = charset_labels().get(label.strip().lower())
    if name is None:
        return None
    try:
        return check_encoding(name)
    except LookupError:
        return None


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Collected:
    """What one reader took from a page: (line, block, in_link) per line, title, h1."""

    nodes: list[tuple[str, str, bool]]
    title: str | None
    h1: str | None
    parser: str


def _split_node(text: str | None) -> list[str]:
    """The lines of one text node: stripped whole, split at line breaks, blank pieces dropped."""
    if not text:
        return []
    text = text.strip()
    return _split_stripped(text) if text else []


def _split_stripped(text: str) -> list[str]:
    """:func:`_split_node` for text already stripped and not empty."""
    if "\n" not in text and "\r" not in text:
        return [text]
    return [piece for piece in _LINE_BREAK.split(text) if piece.strip()]


def _folded(text: str | None) -> str | None:
    if text is None:
        return None
    text = _SPACES.sub(" ", text).strip()
    return text or None


def _read_lxml(text: str) -> _Collected | None:
    """The page read with lxml; ``None`` when libxml2 gave up on its depth."""
    from lxml import etree

    parser = etree.HTMLParser(
        encoding="utf-8",
        no_network=True,
        remove_comments=False,
        remove_pis=False,
        huge_tree=True,
        default_doctype=False,
    )
    root = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        return None
    if root is None:  # nothing parseable: an empty page, or comments only
        return _Collected([], None, None, "lxml")
    titles = _titles_outside_svg(root)
    body = root.find("body")
    nodes = _walk(
        body if body is not None else root,
        skip_head=body is None,
        text_titles=set(titles[_head_titles(text) :]),
    )
    return _Collected(
        nodes,
        title=_all_text(titles[0]) if titles else None,
        h1=_all_text(root.find(".//h1")),
        parser="lxml",
    )


def _titles_outside_svg(root: etree._Element) -> list[etree._Element]:
    """The ``<title>`` elements not inside an ``<svg>``, in document order.

    One walk that skips every ``<svg>`` subtree: each element is visited at
    most once, whatever the depth (asking each title for its ancestors costs
    depth × titles).
    """
    from lxml import etree

    titles = []
    walk = etree.iterwalk(root, events=("start",))
    for _, element in walk:
        if element.tag == "svg":
            walk.skip_subtree()
        elif element.tag == "title":
            titles.append(element)
    return titles


def _head_titles(text: str) -> int:
    """How many ``<title>`` tags come before the page's first ``<body`` tag in the source.

    All of them when the page has no ``<body`` tag. Comments and scripts
    are left out of the count: a ``<title`` in them is no element.
    """
    found = _BODY_TAG.search(text)
    head = text if found is None else text[: found.start()]
    # One pass, each character reached a bounded number of times: an opening
    # with no end (``<!--`` repeated) is searched to the end once, not once
    # per opening, since no later opening can find an end either. As for a
    # regex that removes ``<!--.*?-->|<script.*?</script>``, an opening with
    # no end is left alone, and a ``<title`` after it counts.
    ends = {"<!--": _COMMENT_END, "<script": _SCRIPT_END}
    count = pos = 0
    while (token := _HEAD_TOKEN.search(head, pos)) is not None:
        pos = token.end()
        kind = token.group().lower()
        end_pattern = ends.get(kind[:7])  # "<!--" or "<script"
        if end_pattern is None:
            count += 1
            continue
        closed = end_pattern.search(head, pos)
        if closed is None:
            del ends[kind[:7]]  # no later opening has an end either
            continue
        pos = closed.end()
    return count


def _all_text(element: etree._Element | None) -> str | None:
    """The text under ``element`` (comments and its own tail left out)."""
    if element is None:
        return None
    from lxml import etree

    return str(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def _walk(
    top: etree._Element, skip_head: bool, text_titles: set[etree._Element]
) -> list[tuple[str, str, bool]]:
    """(line, block, in_link) for every text node under ``top``, in document order.

    Uses lxml's ``iterwalk`` (no Python recursion, whatever the depth). A
    text node's context is its parent element's: ``el.text`` sits in ``el``,
    ``el.tail`` in ``el``'s parent. A ``<title>`` counts as text only when it
    is one of ``text_titles``, those after the page's ``<body`` tag in the
    source: a document pasted into the body keeps its title, as a scraper
    that parses in source order keeps it, while the page's own title, which
    libxml2 moves into the body when stray text or an unknown tag precedes
    ``<head>``, stays out.
    """
    from lxml import etree

    skipped = SKIPPED_TAGS | {"head"} if skip_head else SKIPPED_TAGS
    top_block = top.tag if isinstance(top.tag, str) and top.tag in BLOCK_TAGS else "body"
    nodes: list[tuple[str, str, bool]] = []
    # (block, in_link) of every open element, the context its text nodes get.
    context: list[tuple[str, bool]] = [(top_block, False)]
    walk = etree.iterwalk(top, events=("start", "end", "comment", "pi"))
    for event, element in walk:
        if event == "start":
            tag = element.tag
            block, in_link = context[-1]
            if tag in skipped or (tag == "title" and element not in text_titles):
                walk.skip_subtree()  # its "end" still comes, for its tail
                context.append((block, in_link))
                continue
            if tag in BLOCK_TAGS:
                block = tag
            in_link = in_link or tag == "a"
            context.append((block, in_link))
            text = element.text
        else:
            if event == "end":
                context.pop()
            # a comment or processing instruction: its tail only
            block, in_link = context[-1]
            text = element.tail if element is not top else None
        if text:  # most text nodes are indentation: test before splitting
            text = text.strip()
            if text:
                nodes.extend((line, block, in_link) for line in _split_stripped(text))
    return nodes


def _read_flat(text: str) -> _Collected:
    """The page read by :class:`_FlatReader` (no tree, no depth limit).

    The standard library's tokenizer raises ``AssertionError`` on some
    malformed declarations (``<![<![``); :class:`_FlatReader` reads those as
    text, and should another slip through, the lines read before it are kept.
    """
    reader = _FlatReader()
    try:
        reader.feed(text)
        reader.close()
    except AssertionError:
        pass
    return _Collected(reader.nodes, reader.title, reader.h1, "flat")


class _FlatReader(html.parser.HTMLParser):
    """Text nodes from the standard library's tokenizer, with a stack of open tags.

    For pages deeper than libxml2 reads. An end tag closes the nearest open
    element of its name and everything opened after it; an end tag with no
    open element of its name is ignored. ``<head>`` ends at ``<body>`` or at
    the first element that cannot sit in a head, as in a browser; text inside
    the head is not page text. ``<title>`` is page text only after a
    ``<body>`` tag (see :func:`_walk`). Every tag costs amortised constant
    time, whatever the depth.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[tuple[str, str, bool]] = []
        self.title: str | None = None
        self.h1: str | None = None
        self._stack: list[str] = []
        self._open: dict[str, int] = {}
        self._blocks: list[int] = []  # stack positions of open block elements
        self._body_tag_seen = False
        self._title_parts: list[str] | None = None
        self._h1_parts: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._body_tag_seen = True
        if self._open.get("head") and tag not in HEAD_TAGS:
            self._close("head")
        if tag == "title" and self.title is None and self._title_parts is None:
            self._title_parts = []
        if tag == "h1" and self.h1 is None and self._h1_parts is None:
            self._h1_parts = []
        if tag in VOID_TAGS:
            return
        if tag in BLOCK_TAGS:
            self._blocks.append(len(self._stack))
        self._stack.append(tag)
        self._open[tag] = self._open.get(tag, 0) + 1

    def parse_html_declaration(self, i: int) -> int:
        """The tokenizer's reading of ``<!...``; a declaration it rejects is text."""
        try:
            return super().parse_html_declaration(i)  # type: ignore[no-any-return]
        except AssertionError:  # "expected name token", "unexpected '[' char"
            return -1  # what the tokenizer does with a tag it cannot finish

    def close(self) -> None:
        """Read what :meth:`feed` left (from a construct that never ends) window by window.

        See :data:`FLAT_TAIL_WINDOW`. Inside a script or style left open,
        the text of a window is dropped (it is no page text) and the search for
        its end tag goes on in the next window.
        """
        rest, self.rawdata = self.rawdata, ""
        pos = 0
        while pos < len(rest):
            end = pos + FLAT_TAIL_WINDOW
            if end < len(rest):
                cut = rest.rfind("<", pos + 1, end)
                end = cut if cut > pos else end
            self.rawdata += rest[pos:end]
            self.goahead(True)  # type: ignore[attr-defined]
            if self.cdata_elem:  # type: ignore[attr-defined]
                self.rawdata = ""
            pos = end
        super().close()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._title_parts is not None:
            self.title, self._title_parts = "".join(self._title_parts), None
        if tag == "h1" and self._h1_parts is not None:
            self.h1, self._h1_parts = "".join(self._h1_parts), None
        self._close(tag)

    def _close(self, tag: str) -> None:
        """Close the nearest open ``tag`` and all opened after it; no-op if none is open."""
        if not self._open.get(tag):
            return
        while self._stack:
            closed = self._stack.pop()
            self._open[closed] -= 1
            if self._blocks and self._blocks[-1] >= len(self._stack):
                self._blocks.pop()
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._title_parts is not None:
            self._title_parts.append(data)
        if self._h1_parts is not None:
            self._h1_parts.append(data)
        if self._open.get("head") or any(self._open.get(tag) for tag in SKIPPED_TAGS):
            return
        if self._open.get("title") and not self._body_tag_seen:
            return
        block = self._stack[self._blocks[-1]] if self._blocks else "body"
        in_link = bool(self._open.get("a"))
        for line in _split_node(data):
            self.nodes.append((line, block, in_link))
