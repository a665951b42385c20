"""Fuzz the HTML decoder, ``zhengwen.html.decode_html_counted``, with declared charsets.

Each input is a label byte, a where byte and then the bytes of a page. The
label byte picks a charset label (``LABELS``: the ones browsers know, and the
hostile ones issue 25 found: codecs that always fail, refuse error handlers,
or read any bytes); the where byte puts it in the HTTP header, a ``<meta>``
tag before the page, both, or neither. Checked on every input: no
exception; the reason is one of ``zhengwen.io.ENCODING_REASONS``; the text
is the bytes read with the codec named, undecodable sequences replaced and
counted exactly; bytes that are valid UTF-8 with non-ASCII text and no
byte-order mark are read as UTF-8, whatever is declared; a label browsers do
not know is never the reason.

    python fuzz/fuzz_charset.py -max_total_time=600 out/fuzz/charset fuzz/seeds/charset
    python fuzz/fuzz_charset.py --write-seeds fuzz/seeds/charset
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import reads_cleanly, run_or_write_seeds

with atheris.instrument_imports(include=["zhengwen"]):
    from zhengwen.html import decode_html_counted
    from zhengwen.io import ENCODING_REASONS
    from zhengwen.lexicon import charset_labels

LABELS = (
    "utf-8", "gb2312", "gbk", "gb18030", "big5", "big5-hkscs", "shift_jis", "euc-kr",
    "koi8-r", "iso-8859-1", "windows-1252", "utf-16", "utf-16be", "iso-2022-jp",
    "hz-gb-2312", "x-user-defined", "undefined", "idna", "punycode", "cp037", "utf-7",
    "base64", "rot13", "zlib", "nonsense", "",
)  # fmt: skip
WHERE = ("header", "meta", "both", "none")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    label, where, body = LABELS[data[0] % len(LABELS)], WHERE[data[1] % len(WHERE)], data[2:]
    header = f"text/html; charset={label}" if where in ("header", "both") else None
    page = (f"<meta charset={label}>".encode() + body) if where in ("meta", "both") else body
    decoded = decode_html_counted(page, header)
    assert decoded.reason in ENCODING_REASONS, decoded.reason
    assert decoded.text == page.decode(decoded.encoding, errors="replace"), decoded.encoding
    assert (decoded.replaced == 0) == reads_cleanly(page, decoded.encoding)
    if not page.startswith(_BOMS) and not page.isascii() and reads_cleanly(page, "utf-8"):
        assert decoded.encoding == "utf-8", decoded.encoding
    if decoded.reason in ("http-header", "meta"):
        assert label.lower() in charset_labels(), label


def _seed(label: str, where: str, body: bytes) -> bytes:
    return bytes([LABELS.index(label), WHERE.index(where)]) + body


CHINESE = "<p>中文正文内容，新征程是充满光荣和梦想的远征。</p>"
SEEDS = {
    "utf8-as-gb2312-meta": _seed("gb2312", "meta", CHINESE.encode()),
    "utf8-as-gb2312-header": _seed("gb2312", "header", CHINESE.encode()),
    "utf8-as-koi8-r": _seed("koi8-r", "meta", CHINESE.encode()),
    "utf8-as-cp037": _seed("cp037", "meta", CHINESE.encode()),
    "ascii-as-cp037": _seed("cp037", "meta", b"<p>plain text</p>"),
    "undefined": _seed("undefined", "meta", b"<p>x</p>"),
    "idna": _seed("idna", "both", b"<p>x\xff</p>"),
    "punycode": _seed("punycode", "header", b"<p>x\xff</p>"),
    "gbk-as-gbk": _seed("gbk", "meta", CHINESE.encode("gbk")),
    "big5-as-big5": _seed("big5", "header", "<p>中文正文內容</p>".encode("big5")),
    "gbk-undeclared": _seed("", "none", CHINESE.encode("gbk")),
    "utf16-bom": _seed("utf-16", "none", codecs.BOM_UTF16_LE + CHINESE.encode("utf-16-le")),
    "utf16-header-no-bom": _seed("utf-16", "header", CHINESE.encode("utf-16-le")),
    "utf16be-header-no-bom": _seed("utf-16be", "header", CHINESE.encode("utf-16-be")),
    "ascii-as-utf16-header": _seed("utf-16", "header", b"<p>plain text</p>"),
}


if __name__ == "__main__":
    run_or_write_seeds(test_one_input, SEEDS)
