"""Bytes in, bytes out: decoding pages, opening (compressed) inputs, writing outputs safely.

Nothing here knows how a page is labelled; it turns files and streams into
``str`` for :func:`zhengwen.extract` and turns its results into the bytes the
command line writes.

* :func:`decode` finds a page's encoding (BOM, then strict UTF-8, then
  charset-normalizer with a mild preference for Chinese encodings) and never
  raises on bad bytes: they become U+FFFD and are counted.
* :func:`open_input` opens a path or ``-`` (stdin) for reading bytes, undoing
  gzip or zstd compression found by the stream's magic bytes.
* :func:`iter_lines` streams the lines of such a stream with a cap on each
  line's size, so a 2 GB line costs no more memory than the cap.
* :class:`AtomicWriter` writes a file through a temporary sibling and
  ``os.replace``: a run that dies leaves either the complete file or none.
* ``format_*`` render a Document as text, JSON, TSV, Markdown or the
  ``--explain`` view.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import re
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import TracebackType

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from typing import IO, Any, BinaryIO, NoReturn

    from zhengwen.model import Document

STDIN = "-"
"""The path that means standard input (and, for ``-o``, standard output)."""

REPLACEMENT = "\ufffd"

# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
# A mark picks the codec but stays in the text as U+FEFF at the start of line 1:
# lines are kept exactly as given, and the eval gold keeps it too (a BOM-only
# first line in cwce-35687fb1), so TSV output still lines up with the gold.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# GBK and GB2312 are subsets of GB18030; decoding as the superset loses nothing
# and keeps the characters a GBK-labelled page uses beyond GBK (common in practice).
_SUPERSET = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "hz": "gb18030"}

# Encodings a Chinese page is written in. charset-normalizer reads short Big5
# text as cp932 (Shift-JIS) or cp949 with equal confidence, so when its first
# answer is another language's encoding we ask again among these alone.
_CHINESE_ENCODINGS = ["gb18030", "big5", "cp950", "big5hkscs", "utf_16", "utf_32"]

# Largest charset-normalizer "chaos" (share of odd-looking characters, 0..1)
# at which a Chinese reading wins over a non-Chinese one. Set between the values
# seen on samples: a short Big5 headline read as Big5 scores 0.013, while
# Japanese EUC-JP and Korean EUC-KR text forced into Big5/GB18030 score 0.089
# and 0.163.
_CHINESE_PREFERENCE_MAX_CHAOS = 0.05

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMPRESSION_MAGIC = (_GZIP_MAGIC, _ZSTD_MAGIC)
"""How the compressed inputs :func:`open_input` undoes begin (gzip, zstd)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A page's text with how it was decoded.

    ``encoding`` is the Python codec name that was used (``utf-8``,
    ``utf-16-le``, ``gb18030``, ``big5``, ...); ``replaced`` is
    how many undecodable byte sequences became U+FFFD. ``reason`` says why
    that codec, one of :data:`ENCODING_REASONS`.
    """

    text: str
    encoding: str
    replaced: int
    reason: str = "given"


ENCODING_REASONS = {
    "bom": "a byte-order mark",
    "http-header": "the charset of the HTTP Content-Type header",
    "meta": "the page's <meta> charset",
    "utf-8": "the bytes are valid UTF-8 (with non-ASCII text, this wins over a declared charset)",
    "detected": "detection (charset-normalizer, preferring Chinese encodings)",
    "option": "the caller's choice (--encoding)",
    "given": "the caller's choice (decode_with)",
}
"""Why a page was read with its codec: ``Decoded.reason`` and JSON's ``encoding_reason``."""


# --------------------------------------------------------------------------- decoding

_COUNTING_HANDLER = "zhengwen.count-replace"
_counter = threading.local()
_handler_registered = False


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: replace like ``errors="replace"``, and count."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counter.n = getattr(_counter, "n", 0) + 1
    return REPLACEMENT, exc.end


def decode_with(data: bytes, encoding: str, reason: str = "given") -> Decoded:
    """``data`` decoded as ``encoding``, bad sequences replaced and counted.

    ``reason`` is kept as ``Decoded.reason``. Raises ``LookupError`` for an
    unknown encoding name.
    """
    global _handler_registered
    if not _handler_registered:
        # Registered on first use, not at import: importing zhengwen changes no global state.
        codecs.register_error(_COUNTING_HANDLER, _count_and_replace)
        _handler_registered = True
    _counter.n = 0
    text = data.decode(encoding, errors=_COUNTING_HANDLER)
    return Decoded(text, encoding, _counter.n, reason)


def detect_encoding(data: bytes) -> str:
    """The codec name ``data`` is most likely written in (never raises); see :func:`detect`."""
    return detect(data)[0]


def detect(data: bytes) -> tuple[str, str]:
    """The codec ``data`` is most likely written in, and why (``bom``, ``utf-8``, ``detected``).

    Order: a byte-order mark; strict UTF-8 (by far the common case, and a
    cheap test); charset-normalizer, preferring a Chinese reading over another
    East Asian one when it looks as clean (see ``_CHINESE_ENCODINGS``); for
    damaged bytes that no codec reads cleanly, :func:`_detect_damaged`.
    """
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return bom_encoding, "bom"
    if is_utf8(data):
        return "utf-8", "utf-8"

    import charset_normalizer  # lazy: costs ~50 ms to import, and most pages are UTF-8

    best = charset_normalizer.from_bytes(data).best()
    name: str | None = _canonical(best.encoding) if best is not None else None
    if name is None or name not in _chinese_canonical():
        chinese = charset_normalizer.from_bytes(data, cp_isolation=_CHINESE_ENCODINGS).best()
        if chinese is not None and (
            best is None or chinese.chaos <= max(best.chaos, _CHINESE_PREFERENCE_MAX_CHAOS)
        ):
            name = _canonical(chinese.encoding)
    return name or _detect_damaged(data), "detected"


def is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 as a whole."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Tried, in this order of preference on ties, for bytes that no codec reads whole.
_DAMAGED_CANDIDATES = ("utf-8", "gb18030", "big5")


def _detect_damaged(data: bytes) -> str:
    """The encoding of a page with bad bytes in it (cut short, a stray byte, mixed).

    charset-normalizer rejects any codec that fails anywhere, so a GBK page
    cut mid-character gets no answer. For each candidate, the bytes it
    cannot read are dropped and charset-normalizer is asked about the rest;
    a candidate it confirms is plausible. Of those, the one with the fewest
    undecodable sequences wins. Counting alone is not enough: Big5 bytes
    read as GB18030 with almost no errors, but the detector then names Big5,
    which rules GB18030 out. Failing every check, the fewest replacements.
    """
    import charset_normalizer

    replaced: dict[str, int] = {}
    confirmed: list[str] = []
    for candidate in _DAMAGED_CANDIDATES:
        decoded = decode_with(data, candidate)
        replaced[candidate] = decoded.replaced
        cleaned = decoded.text.replace(REPLACEMENT, "").encode(candidate, errors="ignore")
        found = charset_normalizer.from_bytes(
            cleaned, cp_isolation=[*_CHINESE_ENCODINGS, "utf_8", "ascii"]
        ).best()
        if found is not None and _canonical(found.encoding) in (candidate, "ascii"):
            confirmed.append(candidate)
    return min(confirmed or _DAMAGED_CANDIDATES, key=replaced.__getitem__)


def _canonical(name: str) -> str:
    """Python's own spelling of a codec name, GB subsets mapped to GB18030."""
    canonical = codecs.lookup(name).name
    return _SUPERSET.get(canonical, canonical)


def _chinese_canonical() -> set[str]:
    return {_canonical(n) for n in _CHINESE_ENCODINGS}


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """A page's bytes as text; ``encoding`` (a codec name) overrides detection.

    Never raises on bad bytes (they are replaced and counted in
    ``Decoded.replaced``); raises ``LookupError`` for an unknown ``encoding``.
    """
    if encoding is None:
        return decode_with(data, *detect(data))
    return decode_with(data, encoding, "option")


# Bytes that every usable codec must read (with undecodable ones replaced) to be
# used at all: ASCII markup and a byte no ASCII-compatible codec reads alone.
_CODEC_PROBE = b"<p>a\xff\xfe\n"


BINARY_REPLACED_SHARE = 0.1
"""Undecodable byte sequences per decoded character above which input whose
encoding was detected is binary data, not a page. A damaged page (cut
mid-character, a stray byte) has a handful; the detector picks the codec
that reads a text page with the fewest; images and archives without a NUL
byte decode mostly to U+FFFD. (A page forced through the wrong codec can
pass this share: it is not a test for a wrong ``--encoding``.)"""


def binary_problem(page: Decoded | str) -> str | None:
    """Why ``page`` (decoded bytes, or a string) is binary data rather than a page, or ``None``.

    Binary is a NUL character (no text format has one; UTF-16 text decoded
    as UTF-16 has none left) or more than :data:`BINARY_REPLACED_SHARE`
    undecodable sequences per character. The message says which.
    """
    if isinstance(page, str):
        text, replaced = page, page.count(REPLACEMENT)
    else:
        text, replaced = page.text, page.replaced
    if "\x00" in text:
        return "binary data (NUL bytes), not page text or HTML"
    if replaced > BINARY_REPLACED_SHARE * max(len(text), 1):
        return (
            f"binary data ({replaced} undecodable byte sequences in {len(text)} characters), "
            "not page text or HTML"
        )
    return None


def check_encoding(name: str) -> str:
    """``name`` if Python has a usable text codec by it; ``LookupError`` otherwise.

    Usable means :func:`decode_with` can read any bytes with it: codecs that
    are not text encodings (``base64``), that always fail (``undefined``) or
    that accept no error handler (``idna``, ``punycode``) are refused.
    """
    info = codecs.lookup(name)
    if not getattr(info, "_is_text_encoding", True):
        raise LookupError(f"{name!r} is not a text encoding")
    try:
        decode_with(_CODEC_PROBE, name)
    except UnicodeError as exc:
        raise LookupError(f"{name!r} cannot read arbitrary bytes: {exc}") from None
    return name


# --------------------------------------------------------------------------- reading


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """A binary stream over ``path`` (``-`` for stdin), decompressed if gzip or zstd.

    A context manager; it closes what it opened, never stdin. Compression is
    recognised by magic bytes, not by the file name, so a pipe
    (``cat x.jsonl.gz | zhengwen --jsonl``) works too. Raises ``OSError`` if
    the file cannot be opened, and ``RuntimeError`` for zstd input when the
    ``zstandard`` package is missing.
    """
    with ExitStack() as stack:
        raw: BinaryIO
        if path == STDIN:
            raw = sys.stdin.buffer
            if not hasattr(raw, "peek"):  # e.g. a BytesIO under test
                raw = io.BufferedReader(_NonClosing(raw))
        else:
            raw = stack.enter_context(open(path, "rb"))
        head = raw.peek(4)[:4]  # type: ignore[attr-defined]
        if head.startswith(_GZIP_MAGIC):
            import gzip

            yield stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[misc]
        elif head.startswith(_ZSTD_MAGIC):
            zstandard: Any = _import_zstandard(path)
            # A BufferedReader gives the frames' reader a readline.
            yield stack.enter_context(io.BufferedReader(_ZstdFrames(raw, zstandard)))
        else:
            yield raw


# Compressed bytes handed to the zstd decompressor at a time. A zstd block of
# at most 128 KB can be coded in 4 bytes, so this also bounds the text one
# read can produce: 1 KB in, at most 32 MB out.
_ZSTD_CHUNK = 1024


class _ZstdFrames(io.RawIOBase):
    """The text of the zstd frames in ``raw``, one after another.

    Unlike zstandard's ``stream_reader``, which ends quietly where the bytes
    end, a stream that stops inside a frame (a file cut short) raises
    ``EOFError``, as :mod:`gzip` does for a cut gzip file.
    """

    def __init__(self, raw: BinaryIO, zstandard: Any) -> None:
        super().__init__()
        self._raw = raw
        self._zstandard = zstandard
        self._frame: Any = None  # the decompressor of the frame being read
        self._fed = False  # whether that frame has had any bytes yet
        self._leftover = b""  # bytes read past the end of the last frame
        self._out = b""
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at >= len(self._out):
            chunk = self._leftover or self._raw.read(_ZSTD_CHUNK)
            self._leftover = b""
            if not chunk:
                if self._fed:
                    raise EOFError("zstd input ended in the middle of a frame (cut short?)")
                return 0
            if self._frame is None:
                self._frame = self._zstandard.ZstdDecompressor().decompressobj()
            self._out, self._at = self._frame.decompress(chunk), 0
            self._fed = True
            if self._frame.eof:
                self._leftover = self._frame.unused_data
                self._frame, self._fed = None, False
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at : self._at + n]
        self._at += n
        return n


class _NonClosing(io.RawIOBase):
    """A raw stream reading from another without ever closing it (for stdin)."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._inner.readinto(buffer)  # type: ignore[attr-defined, no-any-return]


def _import_zstandard(path: str) -> Any:
    """The ``zstandard`` module, or a RuntimeError saying how to get it."""
    try:
        import zstandard  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise RuntimeError(
            f"{path} is zstd-compressed; install the 'zstd' extra "
            "(pip install 'zhengwen[zstd]') to read it"
        ) from exc
    return zstandard


def read_bytes(path: str) -> bytes:
    """All bytes of ``path`` (``-`` for stdin), decompressed if compressed."""
    with open_input(path) as stream:
        return stream.read()


@dataclass(frozen=True, slots=True)
class TooLong:
    """Stands in for a line longer than the cap; only its size is kept."""

    size: int


MAX_RECORD_BYTES = 50_000_000
"""Largest record read whole (``--max-record-bytes``): a JSONL input line
(without its newline), or a WARC record's payload as stored and again once
its HTTP compression is undone. A longer one becomes an error record. Guards
memory: a record is held whole (and an archive is read in the one process
that runs the whole run, where 50 KB of gzip that inflates to 50 GB would
take the run's memory with it)."""


def iter_lines(stream: BinaryIO, max_bytes: int) -> Iterator[bytes | TooLong]:
    """The lines of ``stream`` (without their ``\\n``), each at most ``max_bytes``.

    A longer line is read through in bounded pieces and yielded as
    :class:`TooLong`, so memory stays at about ``max_bytes`` whatever the input.
    A final line without ``\\n`` is a line; an empty stream has none.
    """
    # readline takes a size that fits a C ssize_t: a larger cap (--max-record-bytes
    # 1e23) raised OverflowError, and the whole input was dropped as unreadable.
    read_size = min(max_bytes + 1, sys.maxsize)
    while True:
        line = stream.readline(read_size)
        if not line:
            return
        if line.endswith(b"\n"):
            yield line[:-1]
            continue
        if len(line) <= max_bytes:  # last line, no newline
            yield line
            return
        size = len(line)
        while True:  # skip the rest of the over-long line
            piece = stream.readline(1 << 20)
            size += len(piece)
            if not piece or piece.endswith(b"\n"):
                break
        yield TooLong(size - (1 if piece.endswith(b"\n") else 0))


def expand_inputs(paths: list[str]) -> list[str]:
    """``paths`` with each directory replaced by its visible files, sorted.

    ``-`` and files pass through; missing paths pass through too, so that the
    caller reports them. No inputs at all means stdin.
    """
    if not paths:
        return [STDIN]
    out: list[str] = []
    for p in paths:
        if p != STDIN and os.path.isdir(p):
            from pathlib import Path  # not at import: a page's run reads no folder

            out.extend(
                str(child)
                for child in sorted(Path(p).iterdir())
                if child.is_file() and not child.name.startswith(".")
            )
        else:
            out.append(p)
    return out


def input_identities(paths: Sequence[str]) -> dict[tuple[int, int], str]:
    """The (device, inode) of every input file in ``paths``, to its path.

    Stdin (``-``) counts when it is a regular file (``zhengwen -o p.txt < p.txt``).
    """
    identities: dict[tuple[int, int], str] = {}
    for path in paths:
        try:
            st = os.fstat(sys.stdin.fileno()) if path == STDIN else os.stat(path)
        except (AttributeError, OSError, ValueError):  # no stdin, or not a real file
            continue
        if path == STDIN and not stat.S_ISREG(st.st_mode):
            continue  # a pipe or a terminal is nobody's output
        identities.setdefault((st.st_dev, st.st_ino), "stdin" if path == STDIN else path)
    return identities


def input_at(target: str | os.PathLike[str], identities: dict[tuple[int, int], str]) -> str | None:
    """The input (of :func:`input_identities`) that is the file at ``target``, or ``None``.

    Compared by device and inode, so a second name, a hard link or a symlink
    to an input is caught as surely as the same spelling.
    """
    try:
        st = os.stat(target)
    except OSError:
        return None
    return identities.get((st.st_dev, st.st_ino))


def open_new(path: str | os.PathLike[str], resume: bool = False) -> BinaryIO:
    """A file for a run's own side output (``FILE.partial``), never through a symlink.

    Without ``resume`` the file must not exist yet (``O_EXCL``): a file or a
    symlink, even a dangling one, already there raises ``FileExistsError``
    instead of being written through. With ``resume``, an existing regular
    file is opened for reading and writing, a symlink refused (``O_NOFOLLOW``).
    """
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if resume:
        fd = os.open(path, os.O_RDWR | nofollow)
        return os.fdopen(fd, "r+b")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | nofollow, 0o666)
    return os.fdopen(fd, "wb")


def output_stem(path: str) -> str:
    """The name an input's output file gets: its file name less the extension.

    A compression suffix goes too (``a/page.txt.gz`` gives ``page``); stdin
    gives ``stdin``.
    """
    if path == STDIN:
        return "stdin"
    from pathlib import Path  # not at import (8 ms of a command's start): only --output-dir

    p = Path(path)
    if p.suffix in (".gz", ".zst"):
        p = p.with_suffix("")
    return p.stem


# --------------------------------------------------------------------------- writing


class AtomicWriter:
    """A binary file that appears at ``path`` only when complete.

    Writes go to a temporary file beside ``path``; leaving the ``with`` block
    normally fsyncs it and renames it over ``path`` (``os.replace`` is atomic
    on one file system). Leaving on an exception, KeyboardInterrupt included,
    deletes it, so a killed or failed run never leaves a truncated file that
    looks complete. A ``path`` ending in ``.gz`` or ``.zst`` is compressed.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from pathlib import Path  # not at import: a page printed to stdout writes no file

        self.path = Path(path)
        self._tmp: str | None = None
        self._raw: IO[bytes] | None = None
        self._stream: BinaryIO | None = None
        self._closers: list[object] = []

    def __enter__(self) -> BinaryIO:
        import tempfile  # with shutil and random, 5 ms of a command's start that writes no file

        try:
            fd, self._tmp = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
            )
        except OSError as exc:  # named after the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        self._raw = os.fdopen(fd, "wb")
        stream: BinaryIO = self._raw
        if self.path.suffix == ".gz":
            import gzip

            stream = gzip.GzipFile(fileobj=self._raw, mode="wb")  # type: ignore[assignment]
            self._closers.append(stream)
        elif self.path.suffix == ".zst":
            zstandard = _import_zstandard(str(self.path))
            stream = zstandard.ZstdCompressor().stream_writer(self._raw, closefd=False)
            self._closers.append(stream)
        self._stream = stream
        return stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._raw is not None and self._tmp is not None
        try:
            if exc_type is None:
                for closer in self._closers:
                    closer.close()  # type: ignore[attr-defined]  # flushes the compressor's trailer
                self._raw.flush()
                os.fsync(self._raw.fileno())
                self._raw.close()
                # mkstemp makes the file 0600; give it the permissions a plain open() would.
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self._tmp, 0o666 & ~umask)
                os.replace(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None:
                self._raw.close()
                try:
                    os.unlink(self._tmp)
                except OSError:
                    pass


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    # A number too large for a float (1e400) is valid JSON that Python reads as
    # infinity, which dump_json_line refuses: the record's line, and its error
    # line, raised instead of being written.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:30]} is out of a float's range")
    return value


def load_json(raw: bytes | str) -> Any:
    """``raw`` parsed as JSON, strictly: ``NaN``, ``Infinity`` and ``-Infinity`` are refused.

    Python's :func:`json.loads` accepts them, but they are not JSON, and a
    record that carried one through would come out as no JSON either; so is a
    number out of a float's range (``1e400``), which Python reads as infinity.
    Raises ``ValueError`` (``json.JSONDecodeError`` for a syntax error).
    """
    return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)


def dump_json_line(record: dict[str, object]) -> bytes:
    """``record`` as one line of JSON (UTF-8, ending in ``\\n``).

    Strings with lone surrogates (legal in JSON input, not in UTF-8) are
    written as ``\\ud800`` escapes instead of failing. A NaN or infinite
    float raises ``ValueError`` (``allow_nan=False``): the output is always JSON.
    """
    try:
        return (json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(record, ensure_ascii=True, allow_nan=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- formats

FORMATS = ("text", "json", "tsv", "markdown")
EXTENSIONS = {"text": "txt", "json": "json", "tsv": "tsv", "markdown": "md", "explain": "explain"}

# A line that Markdown would read as markup at its start: heading, quote,
# list item, rule, setext underline, fence, table row or HTML.
_MARKDOWN_LEADING = re.compile(r"^(\s*)([#>+*=|<~`-]|\d+[.)])")


def document_fields(
    doc: Document, with_lines: bool = True, template: Sequence[float] | None = None
) -> dict[str, object]:
    """``doc.to_dict(with_lines=...)``; with a site template, each line also gets its share.

    ``template`` holds, per line, the share of the site's other pages that
    contain it (:meth:`zhengwen.site.SiteTemplates.shares`); each entry of
    ``lines`` then carries it as ``template`` (0..1, four decimals).
    """
    fields = doc.to_dict(with_lines=with_lines)
    lines = fields.get("lines")
    if template is not None and isinstance(lines, list):
        for row, share in zip(lines, template, strict=True):
            row["template"] = round(share, 4)
    return fields


def format_text(doc: Document) -> str:
    """The body, newline-terminated (nothing for an empty body)."""
    return doc.body + "\n" if doc.body else ""


def format_json(
    doc: Document,
    decoded: Decoded | None = None,
    name: str | None = None,
    template: Sequence[float] | None = None,
) -> str:
    """One line of JSON: ``Document.to_dict()`` plus the input's name and encoding.

    ``encoding``, ``encoding_reason`` (see :data:`ENCODING_REASONS`) and
    ``replaced`` (undecodable byte sequences) come from ``decoded``; ``file``
    is ``name``; with ``template`` (site-template shares, see
    :func:`document_fields`) each line carries its share.
    """
    out: dict[str, object] = {}
    if name is not None:
        out["file"] = name
    if decoded is not None:
        out["encoding"] = decoded.encoding
        out["encoding_reason"] = decoded.reason
        out["replaced"] = decoded.replaced
    out.update(document_fields(doc, True, template))
    return dump_json_line(out).decode("utf-8")


def format_tsv(doc: Document) -> str:
    """``LABEL<TAB>TEXT`` for every line, the gold format of the eval set."""
    return "".join(f"{ln.label.value}\t{ln.text}\n" for ln in doc.lines)


def format_markdown(doc: Document) -> str:
    """The title as a ``# `` heading over the body, one paragraph per body line.

    Lines that would read as Markdown markup get their first character escaped.
    """
    parts: list[str] = []
    if doc.title:
        parts.append("# " + " ".join(doc.title.split("\n")))
    parts.extend(
        _MARKDOWN_LEADING.sub(r"\1\\\2", line) for line in doc.body.split("\n") if line.strip()
    )
    return "\n\n".join(parts) + "\n" if parts else ""


# ANSI SGR colours by label value: body stands out, boilerplate recedes.
_COLOURS = {
    "body": "32",  # green
    "title": "1;36",  # bold cyan
    "meta": "36",  # cyan
    "nav": "2",  # dim
    "related": "35",  # magenta
    "pager": "34",  # blue
    "share": "33",  # yellow
    "footer": "2",  # dim
    "comment": "33",  # yellow
    "other": "31",  # red
}


def format_explain(doc: Document, colour: bool) -> str:
    """Each line with its number, label, score and reason, for a person to check.

    With ``colour``, each row is coloured by its label (ANSI escapes).
    """
    rows: list[str] = []
    width = max((len(ln.reason) for ln in doc.lines), default=0)
    width = min(width, 32)
    for ln in doc.lines:
        head = f"{ln.index + 1:>4} {ln.label.value:<7} {ln.score:4.2f} {ln.reason:<{width}}"
        row = f"{head} | {ln.text}"
        if colour:
            row = f"\x1b[{_COLOURS.get(ln.label.value, '0')}m{row}\x1b[0m"
        rows.append(row + "\n")
    return "".join(rows)
