"""HTML to page text: the lines a scraper gives, per-line facts, decoding, hostile input."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengwen.html import (
    BLOCK_TAGS,
    HtmlPage,
    decode_html,
    extract_html,
    html_to_page,
    looks_like_html,
)
from zhengwen.model import Document

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "html_lines.py"


def lines_of(markup: str) -> list[str]:
    return html_to_page(markup).lines


# --------------------------------------------------------------------------- text nodes


def test_every_text_node_on_its_own_line_with_link_and_block() -> None:
    page = html_to_page(
        "<html><head><title> 标题  一 </title></head><body>"
        "<div>导航<a href='/x'>首页<b>新闻</b></a>正文前</div>"
        "<p>第一段<br>第二行</p><ul><li><a href='/y'>相关阅读</a></li></ul>"
        "<h1>大 <i>标题</i></h1><span>无块</span></body></html>"
    )
    assert page.lines == [
        "导航",
        "首页",
        "新闻",
        "正文前",
        "第一段",
        "第二行",
        "相关阅读",
        "大",
        "标题",
        "无块",
    ]
    assert page.link_chars == [0, 2, 2, 0, 0, 0, 4, 0, 0, 0]
    assert page.block == ["div", "div", "div", "div", "p", "p", "li", "h1", "h1", "body"]
    assert page.text == "\n".join(page.lines)
    assert page.title == "标题 一"
    assert page.h1 == "大 标题"
    assert page.encoding is None  # the input was a str
    assert page.parser == "html5ever"


def test_scripts_styles_noscript_template_svg_and_comments_are_dropped() -> None:
    assert lines_of(
        "<body><p>前<!-- 注释 -->后</p><script>var a = '脚本';</script><style>p{}</style>"
        "<noscript>请启用脚本</noscript><template><p>模板</p></template>"
        "<svg><title>图标</title><text>图表</text></svg><p>尾</p></body>"
    ) == ["前", "后", "尾"]  # a comment splits a text node in two, as it does for a scraper


def test_a_text_node_over_several_source_lines_keeps_inner_indentation() -> None:
    assert lines_of("<body><pre>\n  第一行\n\n    第二行  \n</pre></body>") == [
        "第一行",
        "    第二行",
    ]


def test_entities_are_decoded_and_blank_nodes_dropped() -> None:
    assert lines_of("<body><p>A&amp;B&nbsp;&#20013;</p><p>&nbsp;</p><p> \u3000 </p></body>") == [
        "A&B\xa0中"
    ]


def test_iframe_content_is_text_as_html_defines_it() -> None:
    assert lines_of("<body><iframe><p>备用</p></iframe></body>") == ["<p>备用</p>"]


def test_the_title_moved_into_the_body_by_the_parser_is_not_a_line() -> None:
    # Text or an unknown tag before <head> makes libxml2 open the body early and
    # put <title> in it; a scraper that reads in source order keeps it in the head.
    page = html_to_page(
        '<wrapper id="x"><html><head><title>页面标题</title></head>'
        "<body><p>正文</p></body></html></wrapper>"
    )
    assert page.lines == ["正文"]
    assert page.title == "页面标题"


def test_a_title_after_the_body_tag_is_page_text() -> None:
    page = html_to_page(
        "<html><head><title>外层</title></head><body><p>甲</p>"
        "<html><head><title>嵌入页</title></head></html><p>乙</p></body></html>"
    )
    assert page.lines == ["甲", "嵌入页", "乙"]
    assert page.title == "外层"


def test_missing_title_and_h1_are_none() -> None:
    page = html_to_page("<body><p>只有正文</p></body>")
    assert page.title is None
    assert page.h1 is None


@pytest.mark.parametrize("markup", ["", "   \n ", "<!-- 只有注释 -->", "<html></html>"])
def test_pages_without_text_give_no_lines(markup: str) -> None:
    page = html_to_page(markup)
    assert page.lines == page.link_chars == page.block == []
    assert page.text == ""


# --------------------------------------------------------------------------- decoding

ARTICLE_HEAD = "<html><head>{meta}<title>镕基——新闻</title></head>"
ARTICLE = ARTICLE_HEAD + "<body><p>朱镕基·讲话——全文</p></body></html>"


def test_gbk_labelled_page_is_read_as_gb18030() -> None:
    # 镕 is outside GB2312; 0xA1AA is read as U+2014 (—), as browsers read it.
    data = ARTICLE.format(meta='<meta charset="gb2312">').encode("gb18030")
    page = html_to_page(data)
    assert page.encoding == "gb18030"
    assert page.lines == ["朱镕基·讲话——全文"]
    assert page.title == "镕基——新闻"


def test_http_header_charset_comes_before_meta() -> None:
    data = ARTICLE.format(meta='<meta charset="big5">').encode("gbk")
    assert html_to_page(data, "text/html; charset=GBK").encoding == "gb18030"


def test_meta_http_equiv_is_read() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=big5">'
    data = f"<html><head>{meta}</head><body><p>繁體中文新聞</p></body></html>".encode("big5")
    page = html_to_page(data)
    assert page.encoding == "big5"
    assert page.lines == ["繁體中文新聞"]


def test_a_server_default_latin1_header_yields_to_the_page_meta() -> None:
    data = ARTICLE.format(meta='<meta charset="gbk">').encode("gb18030")
    assert html_to_page(data, "text/html; charset=ISO-8859-1").encoding == "gb18030"


def test_a_declaration_the_bytes_contradict_is_not_believed() -> None:
    data = ARTICLE.format(meta='<meta charset="utf-8">').encode("gb18030") * 3
    assert decode_html(data)[1] == "gb18030"


def test_undeclared_bytes_are_detected() -> None:
    data = (ARTICLE.format(meta="") * 4).encode("gb18030")
    text, encoding = decode_html(data)
    assert encoding == "gb18030"
    assert "朱镕基" in text


def test_byte_order_mark_decides_and_stays() -> None:
    text, encoding = decode_html(b"\xef\xbb\xbf<p>\xe4\xb8\xad</p>", "text/html; charset=gbk")
    assert encoding == "utf-8"
    assert text.startswith("\ufeff")


def test_a_utf16_label_without_a_byte_order_mark_means_utf8() -> None:
    data = '<meta charset="utf-16"><p>中文</p>'.encode()
    assert html_to_page(data).lines == ["中文"]


def test_unknown_labels_fall_through_to_detection() -> None:
    assert decode_html("<p>中文</p>".encode(), "text/html; charset=no-such-thing")[1] == "utf-8"


# --------------------------------------------------------------------------- safety


def test_no_external_entity_or_dtd_is_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    markup = (
        f'<!DOCTYPE html [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<html><body><p>&x;</p><img src="file://{secret}"></body></html>'
    )
    page = html_to_page(markup)
    assert "TOP-SECRET" not in page.text


def test_100000_deep_nesting_is_read_whole() -> None:
    depth = 100_000
    markup = "<body><p>前</p>" + "<div>层" * depth + "底" + "</div>" * depth + "<p>后</p></body>"
    page = html_to_page(markup)  # its time is benchmarks/', not a test's, to judge
    # Far past libxml2's depth limit (2048), which the old reading left to a flat tokenizer.
    assert page.parser == "html5ever"
    assert page.lines[:2] == ["前", "层"]
    assert page.lines[-2:] == ["层底", "后"]
    assert len(page.lines) == depth + 2
    assert page.block[1] == "div"


def test_unclosed_inline_tags_past_the_depth_limit_keep_link_context() -> None:
    markup = "<body>" + "<font><a href=x>链" * 3000 + "<p>段</p></body>"
    page = html_to_page(markup)
    assert page.lines[-1] == "段"
    assert page.link_chars[0] == 1
    assert page.block[-1] == "p"


def test_a_20_mb_page_is_read_whole() -> None:
    paragraph = "<p>" + "中文正文" * 25 + "</p>\n"
    one_node = "<p>" + "字" * 2_000_000 + "</p>"  # 6 MB of UTF-8 in one text node
    data = ("<html><body>" + paragraph * 50_000 + one_node + "</body></html>").encode("utf-8")
    assert len(data) > 20_000_000
    page = html_to_page(data)
    assert len(page.lines) == 50_001
    assert len(page.lines[-1]) == 2_000_000  # not cut at libxml2's default text-node cap


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_input_gives_a_consistent_page(markup: str | bytes) -> None:
    page = html_to_page(markup)
    assert isinstance(page, HtmlPage)
    assert page.text == "\n".join(page.lines)
    assert len(page.lines) == len(page.link_chars) == len(page.block)
    for line, link in zip(page.lines, page.link_chars, strict=True):
        assert line.strip() and "\n" not in line and "\r" not in line
        assert link in (0, len(line))


TAGS = ["div", "p", "a", "b", "span", "li", "td", "script", "h1", "br"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TAGS), st.text("中文ab <&>\n", max_size=6)), max_size=12))
def test_well_formed_pages_give_each_element_text_as_its_lines(
    parts: list[tuple[str, str]],
) -> None:
    import html as stdlib_html

    inner = "".join(
        f"<{tag}>" if tag == "br" else f"<{tag}>{stdlib_html.escape(text)}</{tag}>"
        for tag, text in parts
    )
    page = html_to_page(f"<html><head><title>t</title></head><body>{inner}</body></html>")
    expected = [
        (piece, tag)
        for tag, text in parts
        if tag not in ("br", "script") and text.strip()
        for piece in text.strip().split("\n")
        if piece.strip()
    ]
    assert page.lines == [line for line, _ in expected]
    assert page.link_chars == [len(line) if tag == "a" else 0 for line, tag in expected]
    assert page.block == [tag if tag in BLOCK_TAGS else "body" for _, tag in expected]


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("<!DOCTYPE html><html>", True),
        ("  <div class=x>正文</div>", True),
        (b"<HTML><BODY>", True),
        ("首页\n新闻\n正文 a<b 的比较", False),
        ("x < y and <em> alone", False),
    ],
)
def test_looks_like_html(document: str | bytes, expected: bool) -> None:
    assert looks_like_html(document) is expected


def test_extract_html_falls_back_on_h1_then_title(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_title(text: str, options: object = None, **overrides: object) -> Document:
        return Document(None, None, None, [], [], text, [])

    monkeypatch.setattr("zhengwen.core.extract", no_title)
    with_h1 = "<html><head><title>网页标题_网站</title></head><body><h1>文章标题</h1></body></html>"
    assert extract_html(with_h1).title == "文章标题"
    assert extract_html(with_h1.replace("h1", "p")).title == "网页标题_网站"


def test_extract_html_runs_the_pipeline_on_the_page_text(seed_text: str) -> None:
    from corpus_files import page_html
    from zhengwen import extract

    markup = page_html(seed_text.split("\n"), "标题")
    from_html = extract_html(markup.encode("utf-8"))
    from_text = extract(html_to_page(markup).text)
    assert from_html.body == from_text.body
    assert from_html.body
    assert [line.text for line in from_html.lines] == [
        line for line in seed_text.split("\n") if line.strip()
    ]


# --------------------------------------------------------------------------- the dev set

# Pinned floors of benchmarks/html_lines.py on ../shared/eval/dev (131/132 pages
# matched exactly, mean line agreement 0.99998, when they were set).
EXACT_PAGES_FLOOR = 0.98
MEAN_AGREEMENT_FLOOR = 0.999


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("html_lines", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared
def test_dev_pages_give_the_scraped_lines_of_the_gold(dev_dir: Path) -> None:
    bench = _benchmark()
    agreement, gold_lines, normalised = bench.agreement, bench.gold_lines, bench.normalised
    pages = sorted((dev_dir / "html").glob("*.html"))
    scores, exact = [], 0
    for path in pages:
        ours = normalised(html_to_page(path.read_bytes()).lines)
        gold = normalised(gold_lines(dev_dir / "gold" / f"{path.stem}.tsv"))
        scores.append(agreement(ours, gold))
        exact += ours == gold
    assert exact / len(pages) >= EXACT_PAGES_FLOOR
    assert sum(scores) / len(scores) >= MEAN_AGREEMENT_FLOOR


def test_extract_html_reads_the_page_with_its_markup() -> None:
    """With links on the page the HTML models decide, from the page text and its markup."""
    from zhengwen import extract
    from zhengwen.features import Markup

    markup = _ARTICLE_AND_LINKS
    page = html_to_page(markup)
    doc = extract_html(markup)
    expected = extract(page.text, markup=Markup(page.link_chars, page.block, page.title, page.h1))
    assert [line.label for line in doc.lines] == [line.label for line in expected.lines]
    assert doc.body.count("段") == 6


_ARTICLE_AND_LINKS = (
    "<html><head><title>标题</title></head><body>"
    + "".join(
        f"<p>这是文章的第{i}段，记者在现场看到，工作人员正在有序地组织群众撤离，情况基本稳定。</p>"
        for i in range(6)
    )
    + "<ul>"
    + "".join(f'<li><a href="/n{i}">第{i}条相关新闻的标题写在这里</a></li>' for i in range(8))
    + "</ul></body></html>"
)


@pytest.mark.xfail(
    strict=True,
    reason="the HTML models trained on dev + train pages keep a list of links that ends a page "
    "with no other furniture as body (those of the dev pages alone did not); docs/accuracy.md",
)
def test_extract_html_reads_links_as_evidence() -> None:
    """With links on the page the HTML models decide, and a linked list is mostly not body."""
    from zhengwen import extract
    from zhengwen.features import Markup

    article = "".join(
        f"<p>这是文章的第{i}段，记者在现场看到，工作人员正在有序地组织群众撤离，情况基本稳定。</p>"
        for i in range(6)
    )
    links = "".join(f'<li><a href="/n{i}">第{i}条相关新闻的标题写在这里</a></li>' for i in range(8))
    markup = f"<html><head><title>标题</title></head><body>{article}<ul>{links}</ul></body></html>"
    page = html_to_page(markup)
    doc = extract_html(markup)
    expected = extract(page.text, markup=Markup(page.link_chars, page.block, page.title, page.h1))
    assert [line.label for line in doc.lines] == [line.label for line in expected.lines]
    assert doc.body.count("段") == 6
    # The text alone cannot tell the link list from the article; its links can.
    assert extract(page.text).body.count("相关新闻") == 8
    assert doc.body.count("相关新闻") <= 2
