"""The library's contract on the seed page and on hand-made pages."""

from __future__ import annotations

from pathlib import Path

import pytest

import zhengwen
from zhengwen import Label, Options


def test_seed_labels_equal_gold(seed_text: str, seed_gold: tuple[list[str], list[str]]) -> None:
    labels, texts = seed_gold
    doc = zhengwen.extract(seed_text)
    assert [ln.text for ln in doc.lines] == texts
    wrong = [
        (ln.index, ln.label.value, g, ln.text[:30])
        for ln, g in zip(doc.lines, labels)
        if ln.label.value != g
    ]
    assert wrong == []


def test_seed_metadata(seed_text: str) -> None:
    doc = zhengwen.extract(seed_text)
    assert doc.title == "掀起学习党的二十大精神热潮 坚决把党的二十大决策部署变成车谷生动实践"
    assert doc.date == "2022-11-14T16:28:00"
    assert doc.source == "武汉开发区"
    assert doc.editors == ["吕作璐", "蒋秋雨"]


def test_body_is_the_body_lines_verbatim(seed_text: str) -> None:
    doc = zhengwen.extract(seed_text)
    assert doc.body == "\n".join(ln.text for ln in doc.lines if ln.label is Label.BODY)
    assert zhengwen.clean(seed_text) == doc.body
    assert doc.body.startswith("新征程是充满光荣和梦想的远征")


def test_every_line_has_a_reason_and_counts_add_up(seed_text: str) -> None:
    doc = zhengwen.extract(seed_text)
    assert all(ln.reason for ln in doc.lines)
    assert sum(doc.reasons.values()) == len(doc.lines)


def test_related_header_reason(seed_text: str) -> None:
    doc = zhengwen.extract(seed_text)
    header = next(ln for ln in doc.lines if ln.text == "为你推荐")
    assert header.label is Label.RELATED
    assert header.reason == "section_header:为你推荐"


@pytest.mark.parametrize("text", ["", "\n", "\n\n\n"])
def test_empty_pages(text: str) -> None:
    doc = zhengwen.extract(text)
    assert doc.body == ""
    assert doc.title is None
    assert len(doc.lines) == len(text.split("\n")) - 1


def test_line_endings_and_invisible_characters_do_not_change_labels(seed_text: str) -> None:
    plain = [ln.label for ln in zhengwen.extract(seed_text).lines]
    crlf = seed_text.replace("\n", "\r\n")
    assert [ln.label for ln in zhengwen.extract(crlf).lines] == plain
    noisy = "\ufeff" + seed_text.replace("。", "。\u200b")
    assert [ln.label for ln in zhengwen.extract(noisy).lines] == plain


def test_lines_keep_their_exact_text() -> None:
    text = "首页\n\u3000\u3000这是一段正文，它有缩进。\r\n  尾部  \n"
    doc = zhengwen.extract(text)
    assert [ln.text for ln in doc.lines] == [
        "首页",
        "\u3000\u3000这是一段正文，它有缩进。",
        "  尾部  ",
    ]


def test_options_reject_unknown_and_conflicting() -> None:
    with pytest.raises(TypeError):
        zhengwen.extract("x", no_such_option=1)
    with pytest.raises(ValueError):
        Options(favor_precision=True, favor_recall=True)
    with pytest.raises(ValueError):
        Options(body_threshold=2.0)


def test_favor_precision_keeps_no_more_than_default(seed_text: str) -> None:
    base = zhengwen.extract(seed_text).body.split("\n")
    strict = zhengwen.extract(seed_text, favor_precision=True).body.split("\n")
    loose = zhengwen.extract(seed_text, favor_recall=True).body.split("\n")
    assert set(strict) <= set(base) <= set(loose)


def test_traditional_page() -> None:
    page = "\n".join(
        [
            "首頁",
            "新聞",
            "國際",
            "颱風逼近 氣象局發布海上警報",
            "2023-07-26 10:30",
            "來源：中央社",
            "中央氣象局今天上午發布海上颱風警報，提醒航行及作業船隻嚴加戒備，並注意強風巨浪。",
            "氣象局表示，颱風暴風圈預計明天清晨接觸陸地，各地應做好防颱準備，避免前往海邊及山區。",
            "民眾如有需要，可隨時上網查詢最新的颱風動態與各地風雨情形，並留意政府發布的訊息。",
            "相關新聞",
            "颱風假怎麼放？各縣市最新公告",
            "版權所有 © 中央社",
        ]
    )
    doc = zhengwen.extract(page)
    assert doc.source == "中央社"
    assert doc.date == "2023-07-26T10:30:00"
    body = doc.body.split("\n")
    assert len(body) == 3 and body[0].startswith("中央氣象局")


def test_prose_under_a_related_header_is_not_body() -> None:
    # Other articles' summaries, printed as full paragraphs under 延伸閱讀, read as
    # prose line by line; the header below the article says they are not it.
    article = [
        "中央氣象局今天上午發布海上颱風警報，提醒航行及作業船隻嚴加戒備，並注意強風巨浪。",
        "氣象局表示，颱風暴風圈預計明天清晨接觸陸地，各地應做好防颱準備，避免前往海邊及山區。",
    ]
    others = [
        "交通部表示，颱風期間各地公路可能因落石或積水封閉，用路人出發前應先查詢路況資訊。",
        "農委會提醒農民，颱風來襲前應盡早採收成熟作物，並加強農田排水，以減少可能的損失。",
    ]
    head = ["首頁", "颱風逼近 氣象局發布海上警報", "2023-07-26 10:30"]
    tail = [others[0], "2023-07-25", others[1], "2023-07-24", "版權所有 © 中央社"]
    page = "\n".join([*head, *article, "延伸閱讀", *tail])
    doc = zhengwen.extract(page)
    assert doc.body.split("\n") == article
    below = [ln for ln in doc.lines if ln.text in others]
    assert all(ln.label is Label.RELATED for ln in below)
    assert {ln.reason for ln in below} == {"below_section_header:延伸閱讀"}


ESSAY = [
    "——当代中国的精神危机",
    "人心不会熄灭，但它可能蒙上灰烬而不再燃烧。灰烬本来是燃烧的产物，但它反过来又抑制了燃烧。",
    "拨开灰烬，你会看到重新燃烧的人心。我们需要的不是更多的火种，而是把灰烬拨开的勇气。",
]


def test_a_line_of_icon_glyphs_is_not_body() -> None:
    # Private-use characters only: an icon font's glyph, or a full-width space a
    # GBK page decoded to U+E5E5. Nothing in the line is text to keep.
    page = "\n".join([ESSAY[1], "\ue5e5\ue5e5", ESSAY[2]])
    doc = zhengwen.extract(page)
    assert doc.lines[1].label is Label.OTHER and doc.lines[1].reason == "no_text"
    assert doc.body.split("\n") == [ESSAY[1], ESSAY[2]]


@pytest.mark.parametrize(
    "code",
    [
        '<SCRIPT LANGUAGE="JavaScript1.1" SRC="http://ad.example.com/main/s?user=NetEase|'
        'Sina|Article&db=sina&border=0&local=yes">',
        '<NOSCRIPT><A HREF="http://ad.example.com/main/adfclick?db=sina&bid=1,2,3&cid=4,5,6">'
        "<IMG SRC=x.gif WIDTH=585 HEIGHT=50></A></NOSCRIPT>",
        "<style>.ad{display:none}</style>",
        '<iframe src="https://ad.example.com/frame" width="300" height="250"></iframe>',
    ],
)
def test_a_script_or_style_element_left_in_the_text_is_not_body(code: str) -> None:
    # An old scraper's copy of a page keeps its ad scripts as text lines, inside the
    # article: long, full of punctuation, and none of it the article's.
    page = "\n".join([ESSAY[1], code, ESSAY[2]])
    doc = zhengwen.extract(page)
    assert doc.lines[1].label is Label.OTHER and doc.lines[1].reason == "code_element"
    assert doc.body.split("\n") == [ESSAY[1], ESSAY[2]]


def test_undecoded_character_references_do_not_change_labels(seed_text: str) -> None:
    plain = zhengwen.extract(seed_text)
    # A scraper that wrote entities for the indents, the quotes and the colon.
    escaped = "\n".join(
        "&nbsp;&nbsp;" + line.replace("“", "&ldquo;").replace("”", "&rdquo;").replace(":", "&#58;")
        if line
        else line
        for line in seed_text.split("\n")
    )
    doc = zhengwen.extract(escaped)
    assert [ln.label for ln in doc.lines] == [ln.label for ln in plain.lines]
    meta = (doc.title, doc.date, doc.source, doc.authors, doc.editors)
    assert meta == (plain.title, plain.date, plain.source, plain.authors, plain.editors)
    assert doc.source == "武汉开发区"  # from "&nbsp;&nbsp;来源&#58; 武汉开发区"


# --------------------------------------------------------------------------- one front door

PAGE_HTML = (
    "<!DOCTYPE html><html><head><title>县里新建一座图书馆 - 新闻网</title></head><body>"
    '<div class="nav"><a href="/">首页</a><a href="/news">新闻</a></div>'
    "<h1>县里新建一座图书馆</h1>"
    "<p>本报讯 县里新建的图书馆今天正式开放，馆内藏书十万册，设有少儿阅览室和自习区。</p>"
    "<p>馆长介绍，图书馆每天开放十二个小时，市民凭身份证即可免费办理借书证。</p>"
    '<div class="footer"><a href="/about">关于我们</a> 版权所有</div>'
    "</body></html>"
)


def test_extract_reads_html_as_extract_html_does() -> None:
    doc = zhengwen.extract(PAGE_HTML)
    assert doc == zhengwen.extract_html(PAGE_HTML)
    assert "<p>" not in doc.body and "图书馆今天正式开放" in doc.body
    assert doc.title == "县里新建一座图书馆"
    assert zhengwen.clean(PAGE_HTML) == doc.body


def test_extract_html_switch_overrides_detection() -> None:
    forced = zhengwen.extract(PAGE_HTML, html=False)  # one line of markup, read as text
    assert [ln.text for ln in forced.lines] == [PAGE_HTML]
    text = "首页\n县里新建一座图书馆\n本报讯 县里新建的图书馆今天正式开放。"
    assert zhengwen.extract(text, html=True) == zhengwen.extract_html(text)


def test_extract_reads_bytes_as_the_command_line_does(seed_text: str) -> None:
    assert zhengwen.extract(seed_text.encode("gb18030")) == zhengwen.extract(seed_text)
    assert zhengwen.extract(bytearray(seed_text.encode("utf-8"))) == zhengwen.extract(seed_text)
    gbk_html = PAGE_HTML.replace("<head>", '<head><meta charset="gbk">').encode("gbk")
    assert zhengwen.extract(gbk_html) == zhengwen.extract(PAGE_HTML)
    assert zhengwen.extract(PAGE_HTML.encode(), html=False).lines[0].text == PAGE_HTML


def test_extract_html_and_html_to_page_are_exported() -> None:
    from zhengwen import html

    assert zhengwen.extract_html is html.extract_html
    assert zhengwen.html_to_page is html.html_to_page
    assert {"extract_html", "html_to_page"} <= set(zhengwen.__all__)


@pytest.mark.parametrize("page", [None, 3, ["第一行"], Path("page.txt")])
def test_extract_refuses_other_types_by_name(page: object) -> None:
    with pytest.raises(TypeError, match=r"argument 'page' must be str .* or bytes, not "):
        zhengwen.extract(page)  # type: ignore[arg-type]


def test_extract_refuses_binary_bytes() -> None:
    with pytest.raises(ValueError, match="binary data"):
        zhengwen.extract(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)


def test_extract_keeps_its_keyword_parameters(seed_text: str) -> None:
    doc = zhengwen.extract(seed_text, Options(), favor_precision=True)
    assert doc == zhengwen.extract(seed_text, Options(favor_precision=True))
    shares = [0.0] * len(doc.lines)
    assert zhengwen.extract(seed_text, template=shares).lines[0].text == doc.lines[0].text


def test_text_path_does_not_import_what_a_page_does_not_need() -> None:
    # numpy costs more to import than a page takes, the regex module 15 ms,
    # hashlib and tempfile 8 ms together: extract on text and the command on a
    # page file to stdout must not load them (zhengwen/engine.py builds the core's pieces).
    import subprocess
    import sys
    from pathlib import Path

    seed = Path(__file__).resolve().parents[1] / "fixtures" / "seed.txt"
    code = (
        "import sys, zhengwen, zhengwen.cli\n"
        f"doc = zhengwen.extract(open({str(seed)!r}, encoding='utf-8').read())\n"
        "assert doc.body\n"
        f"zhengwen.cli.main([{str(seed)!r}])\n"
        "print(sorted(m for m in ('numpy', 'regex', 'hashlib', 'tempfile') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"


@pytest.mark.parametrize("mode", ["--jsonl", "--warc"])
def test_batch_commands_import_numpy_only_for_site_templates(
    tmp_path: Path, seed_text: str, mode: str
) -> None:
    # Workers are forked from the command's process: what it imports, each
    # worker has, and numpy is most of a batch's start-up (-j 2 over -j 1).
    import json
    import subprocess
    import sys

    from corpus_files import conversion_record, write_archive

    if mode == "--jsonl":
        data = tmp_path / "in.jsonl"
        data.write_text(json.dumps({"id": "a", "text": seed_text}) + "\n", encoding="utf-8")
    else:
        data = write_archive(
            tmp_path / "in.warc", [conversion_record(1, "https://example.cn/a", seed_text, "zho")]
        )
    out = tmp_path / "out.jsonl"
    argv = [mode, str(data), "-j", "2", "-q", "--no-progress", "-o", str(out)]
    code = (
        "import sys, zhengwen.cli\n"
        f"status = zhengwen.cli.main({argv!r})\n"
        "print(status, 'numpy' in sys.modules, file=sys.stderr)\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stderr.split()[-2:] == ["0", "False"]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_lines_made_in_the_core_are_the_dataclass_s_own() -> None:
    # core._extract builds each page's Line objects in the core (a frozen
    # dataclass's __init__ is slow): they must be what Line(...) makes.
    import dataclasses

    from zhengwen import _core
    from zhengwen.core import _LABELS, _LINE_FIELDS
    from zhengwen.model import Label, Line

    texts, codes, scores, why = ["标题", "正文。", ""], [1, 0, 9], [0.1, 0.9, 0.0], ["a", "b", "c"]
    made = _core.new_lines(Line, _LINE_FIELDS, texts, _LABELS, codes, scores, why)
    assert made == [
        Line(0, "标题", Label.TITLE, 0.1, "a"),
        Line(1, "正文。", Label.BODY, 0.9, "b"),
        Line(2, "", Label.OTHER, 0.0, "c"),
    ]
    assert all(type(line) is Line for line in made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].label = Label.BODY  # type: ignore[misc]
    with pytest.raises(ValueError, match="3 texts"):
        _core.new_lines(Line, _LINE_FIELDS, texts, _LABELS, codes[:2], scores, why)
    with pytest.raises(IndexError):
        _core.new_lines(Line, _LINE_FIELDS, texts, _LABELS, [1, 0, 99], scores, why)
