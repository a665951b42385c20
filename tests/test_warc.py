"""WARC and WET input: page records, HTTP decoding, the language filter, extract_warc."""

from __future__ import annotations

import gzip
import io
import json
import signal
import zlib
from pathlib import Path
from typing import Any

import pytest

from corpus_files import conversion_record, page_html, response_record, warc_record, write_archive

pytest.importorskip("fastwarc")

from zhengwen.warc import (
    ArchiveReader,
    PageRecord,
    RecordKind,
    extract_warc,
    iter_records,
    looks_chinese,
)

CHINESE = "新征程是充满光荣和梦想的远征，党的二十大绘就了宏伟蓝图、吹响了前进号角。"
ENGLISH = "The quick brown fox jumps over the lazy dog, again and again, all day long."
JAPANESE = "日本語の文章は漢字と平仮名と片仮名で書かれています。今日は天気がいいですね。"


def html_bytes(text: str, encoding: str = "utf-8", meta: str = "") -> bytes:
    return (
        f"<html><head>{meta}<title>标题</title></head><body><p>{text}</p></body></html>"
    ).encode(encoding)


def mixed_archive() -> list[bytes]:
    """One record of each kind the reader meets, in an order that checks it reads on."""
    gbk_page = html_bytes(CHINESE, "gbk")
    return [
        warc_record({"WARC-Type": "warcinfo", "WARC-Record-ID": "<urn:uuid:info>"}, b"x: y\r\n"),
        response_record(
            1, "http://news.cn/1", gbk_page, {"Content-Type": "text/html; charset=GBK"}
        ),
        warc_record(
            {"WARC-Type": "request", "WARC-Record-ID": "<urn:uuid:req>"},
            b"GET / HTTP/1.1\r\nHost: news.cn\r\n\r\n",
        ),
        response_record(
            2, "http://news.cn/logo.png", b"\x89PNG....", {"Content-Type": "image/png"}
        ),
        response_record(3, "http://news.cn/moved", b"", {"Location": "/x"}, status="301 Moved"),
        response_record(
            4,
            "http://news.cn/broken",
            b"not gzip at all",
            {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        ),
        conversion_record(5, "http://news.cn/5", "标题\n" + CHINESE, "zho,eng"),
    ]


@pytest.mark.parametrize("name", ["mixed.warc", "mixed.warc.gz"])
def test_pages_come_out_typed_and_the_rest_is_counted(tmp_path: Path, name: str) -> None:
    reader = ArchiveReader(write_archive(tmp_path / name, mixed_archive()))
    records = list(reader)
    assert [r.url for r in records] == [
        "http://news.cn/1",
        "http://news.cn/broken",
        "http://news.cn/5",
    ]
    html, broken, wet = records
    assert isinstance(html, PageRecord)
    assert html.kind is RecordKind.HTML
    assert html.record_id == "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    assert html.date == "2024-05-01T08:00:00Z"
    assert html.content_type == "text/html; charset=GBK"
    assert html.page is not None and html.page.encoding == "gb18030"
    assert html.text == CHINESE
    assert html.error is None
    assert broken.error is not None and "ValueError" in broken.error
    assert broken.text == ""
    assert wet.kind is RecordKind.TEXT
    assert wet.page is None
    assert wet.text == "标题\n" + CHINESE
    assert wet.language == "zho,eng"
    assert reader.skipped == {
        "type:warcinfo": 1,
        "type:request": 1,
        "not_html": 1,
        "http_status": 1,
    }


def test_http_chunking_and_compression_are_undone(tmp_path: Path) -> None:
    page = html_bytes(CHINESE)
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (page[:10], page[10:]))
        + b"0\r\n\r\n"
    )
    deflated = zlib.compress(page)
    records = [
        response_record(
            1, "u1", gzip.compress(page), {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        ),
        response_record(
            2, "u2", chunked, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}
        ),
        response_record(
            3, "u3", deflated, {"Content-Type": "text/html", "Content-Encoding": "deflate"}
        ),
        response_record(4, "u4", page, {}),  # no Content-Type: sniffed
    ]
    found = list(iter_records(write_archive(tmp_path / "enc.warc", records)))
    assert [r.text for r in found] == [CHINESE] * 4
    assert [r.payload for r in found] == [page] * 4


def test_a_negative_chunk_size_is_that_records_error_not_a_hang(tmp_path: Path) -> None:
    # int(b"-6", 16) is -6: the de-chunking went back to where it started, for
    # ever, in the process that reads the archive (no record timeout there).
    chunked = {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}
    records = [
        response_record(1, "bad", b"-6\r\nab", chunked),
        response_record(2, "next", html_bytes(CHINESE), {"Content-Type": "text/html"}),
    ]
    path = write_archive(tmp_path / "chunk.warc", records)

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("reading the archive hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        bad, after = iter_records(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert bad.url == "bad" and "bad chunk size b'-6'" in str(bad.error)
    assert after.url == "next" and after.text == CHINESE


def test_a_resource_record_of_html_is_a_page(tmp_path: Path) -> None:
    record = warc_record(
        {
            "WARC-Type": "resource",
            "WARC-Record-ID": "<urn:uuid:r>",
            "WARC-Target-URI": "<http://example.cn/r>",
            "Content-Type": "text/html; charset=utf-8",
        },
        html_bytes(CHINESE),
    )
    (found,) = iter_records(write_archive(tmp_path / "r.warc", [record]))
    assert found.url == "http://example.cn/r"  # angle brackets of old writers removed
    assert found.text == CHINESE


def test_language_header_decides_where_present(tmp_path: Path) -> None:
    records = [
        conversion_record(1, "zh", CHINESE, "zho,eng"),
        conversion_record(2, "en-first", CHINESE, "eng,zho"),
        conversion_record(3, "ja", CHINESE, "jpn"),
    ]
    reader = ArchiveReader(write_archive(tmp_path / "lang.wet", records), lang="zho")
    assert [r.url for r in reader] == ["zh"]
    assert reader.skipped == {"lang": 2}


def test_without_a_language_header_the_cjk_check_decides(tmp_path: Path) -> None:
    records = [
        response_record(1, "zh", html_bytes(CHINESE), {"Content-Type": "text/html"}),
        response_record(2, "en", html_bytes(ENGLISH), {"Content-Type": "text/html"}),
        response_record(3, "ja", html_bytes(JAPANESE), {"Content-Type": "text/html"}),
        conversion_record(4, "zh-wet", CHINESE, None),
    ]
    reader = ArchiveReader(write_archive(tmp_path / "nolang.warc.gz", records), lang="zho")
    assert [r.url for r in reader] == ["zh", "zh-wet"]
    assert reader.skipped == {"lang_cjk_check": 2}


@pytest.mark.parametrize("lang", ["zh", "zh-CN", ""])
def test_language_codes_are_iso_639_3(lang: str) -> None:
    with pytest.raises(ValueError, match="ISO 639-3"):
        ArchiveReader("unused.warc", lang=lang)


def test_without_a_filter_every_page_is_kept(tmp_path: Path) -> None:
    records = [response_record(2, "en", html_bytes(ENGLISH), {"Content-Type": "text/html"})]
    assert len(list(iter_records(write_archive(tmp_path / "all.warc", records)))) == 1


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        (CHINESE, True),
        ("繁體中文的新聞報導，版權所有。", True),
        (CHINESE + " Python 3.11 API HTTP JSON", True),
        (ENGLISH * 5 + "中国", False),
        (JAPANESE, False),
        ("한국어 문장은 한글로 씁니다. 서울은 대한민국의 수도입니다.", False),
        ("", False),
        ("12345 !!!", False),
    ],
)
def test_looks_chinese(text: str, chinese: bool) -> None:
    assert looks_chinese(text) is chinese


def test_a_binary_stream_is_read_too(tmp_path: Path) -> None:
    path = write_archive(tmp_path / "s.warc.gz", mixed_archive())
    with path.open("rb") as stream:
        assert len(list(iter_records(stream))) == 3


def test_extract_warc_gives_one_json_ready_dict_per_page(tmp_path: Path, seed_text: str) -> None:
    article = page_html(seed_text.split("\n"), "标题").encode("utf-8")
    records = [
        response_record(1, "http://a.cn/article", article, {"Content-Type": "text/html"}),
        *mixed_archive(),
    ]
    rows = list(extract_warc(write_archive(tmp_path / "x.warc.gz", records)))
    assert [row["url"] for row in rows] == [
        "http://a.cn/article",
        "http://news.cn/1",
        "http://news.cn/broken",
        "http://news.cn/5",
    ]
    for row in rows:
        json.dumps(row, ensure_ascii=False)
        assert {"url", "warc_record_id", "warc_date"} <= row.keys()
    first = rows[0]
    assert set(first) == {
        *("url", "warc_record_id", "warc_date"),
        *("title", "date", "source", "authors", "editors", "body"),
    }
    assert isinstance(first["body"], str) and first["body"]
    assert "error" in rows[2] and "body" not in rows[2]


def test_extract_warc_reports_a_broken_file_instead_of_raising(tmp_path: Path) -> None:
    good = conversion_record(1, "u1", CHINESE, "zho")
    path = tmp_path / "broken.warc"
    path.write_bytes(good + b"this is no WARC record\r\n\r\n")
    rows = list(extract_warc(path))
    assert rows[0]["url"] == "u1"
    assert rows[-1]["url"] is None
    assert "unreadable archive after 1 page records" in str(rows[-1]["error"])


@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
@pytest.mark.parametrize("share", [0.1, 0.5, 0.95])  # of the last record: its end ... its head
def test_a_file_cut_short_raises_after_the_whole_records(
    tmp_path: Path, name: str, share: float
) -> None:
    # fastwarc alone stops quietly at a cut; the reader must say so.
    records = [
        response_record(1, "u1", html_bytes(CHINESE), {"Content-Type": "text/html"}),
        response_record(2, "u2", html_bytes(CHINESE * 4), {"Content-Type": "text/html"}),
    ]
    path = tmp_path / name
    first = len(write_archive(path, records[:1]).read_bytes())
    whole = write_archive(path, records).read_bytes()
    path.write_bytes(whole[: len(whole) - int(share * (len(whole) - first))])
    reader = ArchiveReader(path)
    seen = []
    with pytest.raises(OSError):
        for record in reader:
            seen.append(record.url)
    assert seen == ["u1"]
    rows = list(extract_warc(path))
    assert [row["url"] for row in rows] == ["u1", None]
    assert str(rows[-1]["error"]).startswith("unreadable archive after 1 page records")


def test_a_pipe_is_read_too(tmp_path: Path) -> None:
    # A stream with no tell() (stdin from a pipe): fastwarc alone panics on it.
    data = gzip.compress(b"".join(mixed_archive()))
    stream = io.BufferedReader(_Pipe(data))
    assert [r.url for r in iter_records(stream)] == [
        "http://news.cn/1",
        "http://news.cn/broken",
        "http://news.cn/5",
    ]


class _Pipe(io.RawIOBase):
    """Bytes that can only be read in order, as from a pipe, at most ``most`` a read."""

    def __init__(self, data: bytes, most: int = 1 << 20) -> None:
        super().__init__()
        self._data = io.BytesIO(data)
        self._most = most

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(memoryview(buffer)[: self._most])


# Found by fuzz/fuzz_warc.py (issue 6): each failed before its fix.

CUT_HEADERS = {
    # fastwarc reads only the first three WARC-Type/Content-Type/Content-Length
    # headers, so a repeated Content-Type hides the Content-Length behind it.
    "repeated Content-Type": "Content-Type: text/plain\r\nContent-Type: text/plain\r\n"
    "Content-Length: 26\r\n",
    "Content-Length too big for fastwarc": "Content-Length: 99999999999999999999999\r\n",
    "content-length in lower case": "content-length: 26\r\n",
}


@pytest.mark.parametrize("quirk", CUT_HEADERS.values(), ids=list(CUT_HEADERS))
def test_a_content_length_fastwarc_cannot_read_is_an_error(tmp_path: Path, quirk: str) -> None:
    # fastwarc took a block of 0 bytes, so a file cut after this header read quietly.
    good = conversion_record(1, "u1", CHINESE, "zho")
    cut = f"WARC/1.0\r\nWARC-Type: conversion\r\n{quirk}\r\n".encode()
    path = tmp_path / "quirk.warc"
    path.write_bytes(good + cut)
    seen = []
    with pytest.raises(OSError, match="Content-Length"):
        for record in ArchiveReader(path):
            seen.append(record.url)
    assert seen == ["u1"]
    assert [row["url"] for row in extract_warc(path)] == ["u1", None]


def test_a_record_hidden_in_a_block_fastwarc_misreads_is_no_page(tmp_path: Path) -> None:
    # With the Content-Length unread, fastwarc read the block as the next record.
    inner = conversion_record(2, "hidden", CHINESE, "zho")
    head = "WARC/1.0\r\nWARC-Type: resource\r\nContent-Type: a\r\nContent-Type: b\r\n"
    outer = head.encode() + b"Content-Length: %d\r\n\r\n" % len(inner) + inner + b"\r\n\r\n"
    path = tmp_path / "nested.warc"
    path.write_bytes(conversion_record(1, "u1", CHINESE, "zho") + outer)
    seen = []
    with pytest.raises(OSError):
        for record in ArchiveReader(path):
            seen.append(record.url)
    assert seen == ["u1"]


def _cut_gzip() -> bytes:
    records = [
        conversion_record(1, "u1", CHINESE, "zho"),
        conversion_record(2, "u2", CHINESE * 20, "zho"),
    ]
    first, second = (gzip.compress(record, mtime=0) for record in records)
    return first + second[:10]  # the second member cut inside its gzip header


@pytest.mark.parametrize("most", [None, 1], ids=["raw pipe", "pipe giving one byte a read"])
def test_a_gzip_pipe_cut_short_raises(most: int | None) -> None:
    # A stream with no peek (or whose peek gives one byte) was left to fastwarc,
    # which undoes gzip itself and ends quietly at a cut.
    stream: Any = _Pipe(_cut_gzip(), most or 1 << 20)
    if most is not None:
        stream = io.BufferedReader(stream, buffer_size=most)
    seen = []
    with pytest.raises(OSError):
        for record in iter_records(stream):
            seen.append(record.url)
    assert seen == ["u1"]


def test_a_file_cut_after_an_empty_record_raises_without_an_error_record() -> None:
    # The cut surfaced while reading the empty block, which made it a record
    # with error "EOFError: ..." before the file's OSError.
    empty = b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: e\r\nContent-Length: 0\r\n\r\n"
    data = gzip.compress(empty, mtime=0)[:-8]  # the gzip trailer gone
    seen = []
    with pytest.raises(OSError, match="EOFError"):
        for record in iter_records(io.BytesIO(data)):
            seen.append(record)
    assert all(r.error is None for r in seen)


def test_an_overlong_http_header_is_that_records_error(tmp_path: Path) -> None:
    # fastwarc's iterator parsed HTTP headers itself and raised for one over
    # 32 KiB, which ended the whole file.
    long_header = {"Content-Type": "text/html", "Set-Cookie": "x" * 40_000}
    records = [
        response_record(1, "long", html_bytes(CHINESE), long_header),
        response_record(2, "next", html_bytes(CHINESE), {"Content-Type": "text/html"}),
    ]
    long, after = iter_records(write_archive(tmp_path / "long.warc.gz", records))
    assert long.url == "long" and long.error is not None and "HTTP header" in long.error
    assert after.url == "next" and after.text == CHINESE


def test_a_binary_record_is_an_error_record(tmp_path: Path) -> None:
    records = [
        conversion_record(1, "http://news.cn/1", "标题\n" + CHINESE, "zho"),
        conversion_record(2, "http://news.cn/bin", "\x00\x01ELF\x00" * 20, "zho"),
        conversion_record(3, "http://news.cn/3", "标题\n" + CHINESE, "zho"),
    ]
    rows = list(extract_warc(write_archive(tmp_path / "x.warc.gz", records)))
    assert [row["url"] for row in rows] == [
        "http://news.cn/1",
        "http://news.cn/bin",
        "http://news.cn/3",
    ]
    assert "binary data" in str(rows[1]["error"]) and "body" not in rows[1]
    assert "error" not in rows[0] and "error" not in rows[2]


def test_a_compression_bomb_stops_at_the_cap_and_the_file_reads_on(tmp_path: Path) -> None:
    # 200 MB of zeros gzip to 190 KB; read whole, the one process that reads the
    # archive held them all. Now a record over the cap, decompressed or stored,
    # is that record's error.
    bomb = gzip.compress(b"\0" * 200_000_000, mtime=0)
    gz = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    page = html_bytes(CHINESE)
    records = [
        response_record(1, "bomb", bomb, gz),
        response_record(2, "stored", page + b" " * 2_000_000, {"Content-Type": "text/html"}),
        response_record(3, "next", gzip.compress(page), gz),
    ]
    path = write_archive(tmp_path / "bomb.warc", records)
    found = list(ArchiveReader(path, max_bytes=1_000_000))
    assert [r.url for r in found] == ["bomb", "stored", "next"]
    assert "too large once decompressed (over 1000000 bytes)" in str(found[0].error)
    assert "payload too large (over 1000000 bytes" in str(found[1].error)
    assert found[2].error is None and found[2].text == CHINESE


def test_a_brotli_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    brotli = pytest.importorskip("brotli")
    br = {"Content-Type": "text/html", "Content-Encoding": "br"}
    page = html_bytes(CHINESE)
    records = [
        response_record(1, "bomb", brotli.compress(b"\0" * 200_000_000), br),
        response_record(2, "cut", brotli.compress(page)[:-3], br),
        response_record(3, "next", brotli.compress(page), br),
    ]
    found = list(ArchiveReader(write_archive(tmp_path / "br.warc", records), max_bytes=10**6))
    assert "too large once decompressed" in str(found[0].error)
    assert "bad compressed body" in str(found[1].error)
    assert found[2].error is None and found[2].text == CHINESE


def test_a_cut_gzip_body_is_still_that_records_error(tmp_path: Path) -> None:
    gz = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    cut = gzip.compress(html_bytes(CHINESE))[:-12]
    (found,) = iter_records(
        write_archive(tmp_path / "cut.warc", [response_record(1, "u", cut, gz)])
    )
    assert "incomplete or truncated stream" in str(found.error)
