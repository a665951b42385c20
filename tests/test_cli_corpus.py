"""The command line on HTML pages, JSON Lines records of HTML, and WARC/WET files.

As in test_cli.py, the CLI is compared with the library (``extract_html``,
``html_to_page``, ``zhengwen.extract``) rather than with particular labels.
WARC and WET files are written by hand in each test (tests/corpus_files.py).
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from conftest import run_quietly
from corpus_files import conversion_record, page_html, response_record, warc_record, write_archive
from zhengwen import extract
from zhengwen.cli import main
from zhengwen.html import extract_html, html_to_page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = (FIXTURES / "seed.txt").read_text(encoding="utf-8")
SEED_LINES = SEED.rstrip("\n").split("\n")
ARTICLE = page_html(SEED_LINES, "掀起学习热潮").encode("utf-8")
# A second Chinese page, shorter, served as GBK with the charset in the HTTP header only.
OTHER_TEXT = "\n".join(SEED_LINES[20:45])
OTHER = page_html(SEED_LINES[20:45], "另一篇").replace('<meta charset="utf-8">', "")
ENGLISH = (
    "<html><head><title>News</title></head><body><p>The quick brown fox jumps over the lazy "
    "dog, again and again, all day long.</p><p>Another sentence in English.</p></body></html>"
).encode("ascii")
DOC_KEYS = {"title", "date", "source", "authors", "editors", "body"}
ROW_KEYS = {"url", "warc_record_id", "warc_date"} | DOC_KEYS

needs_fastwarc = pytest.mark.skipif(find_spec("fastwarc") is None, reason="needs fastwarc")


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _record_id(number: int) -> str:
    return f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>"


def _crawl() -> list[bytes]:
    """Two Chinese HTML responses, an English one, and records that are no page."""
    return [
        warc_record({"WARC-Type": "warcinfo", "WARC-Record-ID": "<urn:uuid:info>"}, b"x: y\r\n"),
        response_record(1, "http://news.cn/a", ARTICLE, {"Content-Type": "text/html"}),
        warc_record(
            {"WARC-Type": "request", "WARC-Record-ID": "<urn:uuid:req>"},
            b"GET /b HTTP/1.1\r\nHost: news.cn\r\n\r\n",
        ),
        response_record(
            2,
            "http://news.cn/b",
            OTHER.encode("gbk"),
            {"Content-Type": "text/html; charset=GBK"},
        ),
        response_record(3, "http://example.com/en", ENGLISH, {"Content-Type": "text/html"}),
    ]


# --------------------------------------------------------------------------- HTML page files


def test_an_html_file_is_read_as_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(ARTICLE)
    expected = extract_html(ARTICLE)
    assert expected.body  # the seed article has a body
    assert main([str(path)]) == 0
    assert capsys.readouterr().out == expected.body + "\n"

    assert main(["-f", "tsv", str(path)]) == 0
    rows = capsys.readouterr().out.split("\n")[:-1]
    assert [row.split("\t", 1)[1] for row in rows] == html_to_page(ARTICLE).lines == SEED_LINES
    assert [row.split("\t", 1)[0] for row in rows] == [ln.label.value for ln in expected.lines]

    assert main(["-f", "json", str(path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["encoding"] == "utf-8" and record["replaced"] == 0
    assert record["body"] == expected.body and record["title"] == expected.title
    assert [ln["text"] for ln in record["lines"]] == SEED_LINES

    assert main(["--explain", str(path)]) == 0
    explained = capsys.readouterr().out.splitlines()
    assert len(explained) == len(SEED_LINES)
    assert all(row.endswith(line) for row, line in zip(explained, SEED_LINES, strict=True))

    assert main(["-f", "markdown", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"# {expected.title}\n\n")


def test_html_charset_comes_from_meta_unless_encoding_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gbk = OTHER.replace("<head>", '<head><meta charset="gbk">').encode("gbk")
    path = tmp_path / "gbk.html"
    path.write_bytes(gbk)
    assert main(["-f", "json", str(path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["encoding"] == "gb18030"
    assert [ln["text"] for ln in record["lines"]] == SEED_LINES[20:45]
    assert record["body"] == extract_html(gbk).body

    # A wrong label in the page: --encoding wins over it.
    lying = OTHER.replace("<head>", '<head><meta charset="big5">').encode("gbk")
    path.write_bytes(lying)
    assert main(["-f", "json", "--encoding", "gbk", str(path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["encoding"] == "gbk" and record["replaced"] == 0
    assert [ln["text"] for ln in record["lines"]] == SEED_LINES[20:45]


def test_html_flag_on_stdin_forces_html(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Fragments with no tag that looks_like_html knows: page text unless --html says otherwise.
    fragment = "".join(f"<span>{line}</span>\n" for line in SEED_LINES).encode("utf-8")
    _stdin(monkeypatch, fragment)
    assert main(["-f", "tsv"]) == 0
    texts = [row.split("\t", 1)[1] for row in capsys.readouterr().out.split("\n")[:-1]]
    assert texts == fragment.decode("utf-8").rstrip("\n").split("\n")

    _stdin(monkeypatch, fragment)
    assert main(["--html"]) == 0
    assert capsys.readouterr().out == extract_html(fragment).body + "\n"
    assert extract_html(fragment).body


def test_no_html_reads_an_html_file_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(ARTICLE)
    assert main(["--no-html", "-f", "tsv", str(path)]) == 0
    texts = [row.split("\t", 1)[1] for row in capsys.readouterr().out.split("\n")[:-1]]
    assert texts == ARTICLE.decode("utf-8").rstrip("\n").split("\n")


def test_page_text_is_not_taken_for_html(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURES / "seed.txt")]) == 0
    assert capsys.readouterr().out == extract(SEED).body + "\n"


# --------------------------------------------------------------------------- JSON Lines of HTML


def test_jsonl_html_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = ARTICLE.decode("utf-8")
    rows = [
        {"id": 0, "html": html},
        {"id": 1, "text": SEED},  # no html field: an error record, not a fallback
        {"id": 2, "html": OTHER, "text": "ignored"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    assert (
        main(["--jsonl", "-q", "-j", "1", "--html-field", "html", "--keep-labels", str(path)]) == 1
    )
    out = _rows(capsys.readouterr().out)
    assert [r["id"] for r in out] == [0, 1, 2]
    assert out[0]["body"] == extract_html(html).body and out[0]["body"]
    assert out[0]["html"] == html  # input fields are kept
    assert [ln["text"] for ln in out[0]["lines"]] == SEED_LINES
    assert out[1]["error"] == "line 2: no field 'html'" and "body" not in out[1]
    assert out[2]["body"] == extract_html(OTHER).body
    assert out[2]["text"] == "ignored"


# --------------------------------------------------------------------------- WARC / WET


@needs_fastwarc
def test_warc_keeps_chinese_pages_with_their_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_archive(tmp_path / "crawl.warc", _crawl())
    assert main(["--warc", "--lang", "zho", "-j", "1", str(path)]) == 0
    captured = capsys.readouterr()
    out = _rows(captured.out)
    assert [(r["url"], r["warc_record_id"], r["warc_date"]) for r in out] == [
        ("http://news.cn/a", _record_id(1), "2024-05-01T08:00:00Z"),
        ("http://news.cn/b", _record_id(2), "2024-05-01T08:00:00Z"),
    ]
    assert all(set(r) == ROW_KEYS for r in out)
    assert out[0]["body"] == extract_html(ARTICLE).body and out[0]["body"]
    other = extract_html(OTHER.encode("gbk"), "text/html; charset=GBK")
    assert out[1]["body"] == other.body
    assert "2 pages, 0 errors" in captured.err
    assert "3 archive records skipped (lang_cjk_check 1, type:request 1, type:warcinfo 1)" in (
        captured.err
    )

    # Without --lang the English page is kept too; --keep-labels adds the lines.
    assert main(["--warc", "-q", "-j", "1", "--keep-labels", str(path)]) == 0
    out = _rows(capsys.readouterr().out)
    assert [r["url"] for r in out] == [
        "http://news.cn/a",
        "http://news.cn/b",
        "http://example.com/en",
    ]
    assert [ln["text"] for ln in out[0]["lines"]] == SEED_LINES


@needs_fastwarc
def test_wet_records_are_page_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        conversion_record(1, "http://news.cn/a", SEED, "zho,eng"),
        conversion_record(2, "http://example.com/en", "An English page.\nNothing more.", "eng"),
        conversion_record(3, "http://news.cn/b", OTHER_TEXT, "zho"),
    ]
    path = write_archive(tmp_path / "crawl.warc.wet.gz", records)
    assert main(["--warc", "--lang", "zho", "-j", "1", str(path)]) == 0
    captured = capsys.readouterr()
    out = _rows(captured.out)
    assert [r["url"] for r in out] == ["http://news.cn/a", "http://news.cn/b"]
    assert out[0]["warc_record_id"] == "<urn:uuid:00000000-0000-0000-0001-000000000001>"
    assert out[0]["body"] == extract(SEED).body and out[0]["body"]
    assert out[1]["body"] == extract(OTHER_TEXT).body
    assert "1 archive record skipped (lang 1)" in captured.err


@needs_fastwarc
def test_gzip_warc_with_workers_to_an_atomic_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = write_archive(tmp_path / "crawl.warc", _crawl())
    zipped = write_archive(tmp_path / "crawl.warc.gz", _crawl())
    assert main(["--warc", "-q", "-j", "1", "--lang", "zho", str(plain)]) == 0
    expected = capsys.readouterr().out
    target = tmp_path / "out.jsonl"
    assert main(["--warc", "-q", "-j", "2", "--lang", "zho", "-o", str(target), str(zipped)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text("utf-8") == expected
    assert len(_rows(expected)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "crawl.warc",
        "crawl.warc.gz",
        "out.jsonl",
    ]


@needs_fastwarc
@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
def test_a_truncated_archive_gives_a_last_error_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    good = write_archive(tmp_path / "good.warc", [_crawl()[1]])
    whole = write_archive(tmp_path / name, _crawl()[:4]).read_bytes()
    (tmp_path / name).write_bytes(whole[: len(whole) - 200])  # inside the GBK page's record
    assert main(["--warc", "-j", "1", str(good), str(tmp_path / name)]) == 1
    captured = capsys.readouterr()
    out = _rows(captured.out)
    assert [r["url"] for r in out] == ["http://news.cn/a", "http://news.cn/a", None]
    assert "error" not in out[0] and "error" not in out[1]
    assert out[1]["body"] == out[0]["body"] == extract_html(ARTICLE).body
    last = out[2]
    assert last["error"].startswith("unreadable archive after 1 page records")
    assert last["file"] == str(tmp_path / name)
    assert last["warc_record_id"] is None and last["warc_date"] is None
    assert f"{tmp_path / name}: unreadable archive after 1 page records" in captured.err
    assert "3 pages, 1 error" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["--lang", "zho", "x"],
        ["--html-field", "html", "x"],
        ["--warc", "--jsonl", "x"],
        ["--warc", "--format", "tsv", "x"],
        ["--warc", "--output-dir", "d", "x"],
        ["--warc", "--encoding", "gbk", "x"],
        ["--warc", "--resume", "-o", "a", "x"],
        ["--warc", "--lang", "zh", "x"],
        ["--jsonl", "--html", "x"],
    ],
)
def test_corpus_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


@needs_fastwarc
def test_subprocess_warc_from_a_pipe(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(_crawl()))  # one gzip member for the whole file
    run = run_quietly(
        [sys.executable, "-m", "zhengwen", "--warc", "--lang", "zho", "-j", "1"], data
    )
    assert run.returncode == 0, run.stderr
    out = _rows(run.stdout.decode("utf-8"))
    assert [r["url"] for r in out] == ["http://news.cn/a", "http://news.cn/b"]
    assert out[0]["body"] == extract_html(ARTICLE).body


@needs_fastwarc
def test_warc_progress_bar_counts_the_file_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bar of a --warc run over a file has a total (the file's stored bytes), so an ETA."""
    path = write_archive(tmp_path / "crawl.warc.gz", _crawl())
    out = str(tmp_path / "o.jsonl")
    assert main(["--warc", "-j", "1", "--progress", "-o", out, str(path)]) == 0
    err = capsys.readouterr().err
    assert "100%" in err and "B/s" in err  # a share done needs a total: the file's bytes
    # Read from stdin, the size is unknown: the bar counts pages.
    with io.TextIOWrapper(path.open("rb")) as stream:
        monkeypatch.setattr("sys.stdin", stream)
        assert main(["--warc", "-j", "1", "--progress", "-o", str(tmp_path / "p.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "%" not in err and " pages" in err


@needs_fastwarc
def test_warc_max_record_bytes_makes_a_bomb_an_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000, mtime=0)
    gz = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    records = [response_record(1, "http://news.cn/bomb", bomb, gz), *_crawl()]
    path = write_archive(tmp_path / "crawl.warc", records)
    argv = ["--warc", "--lang", "zho", "-j", "1", "--max-record-bytes", "1000000", str(path)]
    assert main(argv) == 1  # one record failed
    out = _rows(capsys.readouterr().out)
    assert out[0]["url"] == "http://news.cn/bomb"
    assert "too large once decompressed" in out[0]["error"]
    assert [r["url"] for r in out[1:]] == ["http://news.cn/a", "http://news.cn/b"]
