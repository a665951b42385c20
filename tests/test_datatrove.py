"""The datatrove steps, run by datatrove's LocalPipelineExecutor on files the tests write.

Skipped when datatrove is not installed (the ``test`` extra does not install
it; ``pip install -e '.[datatrove]'`` does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from corpus_files import conversion_record, page_html, response_record, warc_record, write_archive

pytest.importorskip("datatrove")
pytest.importorskip("orjson")  # datatrove's JSONL reader and writer

from datatrove.data import Document as DatatroveDocument
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from zhengwen.contrib.datatrove import (
    ZhengwenBodyFilter,
    ZhengwenExtractor,
    ZhengwenWarcReader,
)

BLANK = "\u3000\u3000\n \n\u3000"  # no body whatever the labels
ENGLISH = "<html><body><p>An English page about nothing in particular at all.</p></body></html>"


def run(pipeline: list[Any], tmp_path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run ``pipeline`` + a JSONL writer in one local task; the written rows and stats by step."""
    out, logs = tmp_path / "out", tmp_path / "logs"
    writer = JsonlWriter(str(out), compression=None)
    LocalPipelineExecutor([*pipeline, writer], tasks=1, workers=1, logging_dir=str(logs)).run()
    rows = [json.loads(line) for path in sorted(out.glob("*.jsonl")) for line in path.open()]
    steps = json.loads((logs / "stats.json").read_text(encoding="utf-8"))
    return rows, {step["name"]: step["stats"] for step in steps}


def step_stats(stats: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = (value for key, value in stats.items() if key.endswith(name))
    return dict(found)


def test_jsonl_of_html_and_text_through_extractor_and_filter(
    tmp_path: Path, seed_text: str
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    article_html = page_html(seed_text.split("\n"), "网页标题")
    docs = [("html", article_html), ("text", seed_text), ("blank", BLANK)]
    with (source / "docs.jsonl").open("w", encoding="utf-8") as f:
        for doc_id, text in docs:
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")

    rows, stats = run(
        [JsonlReader(str(source)), ZhengwenExtractor(store_lines=True), ZhengwenBodyFilter()],
        tmp_path,
    )

    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {"html", "text"}
    for row in by_id.values():
        meta = row["metadata"]
        assert row["text"]
        assert meta["zhengwen_title"]
        assert isinstance(meta["zhengwen_authors"], list)
        assert len(meta["zhengwen_lines"]) == len(meta["zhengwen_labels"])
        assert set(meta["zhengwen_labels"]) >= {"body"}
    # HTML and text of the same page give the same article.
    assert by_id["html"]["text"] == by_id["text"]["text"]
    extractor = step_stats(stats, "zhengwen")
    assert extractor["extracted"] == 3
    assert extractor["empty_body"] == 1
    body_filter = step_stats(stats, "zhengwen body")
    assert body_filter["dropped_empty_body"] == 1
    assert body_filter["forwarded"] == 2


def test_warc_file_through_the_zhengwen_reader(tmp_path: Path, seed_text: str) -> None:
    source = tmp_path / "warc"
    source.mkdir()
    article = page_html(seed_text.split("\n"), "网页标题").encode("gb18030")
    records = [
        warc_record({"WARC-Type": "warcinfo", "WARC-Record-ID": "<urn:uuid:i>"}, b"x: y\r\n"),
        response_record(1, "http://a.cn/1", article, {"Content-Type": "text/html; charset=gbk"}),
        response_record(2, "http://a.cn/en", ENGLISH.encode(), {"Content-Type": "text/html"}),
        conversion_record(3, "http://a.cn/3", seed_text, "zho"),
    ]
    write_archive(source / "crawl.warc.gz", records)

    rows, stats = run(
        [
            ZhengwenWarcReader(str(source), lang="zho"),
            ZhengwenExtractor(input_format="text"),
            ZhengwenBodyFilter(min_body_chars=50),
        ],
        tmp_path,
    )

    assert [row["metadata"]["url"] for row in rows] == ["http://a.cn/1", "http://a.cn/3"]
    first = rows[0]
    assert first["id"] == "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    assert first["metadata"]["date"] == "2024-05-01T08:00:00Z"
    assert first["metadata"]["zhengwen_html_title"] == "网页标题"
    assert rows[0]["text"] == rows[1]["text"] != ""
    reader = step_stats(stats, "zhengwen WARC")
    assert reader["skipped_lang_cjk_check"] == 1
    assert reader["skipped_type:warcinfo"] == 1


def test_warc_file_through_datatroves_own_reader(tmp_path: Path, seed_text: str) -> None:
    for module in ("warcio", "cchardet", "magic"):  # datatrove[io]'s WarcReader needs them
        pytest.importorskip(module)
    from datatrove.pipeline.readers import WarcReader

    source = tmp_path / "warc"
    source.mkdir()
    article = page_html(seed_text.split("\n"), "网页标题").encode("utf-8")
    record = response_record(1, "http://a.cn/1", article, {"Content-Type": "text/html"})
    record = record.replace(
        b"WARC-Type: response\r\n",
        b"WARC-Type: response\r\nWARC-Identified-Payload-Type: text/html\r\n",
    )
    write_archive(source / "crawl.warc.gz", [record])

    rows, _ = run([WarcReader(str(source)), ZhengwenExtractor(), ZhengwenBodyFilter()], tmp_path)

    (row,) = rows
    assert row["metadata"]["url"] == "http://a.cn/1"
    assert row["metadata"]["zhengwen_title"]
    assert "<p>" not in row["text"] and row["text"]


def test_the_filter_names_its_reasons() -> None:
    body_filter = ZhengwenBodyFilter(min_body_chars=5)

    def doc(text: str, **metadata: Any) -> DatatroveDocument:
        return DatatroveDocument(text=text, id="x", metadata=metadata)

    assert body_filter.filter(doc("正文有五个字")) is True
    assert body_filter.filter(doc("四 个 字")) == (False, "short_body")
    assert body_filter.filter(doc(" \n")) == (False, "empty_body")
    assert body_filter.filter(doc("", zhengwen_error="timeout")) == (False, "extract_timeout")
    assert body_filter.filter(doc("", zhengwen_error="error: ValueError: x")) == (
        False,
        "extract_error",
    )


def test_a_failing_document_is_kept_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    extractor = ZhengwenExtractor(input_format="text")

    def boom(text: str, fallback_title: str | None = None) -> dict[str, object]:
        if text == "坏":
            raise ValueError("bad page")
        return {"body": text, "title": None}

    monkeypatch.setattr(extractor, "fields", boom)
    docs = [DatatroveDocument(text=t, id=t) for t in ("好", "坏")]
    out = list(extractor.run(iter(docs)))
    assert [d.text for d in out] == ["好", ""]
    assert out[1].metadata["zhengwen_error"].startswith("error: ValueError")
    assert extractor.stats["clean_error"].total == 1


def test_bad_settings_fail_before_any_document() -> None:
    with pytest.raises(ValueError, match="input_format"):
        ZhengwenExtractor(input_format="pdf")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown option"):
        ZhengwenExtractor(no_such_option=1)
    with pytest.raises(ValueError, match="min_body_chars"):
        ZhengwenBodyFilter(min_body_chars=-1)
