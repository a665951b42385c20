"""Fuzz the WARC/WET reader: ``zhengwen.warc.ArchiveReader`` and ``extract_warc``.

An input is one option byte followed by the archive bytes. The option byte
picks how the archive reaches the reader:

* bits 0-1, the container: as is; gzip (one member); gzip, one member per
  record (as Common Crawl writes them); gzip cut short (a broken download);
* bits 2-3, the stream: ``BytesIO``; a pipe behind ``io.BufferedReader``
  (no ``tell``, no ``seek``); a bare pipe (no ``peek`` either); a pipe
  whose reads return at most a few bytes each (as stdin may);
* bits 4-5, the language filter: none, ``zho``, ``eng``;
* bits 6-7, where a cut falls, and how short the short reads are.

Checked on every input: reading raises nothing but ``OSError``; every
``PageRecord`` has ``str``-or-``None`` ``url``, ``record_id`` and ``date``
and well-typed other fields; the records (and whether the file broke off)
are the same however the archive arrives as they are for the bare bytes in
a ``BytesIO``; a gzip stream cut short raises ``OSError`` after a prefix of
the records; :func:`extract_warc` never raises, gives one JSON-ready dict
per record, and a last one with ``error`` exactly when the file broke off.
Extraction is real (records are short).

    python fuzz/fuzz_warc.py -max_total_time=900 -timeout=10 out/fuzz/warc fuzz/seeds/warc

``python fuzz/fuzz_warc.py --write-seeds fuzz/seeds/warc`` writes the seeds
(tiny WARC and WET files made here, no outside data).
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run

# Not classify: see fuzz_extract.py (atheris leaks numpy comparison results).
with atheris.instrument_imports(include=["zhengwen"], exclude=["zhengwen.classify"]):
    import zhengwen.html  # imported lazily by zhengwen.warc: instrumented here
    import zhengwen.io  # noqa: F401
    from zhengwen.warc import ArchiveReader, PageRecord, RecordKind, extract_warc

LANGS = (None, "zho", "eng", None)
SHORT_READS = (1, 3, 17, 256)
GZIP_MAGIC = b"\x1f\x8b"


class Pipe(io.RawIOBase):
    """Bytes read in order only, each read giving at most ``most`` bytes."""

    def __init__(self, data: bytes, most: int = 1 << 20) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._most = most

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: self._most]
        return self._data.readinto(view)


def container(archive: bytes, kind: int, share: int) -> bytes:
    if kind == 0:
        return archive
    if kind == 1:
        return _gzip(archive)
    if kind == 2:
        return b"".join(map(_gzip, split_records(archive)))
    whole = _gzip(archive)
    return whole[: 2 + (len(whole) - 3) * share // 4]  # at least the magic, never all


def split_records(archive: bytes) -> list[bytes]:
    """``archive`` cut before each ``WARC/`` version line (after the first)."""
    cuts, at = [0], archive.find(b"\r\n\r\nWARC/")
    while at >= 0:
        cuts.append(at + 4)
        at = archive.find(b"\r\n\r\nWARC/", at + 4)
    return [archive[a:b] for a, b in zip(cuts, [*cuts[1:], len(archive)], strict=True)]


def stream(data: bytes, kind: int, share: int) -> Any:
    if kind == 0:
        return io.BytesIO(data)
    if kind == 1:
        return io.BufferedReader(Pipe(data))
    if kind == 2:
        return Pipe(data)
    return io.BufferedReader(Pipe(data, SHORT_READS[share]), buffer_size=SHORT_READS[share])


def read_all(source: Any, lang: str | None) -> tuple[list[PageRecord], OSError | None]:
    records: list[PageRecord] = []
    try:
        for record in ArchiveReader(source, lang):
            records.append(record)
    except OSError as exc:
        return records, exc
    return records, None


def check_record(record: PageRecord) -> None:
    assert isinstance(record, PageRecord)
    for name in ("url", "record_id", "date", "content_type", "language"):
        value = getattr(record, name)
        assert value is None or isinstance(value, str), (name, value)
    assert isinstance(record.kind, RecordKind)
    assert isinstance(record.payload, bytes)
    assert isinstance(record.text, str)
    assert record.error is None or isinstance(record.error, str)
    if record.error is not None:
        assert record.text == "" and record.page is None
    elif record.kind is RecordKind.TEXT:
        assert record.page is None
    else:
        assert record.page is not None and record.page.text == record.text


def key(record: PageRecord) -> tuple[object, ...]:
    return (
        record.url,
        record.record_id,
        record.date,
        record.kind,
        record.content_type,
        record.language,
        record.payload,
        record.text,
        record.error,
    )


def test_one_input(data: bytes) -> None:
    if not data:
        return
    option, archive = data[0], data[1:]
    wrap, how, lang, share = option & 3, (option >> 2) & 3, LANGS[(option >> 4) & 3], option >> 6
    inner_gzip = archive.startswith(GZIP_MAGIC)

    base, base_error = read_all(io.BytesIO(archive), lang)
    for record in base:
        check_record(record)

    payload = container(archive, wrap, share)
    records, error = read_all(stream(payload, how, share), lang)
    for record in records:
        check_record(record)
    got = [key(r) for r in records]
    want = [key(r) for r in base]
    if wrap == 3:  # cut short: whole records first, then the error
        assert error is not None, f"a cut gzip stream read quietly (stream {how})"
        if not inner_gzip:
            assert got == want[: len(got)], "records before a cut differ"
    elif not (inner_gzip and wrap):  # gzip in gzip: fastwarc undoes the inner one quietly
        assert got == want, f"records differ (container {wrap}, stream {how})"
        assert (error is None) == (base_error is None), (error, base_error)

    rows = list(extract_warc(stream(payload, how, share), lang))
    broken = rows and rows[-1]["url"] is None and "unreadable archive" in str(rows[-1].get("error"))
    assert len(rows) == len(records) + (1 if error is not None else 0), (len(rows), len(records))
    assert bool(broken) == (error is not None)
    if error is not None:
        assert str(rows[-1]["error"]).startswith(f"unreadable archive after {len(records)} ")
    for row, record in zip(rows, records, strict=False):
        assert (row["url"], row["warc_record_id"], row["warc_date"]) == (
            record.url,
            record.record_id,
            record.date,
        )
        assert ("error" in row) or ("body" in row and isinstance(row["body"], str)), row
        if record.error is not None:
            assert row["error"] == record.error
    for row in rows:
        json.dumps(row, ensure_ascii=False).encode("utf-8")


def _record(headers: dict[str, str], block: bytes) -> bytes:
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(block) + block + b"\r\n\r\n"


def _response(n: int, body: bytes, http: str) -> bytes:
    message = f"HTTP/1.1 200 OK\r\n{http}\r\n".encode() + body
    return _record(
        {
            "WARC-Type": "response",
            "WARC-Record-ID": f"<urn:uuid:{n}>",
            "WARC-Date": "2024-05-01T08:00:00Z",
            "WARC-Target-URI": f"http://example.cn/{n}",
            "Content-Type": "application/http; msgtype=response",
        },
        message,
    )


def _conversion(n: int, text: str, lang: str) -> bytes:
    return _record(
        {
            "WARC-Type": "conversion",
            "WARC-Record-ID": f"<urn:uuid:{n}>",
            "WARC-Date": "2024-05-01T08:00:00Z",
            "WARC-Target-URI": f"http://example.cn/{n}",
            "WARC-Identified-Content-Language": lang,
            "Content-Type": "text/plain",
        },
        text.encode(),
    )


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def write_seeds(folder: Path) -> None:
    """Tiny WARC and WET files, each behind an option byte (see the module docstring)."""
    page = (
        "<html><head><title>标题</title></head><body><p>新征程是充满光荣的远征。</p></body></html>"
    )
    info = _record({"WARC-Type": "warcinfo", "WARC-Record-ID": "<urn:uuid:0>"}, b"software: x\r\n")
    warc = (
        info
        + _record(
            {"WARC-Type": "request", "WARC-Record-ID": "<urn:uuid:9>"}, b"GET / HTTP/1.1\r\n\r\n"
        )
        + _response(1, page.encode("gbk"), "Content-Type: text/html; charset=GBK\r\n")
        + _response(2, _gzip(page.encode()), "Content-Encoding: gzip\r\n")
        + _response(3, b"5\r\n<html\r\n3\r\n>hi\r\n0\r\n\r\n", "Transfer-Encoding: chunked\r\n")
    )
    wet = (
        info
        + _conversion(4, "标题\n新征程是充满光荣和梦想的远征。", "zho,eng")
        + _conversion(5, "Title\nThe quick brown fox.", "eng")
    )
    seeds = {
        "page.warc": bytes([0]) + warc,
        "page-gz-members.warc": bytes([2 | 1 << 4]) + warc,
        "page.warc.gz": bytes([1 << 2]) + b"".join(map(_gzip, split_records(warc))),
        "text.wet": bytes([3 << 2 | 1 << 4]) + wet,
        "text-cut.wet": bytes([3 | 2 << 6]) + wet,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in seeds.items():
        (folder / name).write_bytes(content)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write-seeds"]:
        write_seeds(Path(sys.argv[2]))
    else:
        run(test_one_input)
