"""Fuzz the JSON Lines path in-process: reading, per-record processing, writing.

The bytes become a JSONL input on stdin (raw, gzip-compressed, or a page
wrapped as ``{"text": ...}`` records so that extraction is reached often)
and go through :func:`zhengwen.batch.run_jsonl` with no worker processes.
Checked on every input: no exception; one output line per input line, each
a JSON object; a failed record carries ``error`` and its ``line`` number,
a good one ``body``; the error count matches the records with ``error``.

    python fuzz/fuzz_jsonl.py -max_total_time=600 out/fuzz/jsonl fuzz/seeds/jsonl
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run

# Not classify: see fuzz_extract.py (atheris leaks numpy comparison results).
with atheris.instrument_imports(include=["zhengwen"], exclude=["zhengwen.classify"]):
    from zhengwen.batch import RecordConfig, Stats, run_jsonl
    from zhengwen.options import Options


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    cap = fdp.ConsumeIntInRange(1, 4096)
    keep_labels = fdp.ConsumeBool()
    payload = fdp.ConsumeBytes(len(data))
    if mode == 1:
        text = payload.decode("utf-8", errors="surrogateescape")
        payload = b"".join(
            json.dumps({"id": i, "text": part}).encode() + b"\n"
            for i, part in enumerate(text.split("\x00"))
        )
    elif mode == 2:
        payload = gzip.compress(payload, mtime=0)
    raw = gzip.decompress(payload) if mode == 2 else payload
    n_lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)

    config = RecordConfig(options=Options(), keep_labels=keep_labels, max_record_bytes=cap)
    out = io.BytesIO()
    stats = Stats()
    saved = sys.stdin
    sys.stdin = SimpleNamespace(buffer=io.BytesIO(payload))  # type: ignore[assignment]
    try:
        run_jsonl(["-"], out, config, 0, stats)
    finally:
        sys.stdin = saved

    assert not stats.problems, stats.problems
    lines = out.getvalue().split(b"\n")
    assert lines.pop() == b"", "output does not end in a newline"
    assert len(lines) == n_lines == stats.items, (len(lines), n_lines, stats.items)
    errors = 0
    for number, line in enumerate(lines, 1):
        record = json.loads(line)
        assert isinstance(record, dict)
        if "error" in record:
            errors += 1
            assert record["line"] == number
            assert record["error"].startswith(f"line {number}: ")
        else:
            assert isinstance(record["body"], str)
    assert errors == stats.errors


if __name__ == "__main__":
    run(test_one_input)
