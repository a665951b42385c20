"""zhengwen.batch: record processing, the ordered parallel map, the JSONL driver."""

from __future__ import annotations

import gzip
import io
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import zhengwen
from zhengwen import batch
from zhengwen.batch import (
    CHUNK_RECORDS,
    RecordConfig,
    RecordTask,
    Stats,
    chunked,
    parallel_map,
    process_page,
    process_record,
    read_records,
    run_jsonl,
)
from zhengwen.io import TooLong
from zhengwen.options import Options

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = (FIXTURES / "seed.txt").read_text(encoding="utf-8")
EXTRACTED = ("title", "date", "source", "authors", "editors", "body")
CONFIG = RecordConfig(options=Options())


def _run(raw: bytes | TooLong, config: RecordConfig = CONFIG) -> tuple[dict[str, Any], bool]:
    line, ok = process_record(config, RecordTask("in.jsonl", 7, raw))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    return json.loads(line), ok


# --------------------------------------------------------------------------- records


def test_record_keeps_input_fields_and_adds_extracted_ones() -> None:
    record, ok = _run(json.dumps({"id": 3, "url": "u", "text": SEED}).encode())
    assert ok
    assert record["id"] == 3 and record["url"] == "u" and record["text"] == SEED
    assert set(EXTRACTED) <= set(record)
    assert record["body"] == zhengwen.extract(SEED).body
    assert "lines" not in record and "error" not in record


def test_keep_labels_and_text_field() -> None:
    config = RecordConfig(options=Options(), text_field="content", keep_labels=True)
    record, ok = _run(json.dumps({"content": SEED}).encode(), config)
    assert ok
    assert [ln["text"] for ln in record["lines"]] == SEED.rstrip("\n").split("\n")
    assert all({"label", "reason", "score"} <= set(ln) for ln in record["lines"])


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "blank line"),
        (b"  \r", "blank line"),
        (b'{"text": "a"', "invalid JSON"),
        (b"[1, 2]", "not a JSON object (got list)"),
        (b'{"id": 1}', "no field 'text'"),
        (b'{"id": 1, "text": null}', "field 'text' is not a string (got null)"),
        (b'{"text": 5}', "field 'text' is not a string (got int)"),
        (b'{"text": "\xff"}', "invalid UTF-8"),
        (b"[" * 100_000, "invalid JSON"),  # deeper than the recursion limit
        (TooLong(123), "record too large (123 bytes"),
    ],
)
def test_bad_records_become_error_records(raw: bytes | TooLong, problem: str) -> None:
    record, ok = _run(raw)
    assert not ok
    assert record["line"] == 7
    assert record["error"].startswith(f"line 7: {problem}")
    assert "file" not in record


def test_error_record_keeps_fields_and_names_file_when_asked() -> None:
    config = RecordConfig(options=Options(), source_names=True)
    record, ok = _run(b'{"id": 9}', config)
    assert not ok
    assert record["id"] == 9 and record["file"] == "in.jsonl"


def test_extraction_failure_is_an_error_record(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, options: Options | None = None) -> zhengwen.Document:
        raise ValueError("boom")

    monkeypatch.setattr(batch, "extract", broken)
    record, ok = _run(b'{"id": 1, "text": "x"}')
    assert not ok
    assert record["error"] == "line 7: extraction failed: ValueError: boom"
    assert record["id"] == 1


# --------------------------------------------------------------------------- parallel map


def _jittered_square(config: float, x: int) -> int:
    # Later items often finish first, so order must come from the map itself.
    time.sleep(random.random() * config)
    return x * x


@pytest.mark.parametrize("jobs", [1, 3])
def test_parallel_map_keeps_order(jobs: int) -> None:
    got = list(parallel_map(_jittered_square, 0.005, range(60), jobs=jobs, in_flight=7))
    assert got == [x * x for x in range(60)]


def test_parallel_map_bounds_work_in_flight() -> None:
    pulled = 0

    def source() -> Iterator[int]:
        nonlocal pulled
        for i in range(200):
            pulled += 1
            yield i

    for done, _ in enumerate(parallel_map(_jittered_square, 0.0, source(), jobs=2, in_flight=5)):
        # memory stays flat: never more than in_flight items read ahead of the output
        assert pulled - done <= 5
    assert pulled == 200


def test_chunked_by_count_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [len(c) for c in chunked(range(2 * CHUNK_RECORDS + 1), lambda _: 1)] == [
        CHUNK_RECORDS,
        CHUNK_RECORDS,
        1,
    ]
    monkeypatch.setattr(batch, "CHUNK_BYTES", 10)
    assert [len(c) for c in chunked([4, 4, 4, 20, 1], lambda n: n)] == [3, 1, 1]


# --------------------------------------------------------------------------- JSONL driver


def _records(n: int) -> list[dict[str, Any]]:
    # Short, different pages: many chunks in little time, whatever the extractor costs.
    lines = SEED.split("\n")
    return [{"id": i, "text": "\n".join(lines[i % 100 : i % 100 + 6])} for i in range(n)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_jsonl_in_order_with_errors(tmp_path: Path, jobs: int) -> None:
    inputs = [json.dumps(r, ensure_ascii=False) for r in _records(70)]
    inputs[33] = "{broken"
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(inputs) + "\n", encoding="utf-8")
    out = io.BytesIO()
    stats = Stats()
    run_jsonl([str(path)], out, CONFIG, jobs, stats)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 70 == stats.items
    assert stats.errors == 1
    assert rows[33] == {"error": rows[33]["error"], "line": 34}
    assert rows[33]["error"].startswith("line 34: invalid JSON")
    assert [r["id"] for i, r in enumerate(rows) if i != 33] == [i for i in range(70) if i != 33]


def test_read_records_reports_corrupt_input_and_goes_on(tmp_path: Path) -> None:
    good = gzip.compress(b'{"text": "a"}\n' * 3000)
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "ok.jsonl").write_bytes(b'{"text": "b"}\n')
    problems: list[str] = []
    tasks = list(
        read_records([str(tmp_path / "cut.gz"), str(tmp_path / "ok.jsonl")], 100, problems)
    )
    assert len(problems) == 1 and "cut.gz: cannot read after line" in problems[0]
    assert tasks[-1] == RecordTask(str(tmp_path / "ok.jsonl"), 1, b'{"text": "b"}')
    assert [t.line for t in tasks[:-1]] == list(range(1, len(tasks)))


def test_process_page_reports_unreadable_file(tmp_path: Path) -> None:
    result = process_page(batch.PageConfig(Options()), (str(tmp_path / "gone.txt"), None))
    assert result.status == 2 and result.output == b""
    assert "cannot read" in result.messages[0]


def test_stats_summary_counts() -> None:
    stats = Stats(noun="record", items=3, errors=1)
    assert stats.summary().startswith("3 records, 1 error, ")
