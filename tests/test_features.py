"""Each feature pattern with a positive and a negative case; lexicon loading."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwen import lexicon
from zhengwen.features import ALL_NAMES, NAMES, col, line_features, page_features
from zhengwen.normalize import feature_text, split_lines


def feat(line: str, name: str) -> float:
    return float(line_features([feature_text(line, 10_000)])[0, col(name)])


@pytest.mark.parametrize(
    ("name", "yes", "no"),
    [
        ("date_cover", "2022-11-14", "共计2022人"),
        ("has_time", "16:28", "比分3:100"),
        ("ago", "3小时前", "三个小时"),
        ("list_start", "1、第一条", "2022年第一条"),
        ("contact", "投稿邮箱: abc@163.com", "今天天气很好"),
        ("legal", "京ICP备12345678号", "正文内容"),
        ("meta_key", "来源：新华网", "来源于生活"),
        ("byline", "（记者 张三）", "记者们说"),
        ("ends_sentence", "这是一句话。", "这是标题"),
        ("ends_sentence", "他说：“好。”", "他说：“好"),
        ("starts_punct", "），1975年出生", "1975年出生"),
        ("bracketed", "【相关新闻】", "相关新闻"),
        ("lex_exact_related_header", "为你推荐", "为你推荐一本好书，它讲的是历史"),
        ("lex_exact_related_header", "相關新聞", "新聞"),
        ("lex_start_pager", "上一篇：某某", "这是上一篇文章说的"),
        ("lex_exact_footer", "版权所有", "所有权"),
    ],
)
def test_pattern_positive_and_negative(name: str, yes: str, no: str) -> None:
    assert feat(yes, name) > 0
    assert feat(no, name) == 0


def test_han_counts_both_widths_of_punctuation() -> None:
    half = line_features(["他说,今天下雨了!"])[0]
    full = line_features(["他说，今天下雨了。"])[0]
    assert half[col("han")] == full[col("han")] == 7
    assert half[col("punct_ratio")] == full[col("punct_ratio")] > 0


def test_han_beyond_bmp_and_lone_surrogates() -> None:
    x = line_features(["𠀀𠀁", "a\ud800b"])
    assert x[0, col("han")] == 2
    assert x[1, col("chars")] == 3


def test_prose_overlap_counts_pairs_found_in_other_prose_lines() -> None:
    lines = [
        "地铁五号线二期开通了吗？",
        "记者从市交通运输局获悉，地铁五号线二期工程今天正式开通运营，沿线居民出行更加便利。",
        "周末去哪里吃火锅比较好？",
        "地铁五号线",
    ]
    x = line_features(lines)[:, col("prose_overlap")]
    # 地铁 铁五 五号 号线 线二 二期 开通 of 10 pairs recur in the prose line; none of the link's do.
    assert x[0] == pytest.approx(7 / 10)
    assert x[2] == 0.0
    assert x[3] == 1.0
    # The prose line's own pairs do not count for it: no other prose line.
    assert x[1] == 0.0


def test_prose_overlap_with_repeats_and_blank_lines() -> None:
    # Past 2**28 lines the core sorts wider keys; its Rust test
    # (prose_overlap_is_the_same_with_either_key_width) shows the figures stay the same.
    lines = [
        "地铁五号线二期开通了吗？",
        "记者获悉，地铁五号线二期工程今天正式开通运营，沿线居民出行更加便利。",
    ]
    lines = lines * 3 + ["周末去哪里吃火锅比较好？", ""]
    x = line_features(lines)[:, col("prose_overlap")]
    assert x[0] > 0 and x[1] == 1.0  # the prose line's pairs recur in its repeats
    assert x[-2] == 0.0 and x[-1] == 0.0


def test_features_are_a_writable_matrix_of_the_core_rows() -> None:
    folded = ["首页", "正文第一段，内容很长。"]
    x = page_features(folded)
    assert x.flags.writeable and x.dtype == np.float64 and x.shape == (2, len(ALL_NAMES))
    assert np.array_equal(line_features(folded), x[:, : len(NAMES)])
    assert page_features([]).shape == (0, len(ALL_NAMES))
    with pytest.raises(TypeError):
        page_features([b"bytes"])  # type: ignore[list-item]


def test_page_features_shape_and_finite() -> None:
    lines = split_lines("首页\n新闻\n\n标题\n正文第一段，内容很长。\n上一篇")
    x = page_features([feature_text(s, 100) for s in lines])
    assert x.shape == (len(lines), len(ALL_NAMES))
    assert np.isfinite(x).all()


def test_lexicons_load_and_are_nonempty() -> None:
    for kind in lexicon.Kind:
        words = lexicon.words(kind)
        assert words and all(w and not any(c.isspace() for c in w) for w in words)
    assert lexicon.exact_index()["为你推荐"]


def test_comment_section_headers_can_match() -> None:
    # Matched as a folded line's core: an entry with edge punctuation or spaces never would.
    from zhengwen.features import line_core
    from zhengwen.normalize import feature_text

    sections = lexicon.comment_section()
    assert "网友评论" in sections and "只看楼主" not in sections
    assert all(line_core(feature_text(w, 100)) == w for w in sections)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("胡平", True),
        ("罗银胜", True),
        ("歐陽修", True),
        ("司马相如", True),
        ("前言", False),  # no surname
        ("王", False),  # a surname alone
        ("王小明明", False),  # too long after a one-character surname
        ("胡平。", False),
        ("Hu Ping", False),
    ],
)
def test_bare_name(text: str, name: bool) -> None:
    assert lexicon.is_bare_name(text) is name


@pytest.mark.parametrize(
    ("folded", "text"),
    [
        ("", False),
        ("\ue5e5\ue5e5", False),
        ("\U000f0001", False),
        ("\ue600分享", True),
        ("文", True),
    ],
)
def test_has_text(folded: str, text: bool) -> None:
    from zhengwen.normalize import has_text

    assert has_text(folded) is text


@pytest.mark.parametrize(
    ("core", "yes"),
    [
        ("网友评论", True),  # listed
        ("3条评论", True),
        ("共5篇評論", True),
        ("查看全部139条评论", True),
        ("播客热潮》已有1件评论", True),
        ("请先登录再发表评论", True),
        ("登入後留言", True),
        ("评论", False),  # also a share button and a menu item
        ("条评论", False),  # the count on a line of its own is only a number
        ("13条回复", False),  # a forum's replies can be body
        ("他说3条评论不够", False),
        ("登录", False),
    ],
)
def test_comment_section_forms(core: str, yes: bool) -> None:
    assert lexicon.is_comment_section(core) is yes


def test_html_features_link_density_block_and_headline() -> None:
    from zhengwen.features import HTML_NAMES, html_features

    folded = ["首页", "新闻", "这是一篇文章的正文，写得很长。", "相关阅读"]
    x = html_features(folded, [2, 2, 0, 4], ["li", "li", "p", "nav"], "正文标题_网站", "首页")
    got = [dict(zip(HTML_NAMES, row, strict=True)) for row in x]
    assert [r["link_w0"] for r in got] == [1.0, 1.0, 0.0, 1.0]
    # ±1 line around the article line: 2 + 4 link chars of 2 + 15 + 4 chars.
    assert got[2]["link_w1"] == pytest.approx(6 / 21)
    assert got[0]["link_before10"] == 0.0 and got[0]["link_after10"] == pytest.approx(6 / 21)
    assert [r["block_list"] for r in got] == [1.0, 1.0, 0.0, 0.0]
    assert got[2]["block_p"] == 1.0 and got[3]["block_landmark"] == 1.0
    assert got[0]["is_h1"] == 1.0 and got[1]["is_h1"] == 0.0
    assert got[2]["in_html_title"] == 0.0  # its text is not in the <title>
    assert html_features([], [], [], None, None).shape == (0, len(HTML_NAMES))


@pytest.mark.parametrize(
    ("line", "folded"),
    [
        ("&nbsp;&nbsp;记者&ldquo;走基层&rdquo;&#12290;", "记者“走基层”。"),
        ("AT&T 与 R&D", "AT&T与R&D"),  # a bare ampersand is text
        ("?id=1&copy=2", "?id=1&copy=2"),  # a reference counts only with its semicolon
        ("&amp;lt;b&amp;gt;", "&amp;lt;b&amp;gt;"),  # "&" itself stays: no new references
        ("\u3000\u3000正文\u200b内容 ", "正文内容"),
    ],
)
def test_feature_text_folds_whitespace_and_character_references(line: str, folded: str) -> None:
    assert feature_text(line, 100) == folded


@given(st.text(alphabet=st.sampled_from(list("&;#x0123456789abltgmpnsAMP<>文")), max_size=40))
def test_decoding_references_once_is_for_good(line: str) -> None:
    from zhengwen.normalize import decoded

    assert decoded(decoded(line)) == decoded(line)


_FOLD_PIECES = ["&amp;", "&nbsp;", "&ampx;", "&lt", "&#38;", "&#0;", "&#x80;", "&#xD800;", "&#1;"]
_FOLD_PIECES += [" ", "\u3000", "\u200b", "\x1c", "\x85", "\ufeff", "\ud800", "中", "。", "a", "&"]


@given(
    st.lists(st.lists(st.sampled_from(_FOLD_PIECES), max_size=12).map("".join), max_size=8),
    st.integers(min_value=-20, max_value=40),
)
def test_core_folds_lines_like_feature_text(lines: list[str], max_chars: int) -> None:
    from zhengwen import _core

    assert _core.fold_lines(lines, max_chars) == [feature_text(s, max_chars) for s in lines]
