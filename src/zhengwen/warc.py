"""WARC and WET files in, page records and extracted articles out.

:class:`ArchiveReader` reads a WARC or WET file (plain, gzip, or any
compression fastwarc detects) and yields one :class:`PageRecord` per page:

* ``response`` and ``resource`` records whose payload is HTML (by the HTTP
  ``Content-Type``, else ``WARC-Identified-Payload-Type``, else a look at the
  first bytes) become :attr:`RecordKind.HTML` records, read by
  :func:`zhengwen.html.html_to_page` with the HTTP header's charset;
* WET ``conversion`` records (already text, UTF-8) become
  :attr:`RecordKind.TEXT` records.

Every other record is skipped and counted in ``ArchiveReader.skipped`` by
reason (``type:request``, ``not_html``, ``http_status``, ``lang``...).

A file that breaks off (a download cut short) raises ``OSError`` after the
records before the break: fastwarc itself stops quietly at a cut, so the
reader undoes gzip with Python's :mod:`gzip` (which notices a member cut
short) and checks that each record's block is as long as its
``Content-Length`` says. A ``Content-Length`` fastwarc does not read as it
stands (repeated headers, a value that is no plain number) raises too: it
would take the block as empty and read it as the next record.

The language filter (``lang="zho"``, an ISO 639-3 code as Common Crawl
writes them) keeps a record whose
``WARC-Identified-Content-Language`` header (Common Crawl's CLD2 result, in
WET records; a comma-separated list, largest share first) names ``lang``
first. A record without the header is kept only when ``lang`` is a Chinese
code and its page text passes :func:`looks_chinese`: Han characters make at
least :data:`MIN_HAN_SHARE` of Han characters + Latin words + Hangul
syllables, and kana stay under :data:`MAX_KANA_PER_HAN` per Han character
(Japanese). For other languages, records without the header are kept.

:func:`extract_warc` runs :func:`zhengwen.extract` on every record and yields
one JSON-ready dict each; a record that fails yields an ``error`` instead.

fastwarc is imported when a file is read, not when this module is.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import os
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, BinaryIO

from zhengwen.io import MAX_RECORD_BYTES

if TYPE_CHECKING:
    import regex

    from zhengwen.html import HtmlPage
    from zhengwen.options import Options

# MIME types read as HTML.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# Language codes that ask for the Chinese check on records without a
# language header (ISO 639-3 macrolanguage and individual codes, ISO 639-2/B).
CHINESE_CODES = frozenset({"zho", "chi", "cmn", "yue", "wuu"})

# Share of Han characters among Han characters + Latin words + Hangul
# syllables (a Latin word, not a letter, weighs like one Han character) at or
# above which page text counts as Chinese. The 244 Chinese pages of the eval
# set (dev + unlabeled) score 0.515 at the lowest (a programming article full
# of code), 0.65 or more otherwise; an English page with a Chinese phrase in
# a sidebar scores under 0.05.
MIN_HAN_SHARE = 0.4

# Kana (hiragana + katakana) per Han character above which text is Japanese:
# Japanese prose has about as many kana as kanji, Chinese text almost none
# (none on the eval pages).
MAX_KANA_PER_HAN = 0.1

# How many leading payload bytes to sniff for HTML when no header names a type.
SNIFF_BYTES = 1024
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")

_WANTED_STATUS = range(200, 300)

_GZIP_MAGIC = b"\x1f\x8b"

_HEX_DIGITS = b"0123456789abcdefABCDEF"


class RecordKind(str, enum.Enum):
    """What a record's payload is: a page's HTML, or its text (a WET conversion)."""

    HTML = "html"
    TEXT = "text"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PageRecord:
    """One page of a WARC or WET file.

    ``url``, ``record_id`` and ``date`` are the ``WARC-Target-URI`` (angle
    brackets removed), ``WARC-Record-ID`` and ``WARC-Date`` headers as
    written (``None`` when absent). ``content_type`` is the HTTP
    ``Content-Type`` of a response, else the record's own. ``language`` is
    the ``WARC-Identified-Content-Language`` header, if any. ``payload`` is
    the HTTP body (transfer and content encodings undone) or the WET text,
    as bytes. ``page`` is the HTML read into lines (HTML records), and
    ``text`` the page text ``zhengwen.extract`` reads, one text node per line.
    ``error`` says why the payload could not be read (``text`` is then ``""``).
    """

    url: str | None
    record_id: str | None
    date: str | None
    kind: RecordKind
    content_type: str | None
    language: str | None
    payload: bytes
    page: HtmlPage | None
    text: str
    error: str | None


class ArchiveReader:
    """The page records of one WARC or WET file, in file order.

    Takes a path or a binary stream (never a URL: nothing is fetched) and an
    optional language code (see the module docstring). Iterating gives
    :class:`PageRecord` s and fills ``skipped``, a count of the records passed
    over by reason. A file that stops being a WARC file mid-way raises
    ``OSError`` from the iteration, after the records read so far; a record
    whose HTTP header fastwarc cannot read (over 32 KiB), or whose payload is
    over ``max_bytes`` as stored or once decompressed, is a record with
    ``error``, and the file reads on.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        lang: str | None = None,
        parse_html: bool = True,
        max_bytes: int = MAX_RECORD_BYTES,
    ) -> None:
        self.source = source
        self.lang = check_lang(lang)
        self.parse_html = parse_html
        self.max_bytes = max_bytes
        self.skipped: Counter[str] = Counter()

    def __iter__(self) -> Iterator[PageRecord]:
        from fastwarc.warc import ArchiveIterator

        with ExitStack() as stack:
            stream: BinaryIO
            if isinstance(self.source, (str, os.PathLike)):
                stream = stack.enter_context(open(self.source, "rb"))
            else:
                stream = self.source
            stream = stack.enter_context(_for_fastwarc(stream))
            try:
                for record in ArchiveIterator(stream, parse_http=False):
                    _check_length(record)
                    page = self._page_record(record)
                    _check_complete(record)
                    if page is not None:
                        yield page
            except (EOFError, zlib.error) as exc:  # from the gzip stream: it was cut short
                raise OSError(f"{type(exc).__name__}: {exc}") from exc

    def _page_record(self, record: Any) -> PageRecord | None:
        """The record as a PageRecord, or ``None`` (counted in ``skipped``) when it is no page."""
        from fastwarc.warc import WarcRecordType

        kind_of = record.record_type
        headers = record.headers
        http = False  # whether the block is an HTTP message, its header read
        http_error = None
        if kind_of == WarcRecordType.conversion:
            kind, content_type = RecordKind.TEXT, headers.get("Content-Type")
        elif kind_of in (WarcRecordType.response, WarcRecordType.resource):
            kind, content_type = RecordKind.HTML, headers.get("Content-Type")
            if record.is_http:
                try:  # here, not in the iterator, where a bad header would end the file
                    record.parse_http(auto_decode="none")
                except OSError as exc:  # e.g. a header over fastwarc's 32 KiB
                    http_error = f"unreadable HTTP header: {exc}"
                else:
                    http = True
            if http:
                status = record.http_headers.status_code
                if status is not None and status not in _WANTED_STATUS:
                    self.skipped["http_status"] += 1
                    return None
                content_type = record.http_headers.get("Content-Type")
            elif content_type and content_type.lower().startswith("application/http"):
                content_type = None  # an HTTP message fastwarc could not parse
        else:
            self.skipped[f"type:{kind_of}"] += 1
            return None

        language = headers.get("WARC-Identified-Content-Language")
        if self.lang and language and _primary_language(language) != self.lang:
            self.skipped["lang"] += 1
            return None

        url = headers.get("WARC-Target-URI")
        if url:
            url = url.strip().removeprefix("<").removesuffix(">")
        base = {
            "url": url,
            "record_id": headers.get("WARC-Record-ID"),
            "date": headers.get("WARC-Date"),
            "kind": kind,
            "content_type": content_type,
            "language": language,
        }
        if http_error is not None:
            return PageRecord(**base, payload=b"", page=None, text="", error=http_error)
        # Outside the try: the stream failing here (a cut) ends the file, not this record.
        # One byte past the cap tells a payload over it; the iterator skips the rest.
        payload = record.reader.read(self.max_bytes + 1)
        if len(payload) > self.max_bytes:
            error = f"payload too large (over {self.max_bytes} bytes; see --max-record-bytes)"
            return PageRecord(**base, payload=b"", page=None, text="", error=error)
        try:
            if http:
                payload = _undo_http_encodings(
                    payload,
                    record.http_headers.get("Transfer-Encoding"),
                    record.http_headers.get("Content-Encoding"),
                    self.max_bytes,
                )
            if kind is RecordKind.HTML and not _is_html(
                payload, content_type, headers.get("WARC-Identified-Payload-Type")
            ):
                self.skipped["not_html"] += 1
                return None
            if kind is RecordKind.HTML and not self.parse_html:
                return PageRecord(**base, payload=payload, page=None, text="", error=None)
            page, text = _read_payload(kind, payload, content_type)
        except Exception as exc:  # one bad record must not end the file
            return PageRecord(
                **base, payload=payload, page=None, text="", error=f"{type(exc).__name__}: {exc}"
            )
        if _fails_script_check(self.lang, language, text):
            self.skipped["lang_cjk_check"] += 1
            return None
        return PageRecord(**base, payload=payload, page=page, text=text, error=None)


def parse_deferred(record: PageRecord, lang: str | None = None) -> PageRecord | None:
    """A record of a reader made with ``parse_html=False``, its HTML now read into lines.

    What the reader would have given with ``parse_html=True``: the record with
    ``page`` and ``text`` (``payload`` emptied), the record with ``error`` if
    its payload cannot be read, or ``None`` when ``lang`` is Chinese, the
    record names no language and its text is not Chinese (the reader's
    ``lang_cjk_check``). Other records come back as they are. This is the
    costly part of reading an HTML record, left to the caller so that it can
    run it where a time limit holds (a ``--warc`` run's workers).
    """
    if record.kind is not RecordKind.HTML or record.page is not None or record.error is not None:
        return record
    try:
        page, text = _read_payload(record.kind, record.payload, record.content_type)
    except Exception as exc:  # one bad record must not end the run
        return dataclasses.replace(record, error=f"{type(exc).__name__}: {exc}")
    if _fails_script_check(check_lang(lang), record.language, text):
        return None
    return dataclasses.replace(record, payload=b"", page=page, text=text)


def _fails_script_check(lang: str | None, language: str | None, text: str) -> bool:
    """Whether a record without a language header fails the Chinese-script check for ``lang``."""
    return bool(lang and not language and lang in CHINESE_CODES and not looks_chinese(text))


def check_lang(lang: str | None) -> str | None:
    """``lang`` as the reader compares it (stripped, lower case).

    Raises ``ValueError`` unless it is an ISO 639-3 code (three letters).
    """
    if lang is None:
        return None
    code = lang.strip().lower()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValueError(f"lang must be an ISO 639-3 code such as 'zho', got {lang!r}")
    return code


@contextmanager
def _for_fastwarc(stream: BinaryIO) -> Iterator[BinaryIO]:
    """``stream`` as fastwarc is to read it: gzip undone here, reads that stop short, a ``tell``.

    fastwarc would undo gzip itself, but it ends quietly where a member is
    cut short; Python's reader raises ``EOFError`` there. The first two
    bytes are read here (and handed on) to tell gzip, whatever the stream:
    a peek or a single read may give just one byte of a pipe, and left to
    fastwarc a gzip stream cut short would go unnoticed. fastwarc also asks
    the stream for its position first, which a pipe (stdin) cannot give:
    :class:`_Reads` counts the bytes instead.
    """
    head = b""
    while len(head) < 2:
        more = stream.read(2 - len(head))
        if not more:
            break
        head += more
    if head != _GZIP_MAGIC:
        yield _Reads(stream, head)  # type: ignore[misc]
        return
    import gzip

    with gzip.GzipFile(fileobj=_Reads(stream, head), mode="rb") as unzipped:
        yield _Reads(unzipped)  # type: ignore[misc]


class _Reads(io.RawIOBase):
    """A stream's reads as fastwarc needs them: each stops where one ``read1`` does.

    fastwarc asks for large blocks; a :class:`gzip.GzipFile` ``read(n)``
    that meets a cut raises and drops what it had decompressed before it,
    whole records included. ``read1`` hands those over first, and the error
    comes with the next read. ``tell`` counts the bytes read, so a pipe works.
    ``head`` is what was read from the stream before, given back first.
    """

    def __init__(self, inner: Any, head: bytes = b"") -> None:
        super().__init__()
        self._inner = inner
        self._read = inner.read1 if hasattr(inner, "read1") else inner.read
        self._head = head
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._read(len(buffer)) or b""
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos


def _check_length(record: Any) -> None:
    """``OSError`` unless fastwarc read ``record``'s ``Content-Length`` header as it stands.

    A record cut in its header has no ``Content-Length`` (or an empty one).
    fastwarc takes a block of length 0 where it cannot read the header: a
    value that is no plain number, a header name not spelt ``Content-Length``,
    or one that comes after a repeated ``WARC-Type`` or ``Content-Type`` (it
    reads only the first three of those headers). It would then read the
    block as the next record, or end quietly at the end of the file; a
    repeated ``Content-Length`` with another value is as ambiguous.
    """
    length = record.headers.get("Content-Length")
    if length is None or not length.strip():
        raise OSError("the file ends inside a record header")
    digits = length.strip().removeprefix("+")  # as fastwarc reads it: Rust's u64 parse
    significant = digits.lstrip("0") or "0"
    if not (digits.isascii() and digits.isdigit() and len(significant) <= 20) or (
        int(significant) != record.content_length
    ):
        raise OSError(
            f"record {record.headers.get('WARC-Record-ID')} has a Content-Length that cannot be "
            f"read ({length.strip()[:30]!r}; repeated or malformed headers)"
        )


def _check_complete(record: Any) -> None:
    """``OSError`` unless ``record``'s block is all there (the file was not cut inside it).

    One cut in its block has fewer bytes than the header said. What the caller
    did not read is skipped over here, as fastwarc would skip it anyway.
    """
    record.reader.consume()
    got = record.reader.tell()
    if got < record.content_length:
        raise OSError(
            f"the file ends inside record {record.headers.get('WARC-Record-ID')} "
            f"({got} of {record.content_length} bytes)"
        )


def iter_records(
    source: str | os.PathLike[str] | BinaryIO, lang: str | None = None
) -> Iterator[PageRecord]:
    """The page records of a WARC or WET file (see :class:`ArchiveReader`)."""
    return iter(ArchiveReader(source, lang))


def extract_warc(
    path: str | os.PathLike[str] | BinaryIO,
    lang: str | None = None,
    options: Options | None = None,
    **overrides: Any,
) -> Iterator[dict[str, object]]:
    """One JSON-ready dict per page record of a WARC or WET file.

    Takes what :class:`ArchiveReader` takes, plus ``extract``'s options.
    Each dict has ``url``, ``warc_record_id``, ``warc_date`` and either the
    extracted ``title``, ``date``, ``source``, ``authors``, ``editors`` and
    ``body``, or ``error`` (the record could not be read or extracted). If
    the file itself breaks off, a last dict with ``error`` (and ``None``
    identifiers) says after how many records.
    """
    reader = ArchiveReader(path, lang)
    seen = 0
    try:
        for record in reader:
            seen += 1
            yield record_row(record, options, **overrides)
    except OSError as exc:
        yield broken_archive_row(seen, exc)


def record_row(
    record: PageRecord,
    options: Options | None = None,
    with_lines: bool = False,
    *,
    template: Sequence[float] | None = None,
    **overrides: Any,
) -> dict[str, object]:
    """The JSON-ready dict :func:`extract_warc` gives for one page record.

    ``url``, ``warc_record_id`` and ``warc_date``, then the ``Document``'s
    fields (``lines`` too with ``with_lines``), or ``error``. ``template``
    holds the site-template share of each line of ``record.text``
    (:meth:`zhengwen.site.SiteTemplates.shares`), or is ``None``; with
    ``with_lines`` each line then carries its share as ``template``.
    Never raises.
    """
    from zhengwen.core import extract
    from zhengwen.html import document_from_page
    from zhengwen.io import binary_problem, document_fields

    out: dict[str, object] = {
        "url": record.url,
        "warc_record_id": record.record_id,
        "warc_date": record.date,
    }
    error = record.error
    if error is None and (binary := binary_problem(record.text)) is not None:
        error = f"the record's payload is {binary}"
    if error is not None:
        out["error"] = error
        return out
    try:
        if record.page is not None:
            doc = document_from_page(record.page, options, template=template, **overrides)
        else:
            doc = extract(record.text, options, html=False, template=template, **overrides)
    except Exception as exc:  # reported in the output, never dropped
        out["error"] = f"{type(exc).__name__}: {exc}"
    else:
        out.update(document_fields(doc, with_lines, template))
    return out


def broken_archive_row(seen: int, exc: BaseException) -> dict[str, object]:
    """The last dict of a file that broke off after ``seen`` page records."""
    return {
        "url": None,
        "warc_record_id": None,
        "warc_date": None,
        "error": f"unreadable archive after {seen} page records: {exc}",
    }


def looks_chinese(text: str) -> bool:
    """Whether page text reads as Chinese (see :data:`MIN_HAN_SHARE`, :data:`MAX_KANA_PER_HAN`)."""
    han, latin_words, kana, hangul = (len(pattern.findall(text)) for pattern in _script_patterns())
    if han == 0 or kana > MAX_KANA_PER_HAN * han:
        return False
    return han >= MIN_HAN_SHARE * (han + latin_words + hangul)


@cache
def _script_patterns() -> tuple[regex.Pattern[str], ...]:
    import regex

    return (
        regex.compile(r"\p{Han}"),
        regex.compile(r"\p{Latin}+"),
        regex.compile(r"[\p{Hiragana}\p{Katakana}]"),
        regex.compile(r"\p{Hangul}"),
    )


def _primary_language(header: str) -> str:
    """The first code of a ``WARC-Identified-Content-Language`` value (``zho,eng`` → ``zho``)."""
    return header.split(",", 1)[0].strip().lower()


def _is_html(payload: bytes, content_type: str | None, identified: str | None) -> bool:
    """Whether a response payload is HTML: by its declared type, else by its first bytes."""
    for declared in (content_type, identified):
        if declared:
            return declared.split(";", 1)[0].strip().lower() in HTML_TYPES
    head = payload[:SNIFF_BYTES].lstrip().lower()
    return any(marker in head for marker in _HTML_MARKERS)


def _read_payload(
    kind: RecordKind, payload: bytes, content_type: str | None
) -> tuple[HtmlPage | None, str]:
    from zhengwen.html import html_to_page

    if kind is RecordKind.HTML:
        page = html_to_page(payload, content_type)
        return page, page.text
    return None, payload.decode("utf-8", errors="replace")


def _undo_http_encodings(
    body: bytes,
    transfer_encoding: str | None,
    content_encoding: str | None,
    max_bytes: int = MAX_RECORD_BYTES,
) -> bytes:
    """The HTTP body with chunking and gzip/deflate/br compression undone.

    Common Crawl stores bodies already decoded (and renames the headers to
    ``X-Crawler-*``), other crawlers store them as sent. Raises
    ``ValueError`` for a body that does not decode as its headers say, or
    that decompresses to more than ``max_bytes`` (it stops there).
    """
    if transfer_encoding and "chunked" in transfer_encoding.lower():
        body = _dechunk(body)
    for coding in reversed([c.strip().lower() for c in (content_encoding or "").split(",")]):
        if coding in ("", "identity"):
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, zlib.MAX_WBITS | 16, max_bytes)
        elif coding == "deflate":
            try:
                body = _inflate(body, zlib.MAX_WBITS, max_bytes)
            except ValueError as exc:
                if not isinstance(exc.__cause__, zlib.error):
                    raise  # too large, or cut: no second reading
                # Raw deflate without the zlib wrapper, as some servers send.
                body = _inflate(body, -zlib.MAX_WBITS, max_bytes)
        elif coding == "br":
            body = _unbrotli(body, max_bytes)
        else:
            raise ValueError(f"unknown Content-Encoding {coding!r}")
    return body


def _too_large(max_bytes: int) -> ValueError:
    return ValueError(f"body too large once decompressed (over {max_bytes} bytes)")


def _inflate(data: bytes, wbits: int, max_bytes: int) -> bytes:
    """``data`` inflated, at most ``max_bytes`` of it: a gzip bomb stops at the cap."""
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise ValueError(f"bad compressed body: {exc}") from exc
    if len(out) > max_bytes:
        raise _too_large(max_bytes)
    if not inflater.eof:  # as zlib.decompress has it
        raise ValueError("bad compressed body: incomplete or truncated stream")
    return out


def _unbrotli(data: bytes, max_bytes: int) -> bytes:
    """``data`` undone from Brotli, at most ``max_bytes`` of it."""
    try:
        import brotli  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ValueError("Content-Encoding br needs the brotli package") from exc
    decompressor = brotli.Decompressor()
    try:
        # output_buffer_limit (brotli 1.1): the output stops growing at the cap.
        out = decompressor.process(data, output_buffer_limit=max_bytes + 1)
    except brotli.error as exc:
        raise ValueError(f"bad compressed body: {exc}") from exc
    if len(out) > max_bytes:
        raise _too_large(max_bytes)
    if not decompressor.is_finished():  # as brotli.decompress has it
        raise ValueError("bad compressed body: truncated brotli stream")
    return out


def _dechunk(body: bytes) -> bytes:
    """The body of a ``Transfer-Encoding: chunked`` message."""
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise ValueError("chunked body cut off in a chunk header")
        size_text = body[pos:end].split(b";", 1)[0].strip()
        # Hex digits only, as HTTP spells a chunk size: ``int`` also takes a
        # sign, and a negative size (b"-6") moved ``pos`` back to where it
        # was, a loop that never ended (the reader's, outside any timeout).
        if not size_text or size_text.strip(_HEX_DIGITS):
            raise ValueError(f"bad chunk size {size_text[:20]!r}")
        size = int(size_text, 16)
        if size == 0:
            return bytes(out)
        start = end + 2
        if start + size > len(body):
            raise ValueError("chunked body cut off in a chunk")
        out += body[start : start + size]
        pos = start + size + 2
