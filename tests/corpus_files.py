"""Builders for the corpus-scale tests: WARC/WET records written by hand, and an HTML page."""

from __future__ import annotations

import gzip
import html
from pathlib import Path


def warc_record(headers: dict[str, str], block: bytes) -> bytes:
    """One WARC/1.0 record: version line, headers, blank line, block, two CRLFs."""
    head = "WARC/1.0\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def http_response(body: bytes, headers: dict[str, str], status: str = "200 OK") -> bytes:
    """An HTTP/1.1 response message: status line, headers, blank line, body."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


def response_record(
    number: int, url: str, body: bytes, http_headers: dict[str, str], status: str = "200 OK"
) -> bytes:
    """A WARC ``response`` record holding an HTTP response."""
    return warc_record(
        {
            "WARC-Type": "response",
            "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>",
            "WARC-Date": "2024-05-01T08:00:00Z",
            "WARC-Target-URI": url,
            "Content-Type": "application/http; msgtype=response",
        },
        http_response(body, http_headers, status),
    )


def conversion_record(number: int, url: str, text: str, language: str | None) -> bytes:
    """A WET ``conversion`` record (UTF-8 text), with Common Crawl's language header if given."""
    headers = {
        "WARC-Type": "conversion",
        "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0001-{number:012d}>",
        "WARC-Date": "2024-05-01T08:00:00Z",
        "WARC-Target-URI": url,
        "Content-Type": "text/plain",
    }
    if language is not None:
        headers["WARC-Identified-Content-Language"] = language
    return warc_record(headers, text.encode("utf-8"))


def write_archive(path: Path, records: list[bytes]) -> Path:
    """Write ``records`` to ``path``; a ``.gz`` path gets one gzip member per record."""
    if path.suffix == ".gz":
        path.write_bytes(b"".join(gzip.compress(record) for record in records))
    else:
        path.write_bytes(b"".join(records))
    return path


def page_html(lines: list[str], title: str) -> str:
    """An HTML page with each line of ``lines`` in its own ``<p>``."""
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines if line.strip())
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title></head>\n<body>\n{body}</body></html>\n"
    )
