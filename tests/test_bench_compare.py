"""The benchmark's arithmetic and table (benchmarks/compare.py, parallel.py); no timing."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from bench_modules import load


@pytest.fixture(scope="module")
def compare() -> ModuleType:
    return load("compare")


@pytest.fixture(scope="module")
def parallel() -> ModuleType:
    return load("parallel")


def tally(compare: ModuleType, times: dict[str, float]) -> Any:
    t = compare.Tally()
    t.times = dict(times)
    return t


def test_ratio_counts_only_the_pages_both_systems_extracted(compare: ModuleType) -> None:
    tallies = {
        "zhengwen": tally(compare, {"a": 1.0, "b": 1.0, "c": 5.0}),
        "peer": tally(compare, {"a": 3.0, "b": 5.0}),  # failed on c
    }
    assert compare.ratio_to(tallies, "peer", "zhengwen") == pytest.approx(8.0 / 2.0)
    assert compare.ratio_to(tallies, "zhengwen", "zhengwen") == pytest.approx(1.0)
    assert compare.ratio_to(tallies, "peer", "zhengwen-html") is None  # not run
    assert compare.time_ratios(tallies, "peer") == {"zhengwen": pytest.approx(4.0)}


def test_pages_per_second_is_pages_over_total_time(compare: ModuleType) -> None:
    t = tally(compare, {"a": 0.25, "b": 0.75})
    assert t.pages_per_second() == pytest.approx(2.0)
    j = t.to_json()
    assert j["ms_per_page_median"] == pytest.approx(500.0)
    assert compare.Tally().pages_per_second() is None


def row(system: str, pps: float, median_ms: float, ratios: dict[str, float], **extra: Any) -> dict:
    return {
        "system": system,
        "input": "text",
        "gives_title": extra.pop("gives_title", False),
        "speed": {
            "pages_per_second": pps,
            "ms_per_page_median": median_ms,
            "failures": 0,
            "empty_outputs": 2,
        },
        "time_ratio": ratios,
        **extra,
    }


SCORE = {
    "body_f1_mean": 0.9512,
    "body_f1_p10": 0.8,
    "body_precision_mean": 0.95,
    "body_recall_mean": 0.96,
    "junk_removed_mean": 0.9,
    "title_accuracy": 0.9,
}


def test_row_cells(compare: ModuleType) -> None:
    zw = row("zhengwen", 1234.5, 0.81, {"zhengwen": 1.0}, score=SCORE, gives_title=True)
    assert compare.row_cells(zw) == [
        "zhengwen",
        "text",
        "1,234",  # whole pages/s from 1,000 on
        "0.81",
        "1.00",
        "—",  # no zhengwen-html in the run
        "0.951",
        "0.800",
        "0.950",
        "0.960",
        "0.900",
        "90.0%",
        "0 / 2",
    ]
    floor = row("str-split", 20000.0, 0.0512, {"zhengwen": 0.00123, "zhengwen-html": 0.5})
    cells = compare.row_cells(floor)
    assert cells[2:6] == ["20,000", "0.051", "0.0012", "0.50"]
    assert cells[6:12] == ["—"] * 6  # not scored
    slow = row("peer", 12.34, 80.0, {"zhengwen": 15.0}, score=SCORE)
    assert compare.row_cells(slow)[2] == "12.3"
    assert compare.row_cells(slow)[11] == "—"  # gives no title


def test_table_shows_quality_columns_only_when_something_was_scored(compare: ModuleType) -> None:
    skipped = {"system": "peer", "input": "html", "skipped": "skipped: not installed"}
    speed = [row("zhengwen", 100.0, 9.0, {"zhengwen": 1.0}), skipped]
    lines = compare.table(speed).splitlines()
    assert lines[0].count("|") == 7 + 1  # system .. failures: 7 columns
    assert "F1 mean" not in lines[0]
    assert lines[3].startswith("| peer | html | skipped: not installed |")
    scored = [row("zhengwen", 100.0, 9.0, {"zhengwen": 1.0}, score=SCORE), skipped]
    lines = compare.table(scored).splitlines()
    assert lines[0].count("|") == len(compare.COLUMNS) + 1
    assert all(line.count("|") == len(compare.COLUMNS) + 1 for line in lines)


def test_targets_read_the_peers_time_over_zhengwens(compare: ModuleType) -> None:
    rows = [
        row("zhengwen", 1500.0, 0.6, {"zhengwen": 1.0}),
        row("trafilatura", 50.0, 20.0, {"zhengwen": 30.0}),
        row("zhengwen-html", 250.0, 4.0, {"zhengwen-html": 1.0}),
        row("resiliparse-html", 200.0, 5.0, {"zhengwen-html": 0.8}),
    ]
    lines = compare.target_lines(rows)
    assert lines[0].endswith("1,500.0 (met)")
    assert any("20× trafilatura" in x and "30.00× (met)" in x for x in lines)
    assert any("resiliparse-html" in x and "0.80× (not met)" in x for x in lines)
    assert not any("trafilatura-html" in x for x in lines)  # not in the run


def test_parse_sets(compare: ModuleType) -> None:
    assert compare.parse_sets("dev, train,dev") == ["dev", "train"]


def test_parallel_speedups(parallel: ModuleType) -> None:
    assert parallel.speedup(10.0, 5.5) == pytest.approx(10.0 / 5.5)
    # The baseline's second run does twice the work: two loops at once.
    assert parallel.speedup(3.0, 3.3, work_two=2.0) == pytest.approx(6.0 / 3.3)
    assert parallel.net_speedup(10.0, 5.5, 0.5, 0.5) == pytest.approx(9.5 / 5.0)
    assert parallel.net_speedup(1.0, 1.0, 2.0, 0.5) is None


def test_quarter_peaks(parallel: ModuleType) -> None:
    timeline = [(0.0, 10.0), (1.0, 50.0), (2.0, 40.0), (3.0, 45.0), (4.0, 5.0)]
    assert parallel.quarter_peaks(timeline) == [10.0, 50.0, 40.0, 45.0]
    assert parallel.quarter_peaks([]) == []


def test_batch_records_cycle_the_pages_with_unique_ids(parallel: ModuleType) -> None:
    import json

    lines = parallel.batch_records([("a", "一\n二"), ("b", "三")], 5)
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == ["a#0", "b#1", "a#2", "b#3", "a#4"]
    assert records[2]["text"] == "一\n二"
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
