"""zhengwen.batch: record processing, the ordered parallel map, the JSONL driver."""

from __future__ import annotations

import faulthandler
import gzip
import io
import json
import os
import random
import signal
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import zhengwen
from conftest import BUDGET, hang, tick
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
    def broken(text: str, options: Options | None = None, **kwargs: Any) -> zhengwen.Document:
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


def _failed(config: object, x: int, problem: str) -> str:
    return f"{x}: {problem}"


def _singles(items: Iterator[int] | range) -> Iterator[list[int]]:
    return ([x] for x in items)


@pytest.mark.parametrize("workers", [0, 3])
def test_parallel_map_keeps_order(workers: int) -> None:
    chunks = chunked(range(60), lambda _: 1)
    got = list(parallel_map(_jittered_square, 0.005, chunks, workers, _failed, in_flight=2))
    assert got == [(x, x * x) for x in range(60)]


def test_parallel_map_bounds_work_in_flight() -> None:
    pulled = 0

    def source() -> Iterator[int]:
        nonlocal pulled
        for i in range(200):
            pulled += 1
            yield i

    results = parallel_map(_jittered_square, 0.0, _singles(source()), 2, _failed, in_flight=5)
    for done, _ in enumerate(results):
        # memory stays flat: never more than in_flight items read ahead of the output
        assert pulled - done <= 5
    assert pulled == 200


# A misbehaving job for the workers: what it does with each item is in the item.
def _misbehave(config: object, item: str) -> str:
    if item == "hang":
        hang()
    elif item == "exit":
        os._exit(3)
    elif item == "segv":
        faulthandler.disable()  # pytest's faulthandler would print the worker's stack
        os.kill(os.getpid(), signal.SIGSEGV)
    elif item == "raise":
        raise ValueError("bad item")
    return item.upper()


@pytest.mark.usefixtures("fake_clock")
@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_map_survives_hangs_crashes_and_raises(workers: int) -> None:
    items = [f"ok{i}" for i in range(40)]
    faults = {3: "hang", 9: "exit", 10: "segv", 17: "raise", 30: "hang"}
    if workers > 1:  # a clock jump would also overrun what the other worker is on
        faults = {k: v for k, v in faults.items() if v != "hang"}
    for i, fault in faults.items():
        items[i] = fault
    chunks = [items[i : i + 8] for i in range(0, 40, 8)]  # several faults share a chunk
    got = list(parallel_map(_misbehave, None, chunks, workers, _failed, timeout=BUDGET))
    assert [item for item, _ in got] == items  # nothing lost, nothing doubled, in order
    expected = {
        3: f"hang: timed out after {BUDGET:g} s",
        9: "exit: worker process died (exit code 3)",
        10: "segv: worker process died (killed by SIGSEGV)",
        17: "raise: failed: ValueError: bad item",
        30: f"hang: timed out after {BUDGET:g} s",
    }
    expected = {i: problem for i, problem in expected.items() if i in faults}
    for i, (item, result) in enumerate(got):
        assert result == expected.get(i, item.upper()), i


def _die_at_start(config: object) -> None:
    os._exit(1)


def test_parallel_map_stops_when_workers_cannot_start() -> None:
    with pytest.raises(RuntimeError, match="fail as they start"):
        list(parallel_map(_misbehave, None, [["a"]], 1, _failed, prepare=_die_at_start))


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


# --------------------------------------------------------------------------- hangs and crashes


def _faulty_extract(text: str, options: Options | None = None, **kwargs: Any) -> zhengwen.Document:
    # Test-only stand-in for extract, inherited by the forked workers.
    if text == "HANG":
        hang()
    if text == "CRASH":
        faulthandler.disable()
        os.kill(os.getpid(), signal.SIGSEGV)
    if text == "EXIT":
        os._exit(7)
    return zhengwen.extract("正文\n" + text, options, **kwargs)


@pytest.mark.usefixtures("fake_clock")
def test_run_jsonl_gives_hung_and_crashed_records_error_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "extract", _faulty_extract)
    texts = [f"第{i}段。" for i in range(80)]
    for i, fault in {5: "HANG", 6: "CRASH", 40: "EXIT", 41: "HANG"}.items():
        texts[i] = fault
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    out, stats = io.BytesIO(), Stats()
    run_jsonl([str(path)], out, CONFIG, 1, stats, timeout=BUDGET)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == list(range(80))
    assert stats.items == 80 and stats.errors == 4
    assert rows[5]["error"] == f"line 6: timed out after {BUDGET:g} s" and rows[5]["line"] == 6
    assert rows[6]["error"] == "line 7: worker process died (killed by SIGSEGV)"
    assert rows[40]["error"] == "line 41: worker process died (exit code 7)"
    assert rows[41]["error"] == f"line 42: timed out after {BUDGET:g} s"
    good = [r for r in rows if "error" not in r]
    assert len(good) == 76 and all("body" in r for r in good)


@pytest.mark.usefixtures("fake_clock")
def test_timeout_bounds_the_record_not_the_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each record takes one tick (under the budget), a chunk of 8 takes eight (over
    # it): only a record's own time counts.
    tasks = [RecordTask("x", i + 1, json.dumps({"text": "SLOW"}).encode()) for i in range(8)]

    def slow(text: str, options: Options | None = None, **kwargs: Any) -> zhengwen.Document:
        if text == "SLOW":
            tick()
        return zhengwen.extract(text, options, **kwargs)

    monkeypatch.setattr(batch, "extract", slow)
    got = list(
        parallel_map(process_record, CONFIG, [tasks], 1, batch.record_failure, timeout=BUDGET)
    )
    assert all(ok for _, (_, ok) in got)


def test_record_failure_keeps_input_fields() -> None:
    line, ok = batch.record_failure(CONFIG, RecordTask("a", 3, b'{"id": 1, "text": "x"}'), "gone")
    assert not ok and json.loads(line) == {"id": 1, "text": "x", "error": "line 3: gone", "line": 3}
    line, _ = batch.record_failure(CONFIG, RecordTask("a", 4, b"[1"), "gone")
    assert json.loads(line) == {"error": "line 4: gone", "line": 4}


# --------------------------------------------------------------------------- record size


def test_over_long_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    with path.open("wb") as f:
        f.write(b'{"text": "a"}\n{"text": "')
        for _ in range(30):
            f.write(b"x" * (1 << 20))  # a 30 MB record
        f.write(b'"}\n{"text": "b"}\n')
    tracemalloc.start()
    try:
        tasks = list(read_records([str(path)], 1000, []))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the reader never holds the record, only a bounded piece of it
    assert [t.line for t in tasks] == [1, 2, 3]
    assert tasks[1].raw == TooLong(30 * (1 << 20) + len(b'{"text": "') + 2)
    line, ok = process_record(RecordConfig(Options(), max_record_bytes=1000), tasks[1])
    assert not ok and json.loads(line)["error"].startswith(
        "line 2: record too large (31457292 bytes"
    )


# --------------------------------------------------------------------------- resume


def _write_jsonl(path: Path, n: int, offset: int = 0) -> None:
    lines = SEED.split("\n")
    rows = [{"id": i, "text": "\n".join(lines[i % 90 : i % 90 + 8])} for i in range(offset, n)]
    rows_text = [json.dumps(r, ensure_ascii=False) for r in rows]
    if offset == 0 and n > 12:
        rows_text[12] = "{broken"  # an error record among the ones kept
    path.write_text("".join(t + "\n" for t in rows_text), encoding="utf-8")


def _source(tmp_path: Path, n: int) -> tuple[list[str], io.BytesIO]:
    """An input of ``n`` records in ``tmp_path``, and its output from one uninterrupted run."""
    source = tmp_path / "in.jsonl"
    _write_jsonl(source, n)
    expected = io.BytesIO()
    run_jsonl([str(source)], expected, CONFIG, 0, Stats())
    return [str(source)], expected


def _journal(tmp_path: Path, name: str, inputs: list[str]) -> batch.Journal:
    return batch.Journal(str(tmp_path / name), batch.run_settings(inputs, CONFIG))


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    count = 0

    def interrupting(text: str, options: Options | None = None, **kwargs: Any) -> zhengwen.Document:
        nonlocal count
        count += 1
        if count > calls:
            raise KeyboardInterrupt
        return zhengwen.extract(text, options, **kwargs)

    monkeypatch.setattr(batch, "extract", interrupting)


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
def test_interrupted_run_resumes_without_loss_or_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    inputs, expected = _source(tmp_path, 70)
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 40)  # 40 pages extracted, plus the broken line
        journal = _journal(tmp_path, name, inputs)
        out = journal.open(resume=False)
        with pytest.raises(KeyboardInterrupt):
            run_jsonl(inputs, out, CONFIG, 0, Stats(), journal=journal)
        mark = journal.suspend()
    assert mark.records == 41 and mark.errors == 1
    assert not (tmp_path / name).exists()
    partial = (tmp_path / (name + ".partial")).read_bytes()
    assert partial == b"".join(expected.getvalue().splitlines(keepends=True)[:41])
    progress = json.loads((tmp_path / (name + ".progress.json")).read_text())
    assert progress["records"] == 41 and progress["bytes"] == len(partial)

    journal = _journal(tmp_path, name, inputs)
    assert journal.exists()
    stats = Stats()
    run_jsonl(inputs, journal.open(resume=True), CONFIG, 2, stats, journal=journal)
    journal.finish()
    assert (stats.resumed, stats.resumed_errors, stats.items) == (41, 1, 29)
    data = (tmp_path / name).read_bytes()
    assert (gzip.decompress(data) if name.endswith(".gz") else data) == expected.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", name]


def test_resume_cuts_lines_written_after_the_last_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As after kill -9: the progress file counts fewer lines than the partial file has.
    inputs, expected = _source(tmp_path, 30)
    monkeypatch.setattr(batch, "CHECKPOINT_SECONDS", 0.0)  # save after every record
    journal = _journal(tmp_path, "out.jsonl", inputs)
    out = journal.open(resume=False)
    tasks = list(read_records(inputs, CONFIG.max_record_bytes, []))
    for task, line in zip(tasks[:10], expected.getvalue().splitlines(keepends=True), strict=False):
        out.write(line)
        journal.note(task, len(line), b'"error"' not in line)
    out.write(b'{"id": 10, "half a li')  # written, never noted
    out.flush()
    journal = _journal(tmp_path, "out.jsonl", inputs)
    run_jsonl(inputs, journal.open(resume=True), CONFIG, 0, Stats(), journal=journal)
    journal.finish()
    assert (tmp_path / "out.jsonl").read_bytes() == expected.getvalue()


def _suspended_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int) -> list[str]:
    source = tmp_path / "in.jsonl"
    _write_jsonl(source, 30)
    inputs = [str(source)]
    with monkeypatch.context() as patch:
        _interrupt_after(patch, n)
        journal = _journal(tmp_path, "out.jsonl", inputs)
        with pytest.raises(KeyboardInterrupt):
            run_jsonl(inputs, journal.open(resume=False), CONFIG, 0, Stats(), journal=journal)
        journal.suspend()
    return inputs


def test_resume_refuses_another_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _suspended_after(tmp_path, monkeypatch, 10)
    _write_jsonl(Path(inputs[0]), 30, offset=1)  # same name, other records
    journal = _journal(tmp_path, "out.jsonl", inputs)
    out = journal.open(resume=True)
    with pytest.raises(batch.ResumeError, match="differ"):
        run_jsonl(inputs, out, CONFIG, 0, Stats(), journal=journal)
    journal.suspend()
    _write_jsonl(Path(inputs[0]), 5)  # too short
    journal = _journal(tmp_path, "out.jsonl", inputs)
    out = journal.open(resume=True)
    with pytest.raises(batch.ResumeError, match="has 5 records"):
        run_jsonl(inputs, out, CONFIG, 0, Stats(), journal=journal)
    journal.suspend()
    assert (tmp_path / "out.jsonl.partial").stat().st_size > 0  # the work is still there


def test_resume_refuses_other_settings_and_damaged_side_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = _suspended_after(tmp_path, monkeypatch, 10)
    other = RecordConfig(Options(), keep_labels=True)
    journal = batch.Journal(str(tmp_path / "out.jsonl"), batch.run_settings(inputs, other))
    with pytest.raises(batch.ResumeError, match=r"other settings .*keep_labels"):
        journal.open(resume=True)
    partial = tmp_path / "out.jsonl.partial"
    partial.write_bytes(partial.read_bytes()[:-5])
    with pytest.raises(batch.ResumeError, match="fewer than"):
        _journal(tmp_path, "out.jsonl", inputs).open(resume=True)
    partial.write_bytes(partial.read_bytes().replace(b"\n", b" ", 1) + b"12345")
    with pytest.raises(batch.ResumeError, match="lines in its first"):
        _journal(tmp_path, "out.jsonl", inputs).open(resume=True)
    (tmp_path / "out.jsonl.progress.json").write_text("{")
    with pytest.raises(batch.ResumeError, match="cannot read"):
        _journal(tmp_path, "out.jsonl", inputs).open(resume=True)


def test_interruption_before_any_record_keeps_nothing(tmp_path: Path) -> None:
    journal = _journal(tmp_path, "out.jsonl", ["-"])
    out = journal.open(resume=False)
    out.write(b'{"half')
    assert journal.suspend().records == 0
    assert list(tmp_path.iterdir()) == []


def test_the_empty_digest_written_out_is_sha256_s() -> None:
    import hashlib

    from zhengwen.batch import EMPTY_SHA256, Mark

    assert Mark().digest == EMPTY_SHA256 == hashlib.sha256().hexdigest()
