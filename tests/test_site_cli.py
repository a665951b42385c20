"""``--site-template`` on the command line: two passes, the same output for any order or -j.

The pages are made here: twelve pages of one host share a menu, a byline, a
footer and a site slogan written as a sentence. Read alone, a page keeps the
slogan as body (it reads like prose right under the article); with the
template, a line on every other page of the site is not body, while each
page's own article stays whole.
"""

from __future__ import annotations

import json
import random
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from conftest import run_quietly
from corpus_files import conversion_record, page_html, response_record, write_archive
from zhengwen.batch import RecordConfig, learn_archives, learn_records
from zhengwen.cli import main
from zhengwen.html import html_to_page
from zhengwen.options import Options
from zhengwen.site import SiteTemplates

needs_fastwarc = pytest.mark.skipif(find_spec("fastwarc") is None, reason="needs fastwarc")

MENU = ["首页", "新闻", "财经", "体育", "科技", "当前位置：首页 > 新闻 > 正文"]
# A site's line that a page read alone keeps as body: a sentence of prose under the article, which
# the models read as body (0.77 to 0.83) but not beyond what a site template's evidence overturns.
SLOGAN = "记者将持续关注相关进展，为读者带来更多来自基层一线的报道，敬请关注后续报道。"
FOOTER = ["关于我们 | 联系我们 | 广告服务", "版权所有 示例日报社 京ICP备12345678号"]
TOPICS = ["春耕", "高铁", "图书馆", "社区养老", "夜市", "新能源汽车"]
TOPICS += ["乡村振兴", "博物馆", "马拉松", "非遗", "植树", "防汛"]
SHARED = {*MENU, SLOGAN, "责任编辑：王小明", *FOOTER}


def page(i: int) -> str:
    """Page ``i`` of the site: its own headline, dateline and article inside the furniture."""
    t = TOPICS[i]
    article = [
        f"{t}工作取得新进展 多方合力推动落实",
        f"2023-0{1 + i % 9}-1{i % 10} 10:2{i % 10} 来源：示例日报",
        f"记者从有关部门获悉，今年以来本市{t}工作扎实推进，各项任务按计划有序开展，群众满意度持续提升。",
        f"据介绍，围绕{t}，相关部门先后出台了多项配套措施，加大资金投入，强化督促检查，确保政策落地见效。",
        f"下一步，本市将继续聚焦{t}中的重点难点问题，完善长效机制，推动各项工作再上新台阶。",
    ]
    return "\n".join([*MENU, *article, SLOGAN, "责任编辑：王小明", *FOOTER])


def article_lines(i: int) -> list[str]:
    return page(i).split("\n")[8:11]


def records() -> list[dict[str, Any]]:
    """The twelve pages (two hosts' spellings of one site), and one page with no URL."""
    rows: list[dict[str, Any]] = [
        {"url": f"https://{'www.' if i % 2 else ''}example.com/news/{i}.html", "text": page(i)}
        for i in range(12)
    ]
    rows.append({"id": "no-url", "text": page(0)})
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[dict[str, Any]], str]:
    assert main(argv) == 0
    captured = capsys.readouterr()
    return [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_a_line_on_every_page_of_the_site_is_no_longer_body(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "site.jsonl", records())
    plain, _ = run(["--jsonl", "-j", "1", "--keep-labels", str(path)], capsys)
    learned, err = run(
        ["--jsonl", "-j", "1", "--keep-labels", "--site-template", str(path)], capsys
    )
    assert "site template for 1 of 1 site" in err and "1 page without a site" in err

    for i, (before, after) in enumerate(zip(plain[:12], learned[:12], strict=True)):
        assert SLOGAN in before["body"].split("\n")  # the shipped model keeps it alone
        assert SLOGAN not in after["body"].split("\n")
        assert after["body"].split("\n") == article_lines(i)  # the article stays whole
        for old, new in zip(before["lines"], after["lines"], strict=True):
            assert "template" not in old
            if old["text"] in SHARED:
                assert new["template"] == 1.0
                assert new["score"] <= old["score"]
            else:
                assert new["template"] < 0.5
    slogan = [ln for ln in learned[0]["lines"] if ln["text"] == SLOGAN]
    assert slogan[0]["label"] != "body" and slogan[0]["score"] < 0.5

    # A record with no URL has no site, so no template: extracted as without the flag.
    assert learned[12] == plain[12]

    # Without --keep-labels the flag adds no field.
    bare, _ = run(["--jsonl", "-j", "1", "--site-template", str(path)], capsys)
    assert [set(row) for row in bare] == [
        set(r) | {"title", "date", "source", "authors", "editors", "body"} for r in records()
    ]


def test_output_is_the_same_for_any_order_and_any_number_of_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = records()
    shuffled = rows[:]
    random.Random(5).shuffle(shuffled)
    forward = write_jsonl(tmp_path / "forward.jsonl", rows)
    backward = write_jsonl(tmp_path / "shuffled.jsonl", shuffled)
    outputs = {}
    for name, path, jobs in (("f1", forward, "1"), ("f2", forward, "2"), ("s2", backward, "2")):
        out = tmp_path / f"{name}.jsonl"
        argv = ["--jsonl", "--site-template", "--keep-labels", "-j", jobs, "-q", str(path)]
        assert main([*argv, "-o", str(out)]) == 0
        outputs[name] = out.read_bytes()
    assert outputs["f1"] == outputs["f2"]

    def by_key(data: bytes) -> dict[str, Any]:
        parsed = (json.loads(line) for line in data.splitlines())
        return {row.get("url") or row["id"]: row for row in parsed}

    assert by_key(outputs["s2"]) == by_key(outputs["f1"])


def test_site_key_and_url_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Every page on its own host, but one "site" field: only --site-key groups them.
    rows = [
        {"link": f"https://host{i}.example/", "site": "日报", "text": page(i)} for i in range(8)
    ]
    path = write_jsonl(tmp_path / "keys.jsonl", rows)
    by_host, err = run(
        ["--jsonl", "-j", "1", "--site-template", "--url-field", "link", str(path)], capsys
    )
    assert "site template for 0 of 8 sites" in err
    assert all(SLOGAN in row["body"] for row in by_host)
    by_key, err = run(
        ["--jsonl", "-j", "1", "--site-template", "--site-key", "site", str(path)], capsys
    )
    assert "site template for 1 of 1 site" in err
    assert all(SLOGAN not in row["body"] for row in by_key)


def test_page_files_take_their_folder_as_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, alone = tmp_path / "example.com", tmp_path / "other"
    site.mkdir()
    alone.mkdir()
    for i in range(12):
        (site / f"p{i:02d}.txt").write_text(page(i), encoding="utf-8")
    (alone / "lone.txt").write_text(page(0), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["-j", "1", "-f", "json", "--site-template", "--output-dir", str(out)]
    assert main([*argv, str(site), str(alone / "lone.txt")]) == 0
    assert "site template for 1 of 2 sites" in capsys.readouterr().err
    doc = json.loads((out / "p03.json").read_text(encoding="utf-8"))
    assert doc["body"].split("\n") == article_lines(3)
    assert [ln["template"] for ln in doc["lines"][:6]] == [1.0] * 6
    lone = json.loads((out / "lone.json").read_text(encoding="utf-8"))  # a folder of one page
    assert SLOGAN in lone["body"] and "template" not in lone["lines"][0]

    # To stdout, the summary of the first pass is still said.
    assert main(["--site-template", str(alone / "lone.txt")]) == 0
    captured = capsys.readouterr()
    assert SLOGAN in captured.out and "site template for 0 of 1 site" in captured.err


@needs_fastwarc
def test_warc_records_take_the_host_of_their_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wet = [conversion_record(i, f"http://news.example.com/{i}", page(i), "zho") for i in range(12)]
    wet.append(conversion_record(99, "http://elsewhere.cn/1", page(0), "zho"))
    path = write_archive(tmp_path / "crawl.warc.wet.gz", wet)
    rows, err = run(["--warc", "-j", "2", "--keep-labels", "--site-template", str(path)], capsys)
    assert "site template for 1 of 2 sites" in err
    assert len(rows) == 13
    for i, row in enumerate(rows[:12]):
        assert row["body"].split("\n") == article_lines(i)
        assert all(ln["template"] == 1.0 for ln in row["lines"] if ln["text"] in SHARED)
    assert SLOGAN in rows[12]["body"] and "template" not in rows[12]["lines"][0]


@needs_fastwarc
def test_html_pages_are_learned_as_the_lines_the_extractor_reads(tmp_path: Path) -> None:
    # Learning needs no model: compare the learned table with one built from html_to_page.
    htmls = [page_html(page(i).split("\n"), TOPICS[i]) for i in range(8)]
    expected = SiteTemplates()
    for html in htmls:
        expected.add("example.com", html_to_page(html).text)
    probe = html_to_page(htmls[2]).text
    want = expected.shares("example.com", probe)
    assert want is not None and max(want) == 1.0

    rows = [{"url": f"http://example.com/{i}", "html": h} for i, h in enumerate(htmls)]
    path = write_jsonl(tmp_path / "html.jsonl", rows)
    config = RecordConfig(options=Options(), html_field="html")
    table = SiteTemplates()
    assert learn_records([str(path)], config, table) == 0
    assert table.shares("example.com", probe) == want

    warc = [
        response_record(
            i, f"http://example.com/{i}", h.encode("utf-8"), {"Content-Type": "text/html"}
        )
        for i, h in enumerate(htmls)
    ]
    archive = write_archive(tmp_path / "html.warc", warc)
    table = SiteTemplates()
    assert learn_archives([str(archive)], None, table) == 0
    assert table.shares("example.com", probe) == want


def test_jsonl_html_records_get_shares_of_the_lines_they_are_read_as(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    htmls = [page_html(page(i).split("\n"), TOPICS[i]) for i in range(8)]
    rows = [{"url": f"http://example.com/{i}", "html": h} for i, h in enumerate(htmls)]
    path = write_jsonl(tmp_path / "html.jsonl", rows)
    argv = ["--jsonl", "-j", "1", "--keep-labels", "--html-field", "html", "--site-template"]
    out, err = run([*argv, str(path)], capsys)
    assert "site template for 1 of 1 site" in err
    for html, row in zip(htmls, out, strict=True):
        assert [ln["text"] for ln in row["lines"]] == html_to_page(html).lines
        assert all(ln["template"] == 1.0 for ln in row["lines"] if ln["text"] in SHARED)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--jsonl", "--site-template", "-"], "stdin cannot be read again"),
        (["--jsonl", "--url-field", "link", "x.jsonl"], "--url-field is for --jsonl --site-"),
        (["--site-template", "--site-key", "s", "x.txt"], "--site-key is for --jsonl --site-"),
        (
            ["--jsonl", "--site-template", "--url-field", "a", "--site-key", "b", "x.jsonl"],
            "exclude each other",
        ),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_subprocess_stdin_is_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "site.jsonl", records()).read_bytes()
    done = run_quietly([sys.executable, "-m", "zhengwen", "--jsonl", "--site-template"], data)
    assert done.returncode == 2 and done.stdout == b""
    assert b"stdin cannot be read again" in done.stderr
