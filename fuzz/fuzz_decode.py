"""Fuzz the byte handling of ``zhengwen.io``: encoding detection and bounded lines.

Checked on every input: :func:`zhengwen.io.decode` never raises and names a
codec that reads the bytes with exactly the replacements it reports; a given
codec (``decode_with``) never raises either; :func:`zhengwen.io.iter_lines`
gives back the input exactly (lines joined by ``\\n``) with every over-long
line replaced by its true size, whatever the cap.

    python fuzz/fuzz_decode.py -max_total_time=600 out/fuzz/decode fuzz/seeds/decode
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import reads_cleanly, run

with atheris.instrument_imports(include=["zhengwen"]):
    from zhengwen.io import TooLong, decode, decode_with, iter_lines

CODECS = ("utf-8", "gb18030", "big5", "utf-16-le", "utf-32-be", "latin-1", "cp950")


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    cap = fdp.ConsumeIntInRange(1, 64)
    codec = CODECS[fdp.ConsumeIntInRange(0, len(CODECS) - 1)]
    payload = fdp.ConsumeBytes(len(data))

    found = decode(payload)
    assert found.text == payload.decode(found.encoding, errors="replace"), found.encoding
    assert (found.replaced == 0) == reads_cleanly(payload, found.encoding), found.replaced
    decode_with(payload, codec)

    got = list(iter_lines(io.BufferedReader(io.BytesIO(payload)), cap))
    assert got == _expected_lines(payload, cap), "iter_lines lost, invented or kept bytes"


def _expected_lines(payload: bytes, cap: int) -> list[bytes | TooLong]:
    """What ``iter_lines`` must give: each line, or its size when over ``cap``."""
    if not payload:
        return []
    parts = payload.split(b"\n")
    if payload.endswith(b"\n"):
        parts.pop()
    return [TooLong(len(p)) if len(p) > cap else p for p in parts]


if __name__ == "__main__":
    run(test_one_input)
