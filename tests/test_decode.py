"""The decoder's rules and the reason codes, on hand-made beliefs (no model involved)."""

from __future__ import annotations

import numpy as np
import pytest

from beliefs import beliefs
from zhengwen import decode, reasons
from zhengwen.decode import (
    PageDecision,
    close_sections,
    decide,
    drop_title_echoes,
    heaviest_run,
    labels_from_probs,
    name_furniture,
    never_headline,
)
from zhengwen.features import page_features
from zhengwen.model import Label
from zhengwen.normalize import feature_text


def test_heaviest_run() -> None:
    assert heaviest_run(np.array([-1.0, 2.0, -0.5, 2.0, -3.0, 1.0])) == (1, 4)
    assert heaviest_run(np.array([-1.0, -2.0])) == (0, 0)


def test_threshold_and_single_title() -> None:
    probs = beliefs(
        {"nav": 0.9},
        {"title": 0.7, "body": 0.2},
        {"body": 0.9},
        {"body": 0.4, "related": 0.5},
        {"title": 0.3, "body": 0.6},
    )
    labels, title_rows = labels_from_probs(probs, 0.5)
    assert title_rows == [1]
    assert labels == [Label.NAV, Label.TITLE, Label.BODY, Label.RELATED, Label.BODY]


def test_no_line_sure_enough_keeps_the_most_body_like() -> None:
    probs = beliefs({"body": 0.3}, {"body": 0.4}, {"nav": 0.9})
    labels, _ = labels_from_probs(probs, 0.5)
    assert labels[1] is Label.BODY and labels[2] is Label.NAV


def test_pager_key_and_its_link_title() -> None:
    folded = ["上一篇：", "某某新闻标题在这里", "为你推荐"]
    x = page_features(folded)
    labels = name_furniture([Label.SHARE, Label.RELATED, Label.NAV], x, folded)
    assert labels == [Label.PAGER, Label.PAGER, Label.RELATED]


def test_footer_key_with_its_value_is_footer() -> None:
    # GUIDELINES: 投稿邮箱 and the site's contact lines are footer, even among share prompts.
    folded = [
        "扫码关注",
        "投稿邮箱:wuhankfq@163.com",
        "关于我们",
        "版权声明：本文为博主原创文章，遵循CC4.0BY-SA版权协议，转载请附上原文出处链接",
    ]
    x = page_features(folded)
    labels = name_furniture([Label.SHARE, Label.SHARE, Label.NAV, Label.META], x, folded)
    # The bare key (a menu item) and a long notice keep the model's kind.
    assert labels == [Label.SHARE, Label.FOOTER, Label.NAV, Label.META]


def test_name_furniture_never_touches_body() -> None:
    folded = ["上一篇我们讲到了这个问题。"]
    x = page_features(folded)
    assert name_furniture([Label.BODY], x, folded) == [Label.BODY]


def _close(folded: list[str], labels: list[Label], probs: np.ndarray | None = None):
    if probs is None:
        probs = beliefs(*({"nav": 0.9} for _ in folded))
    titles = [i for i, lab in enumerate(labels) if lab is Label.TITLE]
    return close_sections(labels, page_features(folded), probs, titles, folded)


def test_related_header_below_the_article_closes_it() -> None:
    # The summaries of other articles under 相关阅读 read as prose line by line.
    folded = [
        "某地举行活动",
        "第一段正文，内容很长。",
        "相关阅读",
        "另一篇文章的摘要，也写得很长。",
        "2022-11-14",
        "又一篇文章的摘要，同样很长。",
    ]
    b, t, n, m = Label.BODY, Label.TITLE, Label.NAV, Label.META
    labels, header = _close(folded, [t, b, n, b, m, b])
    assert header == 2
    assert labels == [t, b, Label.RELATED, Label.RELATED, m, Label.RELATED]
    # The header itself is never body (on the dev pages, no such line is).
    labels, header = _close(folded, [t, b, b, b, m, b])
    assert header == 2
    assert labels == [t, b, Label.RELATED, Label.RELATED, m, Label.RELATED]


def test_pager_word_closes_the_article_with_the_likeliest_furniture() -> None:
    folded = ["第一段正文，内容很长。", "上一篇", "另一篇文章的摘要，也写得很长。"]
    probs = beliefs({"body": 0.9}, {"pager": 0.9}, {"body": 0.6, "comment": 0.3})
    labels, header = _close(folded, [Label.BODY, Label.PAGER, Label.BODY], probs)
    assert header == 1
    assert labels == [Label.BODY, Label.PAGER, Label.COMMENT]


@pytest.mark.parametrize(
    "header", ["【网友评论】", "查看全部13条评论", "登录并评论", "《标题》已有1件评论"]
)
def test_comment_section_header_closes_the_article(header: str) -> None:
    folded = ["第一段正文，内容很长。", header, "这篇文章写得很好，我完全同意作者的看法。"]
    b = Label.BODY
    labels, header_row = _close(folded, [b, Label.NAV, b])
    assert header_row == 1
    assert labels == [b, Label.COMMENT, Label.COMMENT]


@pytest.mark.parametrize(
    ("folded", "labels"),
    [
        # A forum's reply controls are not a comment section: its replies can be body.
        (
            ["楼主的帖子正文，内容很长。", "只看楼主", "回复", "二楼的回复正文，也写得很长。"],
            [Label.BODY, Label.COMMENT, Label.COMMENT, Label.BODY],
        ),
        # Nor a bare two-character header: over a forum's replies, 最新 is a sort toggle.
        (
            ["楼主的帖子正文，内容很长。", "最新", "二楼的回复正文，也写得很长。"],
            [Label.BODY, Label.RELATED, Label.BODY],
        ),
        # A sidebar's header above the title closes nothing, even below a stray body line.
        (
            [
                "网站首页",
                "侧栏里的一句话，也很长。",
                "最新文章",
                "侧栏另一句话，也很长。",
                "某地举行活动",
                "第一段正文，内容很长。",
            ],
            [Label.NAV, Label.BODY, Label.RELATED, Label.BODY, Label.TITLE, Label.BODY],
        ),
        # Nor above the first body line, when the page has no title.
        (
            ["网站首页", "最新文章", "第一段正文，内容很长。", "第二段正文，内容很长。"],
            [Label.NAV, Label.RELATED, Label.BODY, Label.BODY],
        ),
        # A count of replies, or a count inside a sentence, is no comment section.
        (
            ["楼主的帖子正文，内容很长。", "13条回复", "二楼的回复正文，也写得很长。"],
            [Label.BODY, Label.META, Label.BODY],
        ),
        (
            ["第一段正文，内容很长。", "他说3条评论不够", "第二段正文，内容很长。"],
            [Label.BODY, Label.BODY, Label.BODY],
        ),
        # Nor does a header that only looks like one: 相关阅读 opens the line, but is not all of it.
        (
            ["第一段正文，内容很长。", "相关阅读材料见附件", "第二段正文，内容很长。"],
            [Label.BODY, Label.NAV, Label.BODY],
        ),
    ],
)
def test_headers_that_close_nothing(folded: list[str], labels: list[Label]) -> None:
    assert _close(folded, labels) == (labels, None)


PROSE = "人心不会熄灭，但它可能蒙上灰烬而不再燃烧。"


def test_a_subtitle_is_never_the_title() -> None:
    # ——… under a headline is its subtitle (body); the next most title-like line is the title.
    probs = beliefs(
        {"nav": 0.9},
        {"title": 0.5, "body": 0.4},
        {"title": 0.6, "body": 0.3},
        {"body": 0.9},
    )
    subtitles = [False, False, True, False]
    labels, title_rows = labels_from_probs(probs, 0.5, subtitles)
    assert title_rows == [1]
    assert labels[2] is not Label.TITLE
    # Only subtitles to choose from: no title at all.
    _, rows = labels_from_probs(probs[1:3], 0.5, [True, True])
    assert rows == []


@pytest.mark.parametrize(
    ("below", "kind"), [("——热烈祝贺会议开幕", "body"), ("发布时间：2022-11-14 16:28", "meta")]
)
def test_decide_passes_over_a_subtitle_or_date_line_for_the_title(
    monkeypatch: pytest.MonkeyPatch, below: str, kind: str
) -> None:
    # The line under the headline is believed more title-like, but its form rules it out.
    folded = ["网站首页", "为现代化建设凝聚力量", below, PROSE]
    probs = beliefs({"nav": 0.9}, {"title": 0.5}, {"title": 0.6, kind: 0.3}, {"body": 0.9})
    monkeypatch.setattr("zhengwen.decode.beliefs", lambda x1, models: probs[: len(x1)])
    page = decide(folded, 0.5, ())
    assert page.title_rows == [1]


@pytest.mark.parametrize(
    ("line", "ruled_out"),
    [
        ("为现代化建设凝聚强大智慧和力量", False),
        ("湖人98:95险胜勇士", False),  # a time of day alone: may be a score
        ("5月20日起播出《北京影人》", False),  # a date inside a headline
        ("——热烈祝贺会议开幕", True),  # a subtitle
        ("相关阅读", True),  # named outright by a lexicon
        ("上一篇", True),
        ("来源：新华网", True),  # a meta key
        ("最新推荐文章于2023-09-0417:53:10发布", True),  # a date with a time of day
        ("2022年11月14日", True),  # mostly a date
        ("2005年11月(15)", True),  # a month alone with a count: a blog's archive
        ("2019-05", True),
        ("3 天前", True),  # a relative time alone
        ("刚刚", True),
        ("10年前的今天", False),  # a relative time inside a headline
        ("昨天，我们去了金矿", False),
        ("多维博客»播客热潮迅速蔓延挑逗传统传媒业", True),  # a breadcrumb
        ("首页>新闻>正文", True),
    ],
)
def test_forms_never_the_headline(line: str, ruled_out: bool) -> None:
    folded = ["网站首页", line, PROSE]
    assert never_headline(page_features(folded), folded) == [True, ruled_out, False]


def test_a_copy_of_the_title_is_not_body() -> None:
    folded = ["社会资本与再就业", "社会资本与再就业", PROSE, "社会资本与再就业的关系"]
    probs = beliefs({"title": 0.9}, {"body": 0.8, "nav": 0.15}, {"body": 0.9}, {"body": 0.9})
    labels = [Label.TITLE, Label.BODY, Label.BODY, Label.BODY]
    out = drop_title_echoes(labels, probs, [0], folded, 0.5)
    # Only an exact copy goes, to its likeliest furniture; no title, no change.
    assert out == [Label.TITLE, Label.NAV, Label.BODY, Label.BODY]
    assert drop_title_echoes(labels[1:], probs[1:], [], folded[1:], 0.5) == labels[1:]


def test_a_title_believed_body_has_no_echoes() -> None:
    # A body read alone takes one of its own lines as title; the copies of that
    # line (a repeated line of a listing) stay.
    folded = ["--network=app \\", PROSE, "--network=app \\"]
    probs = beliefs({"body": 0.9, "title": 0.1}, {"body": 0.9}, {"body": 0.9})
    labels = [Label.TITLE, Label.BODY, Label.BODY]
    assert drop_title_echoes(labels, probs, [0], folded, 0.5) == labels


def _decide_replaying(
    monkeypatch: pytest.MonkeyPatch, folded: list[str], readings: list[np.ndarray]
) -> PageDecision:
    """``decide`` with the page's readings given: the first for the page, then one a re-reading.

    The rules after the beliefs are switched off, so only the re-readings act.
    """
    replay = iter(readings)

    class Replay:
        def predict(self, x: np.ndarray) -> np.ndarray:
            return x  # pass one hands its input to pass two untouched

    class Second:
        def predict(self, x: np.ndarray) -> np.ndarray:
            return next(replay)

    monkeypatch.setattr("zhengwen.decode.stack_features", lambda x1, p: np.zeros((len(x1), 0)))
    monkeypatch.setattr(
        "zhengwen.decode.page_features", lambda f, markup=None: np.zeros((len(f), 0))
    )
    off = {"never_headline", "name_furniture", "close_sections", "title_echoes"}
    monkeypatch.setattr("zhengwen.decode.RULES", decode.RULES - off)
    return decide(folded, 0.5, (Replay(), Second()))


def test_body_that_does_not_hold_alone_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    # Line 2 is body beside the others but not when the body is read alone;
    # it takes its likeliest furniture label from the first reading.
    folded = ["菜单", "第一段正文，很长。", "侧栏的一段话", "第二段正文，很长。"]
    readings = [
        beliefs({"nav": 0.9}, {"body": 0.9}, {"body": 0.6}, {"body": 0.9}),
        beliefs({"body": 0.9}, {"related": 0.8}, {"body": 0.9}),
        beliefs({"body": 0.9}, {"body": 0.9}),
    ]
    page = _decide_replaying(monkeypatch, folded, readings)
    assert [lab.value for lab in page.labels] == ["nav", "body", "other", "body"]
    assert page.dropped == [2]


def test_body_still_shrinking_after_every_rereading_keeps_its_first_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each re-reading peels the body's last line, and the rounds run out
    # before it settles: the page read whole stands, rather than no body.
    monkeypatch.setattr("zhengwen.decode.REFINE_ROUNDS", 2)
    folded = ["菜单", "蔡健雅（", "Tanya Chua", "），1975年出生于新加坡。", "华语流行乐女歌手、"]
    readings = [
        beliefs({"nav": 0.9}, *({"body": 0.8} for _ in range(4))),
        beliefs(*({"body": 0.8} for _ in range(3)), {"nav": 0.7}),
        beliefs(*({"body": 0.8} for _ in range(2)), {"nav": 0.7}),
    ]
    page = _decide_replaying(monkeypatch, folded, readings)
    assert [lab.value for lab in page.labels] == ["nav", "body", "body", "body", "body"]
    assert page.dropped == []


def _page(
    folded: list[str],
    labels: list[Label],
    dropped: tuple[int, ...] = (),
    header: int | None = None,
) -> PageDecision:
    x = page_features(folded)
    titles = [i for i, lab in enumerate(labels) if lab is Label.TITLE]
    return PageDecision(labels, np.zeros(len(labels)), titles, x, list(dropped), header)


@pytest.mark.parametrize(
    ("lines", "labels", "row", "code"),
    [
        (["", "正文"], [Label.OTHER, Label.BODY], 0, "blank"),
        (["\ue5e5\ue5e5", "正文"], [Label.OTHER, Label.BODY], 0, "no_text"),
        (
            ['<SCRIPT LANGUAGE="JavaScript1.1" SRC="x.js">', "正文"],
            [Label.OTHER, Label.BODY],
            0,
            "code_element",
        ),
        (["标题", "胡平", "正文"], [Label.TITLE, Label.META, Label.BODY], 1, "byline"),
        (["这是一段很长的正文内容，有标点符号，也有很多汉字。"], [Label.BODY], 0, "sentence_prose"),
        (
            ["第一段正文很长，有标点符号。", "小标题", "第二段正文很长，有标点符号。"],
            [Label.BODY] * 3,
            1,
            "between_body_lines",
        ),
        (["大标题在这里", "正文"], [Label.TITLE, Label.BODY], 0, "headline"),
        (["京ICP备12345678号"], [Label.FOOTER], 0, "icp_pattern"),
        (["2022-11-14 16:28:00"], [Label.META], 0, "date_line"),
        (["为你推荐"], [Label.RELATED], 0, "section_header:为你推荐"),
        (["发表评论"], [Label.COMMENT], 0, "comment_header:发表评论"),
        (["分享到"], [Label.SHARE], 0, "lexicon:分享"),
        (["正文很长，有标点符号。", "某个链接"], [Label.BODY, Label.NAV], 1, "outside_body:nav"),
        (["某个链接"], [Label.OTHER], 0, "model:other"),
        (
            ["大标题在这里", "大标题在这里", "正文"],
            [Label.NAV, Label.TITLE, Label.BODY],
            0,
            "title_echo",
        ),
    ],
)
def test_reason_codes(lines: list[str], labels: list[Label], row: int, code: str) -> None:
    folded = [feature_text(s, 1000) for s in lines]
    assert reasons.explain(folded, _page(folded, labels))[row] == code


def test_reason_for_dropped_line() -> None:
    folded = ["正文很长，有标点符号。", "侧栏"]
    page = _page(folded, [Label.BODY, Label.RELATED], dropped=(1,))
    assert reasons.explain(folded, page)[1] == "not_body_when_read_alone"


def test_reason_below_a_section_header() -> None:
    folded = ["正文很长，有标点符号。", "延伸閱讀", "另一篇文章的摘要，也写得很长。"]
    page = _page(folded, [Label.BODY, Label.RELATED, Label.RELATED], header=1)
    assert reasons.explain(folded, page)[1:] == [
        "section_header:延伸閱讀",
        "below_section_header:延伸閱讀",
    ]


def test_reason_below_a_comment_section_header() -> None:
    folded = ["正文很长，有标点符号。", "網友評論", "读者的看法，写得也很长。"]
    page = _page(folded, [Label.BODY, Label.COMMENT, Label.COMMENT], header=1)
    assert reasons.explain(folded, page)[2] == "below_section_header:網友評論"


def test_rules_switch_off_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # As tools/audit_rules.py does: the date line under the headline wins without never_headline.
    folded = ["网站首页", "为现代化建设凝聚力量", "发布时间：2022-11-14 16:28", PROSE]
    probs = beliefs({"nav": 0.9}, {"title": 0.5}, {"title": 0.6, "meta": 0.3}, {"body": 0.9})
    monkeypatch.setattr("zhengwen.decode.beliefs", lambda x1, models: probs[: len(x1)])
    assert decide(folded, 0.5, ()).title_rows == [1]
    monkeypatch.setattr("zhengwen.decode.RULES", decode.RULES - {"never_headline"})
    assert decide(folded, 0.5, ()).title_rows == [2]
    monkeypatch.setattr("zhengwen.decode.RULES", decode.RULES | {"no_such_rule"})
    with pytest.raises(ValueError, match="no_such_rule"):
        decide(folded, 0.5, ())


def test_comment_sections_switch() -> None:
    folded = ["第一段正文，内容很长。", "查看全部13条评论", "读者的看法，写得也很长。"]
    labels = [Label.BODY, Label.NAV, Label.BODY]
    assert _close(folded, labels)[1] == 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("zhengwen.decode.RULES", decode.RULES - {"comment_sections"})
        assert _close(folded, labels) == (labels, None)


def test_lone_surrogates_are_text_and_stay_apart() -> None:
    # Python strings may hold lone surrogates (surrogateescape); two different ones differ.
    folded = ["标题\ud800", "标题\ud800", "标题\udc00", PROSE]
    probs = beliefs({"title": 0.9}, {"body": 0.8, "nav": 0.15}, {"body": 0.8}, {"body": 0.9})
    labels = [Label.TITLE, Label.BODY, Label.BODY, Label.BODY]
    out = drop_title_echoes(labels, probs, [0], folded, 0.5)
    assert out == [Label.TITLE, Label.NAV, Label.BODY, Label.BODY]
    assert never_headline(page_features(folded), folded) == [False] * 4


def test_decide_on_an_empty_or_blank_page() -> None:
    from zhengwen.core import _models

    assert decide([], 0.5, _models()).labels == []
    page = decide(["", ""], 0.5, _models())
    assert page.labels == [Label.OTHER, Label.OTHER]
    assert page.features.shape[0] == 2 and not page.features.any()


def test_the_core_ships_the_same_rules() -> None:
    # The core's own defaults (for callers without Python) are this module's constants.
    from zhengwen import _core

    assert _core.decode.Rules.shipped() == decode._rules()
    assert set(_core.decode.RULE_NAMES) == decode.RULES


class _Delegate:
    """A package model the core does not recognise: ``decide`` reads each
    (sub-)page through Python, the features and beliefs of the page whole."""

    def __init__(self, model: object) -> None:
        self._model = model

    def __getattr__(self, name: str) -> object:
        return getattr(self._model, name)


def test_a_long_page_read_a_block_at_a_time_decides_as_read_whole(seed_text: str) -> None:
    # Past 8,192 lines the core reads a page a block of lines at a time and
    # keeps only the columns the rules and the reasons read: the decision
    # must be the one the page read whole gives.
    from zhengwen import extract, headline
    from zhengwen.core import _models
    from zhengwen.options import DEFAULT

    lines = [*seed_text.splitlines(), "字", "", "1", "，"] * 64
    assert len(lines) > 9_000
    folded = [feature_text(s, DEFAULT.max_line_chars) for s in lines]
    models = _models()
    ranker = headline.load()
    whole = decide(folded, 0.5, [_Delegate(m) for m in models], ranker=ranker)
    blocked = decide(folded, 0.5, models, ranker=ranker)
    assert blocked.labels == whole.labels
    assert blocked.body_belief.tobytes() == whole.body_belief.tobytes()
    assert blocked.features.tobytes() == whole.features.tobytes()
    assert blocked.dropped == whole.dropped
    doc = extract("\n".join(lines))
    assert [line.label for line in doc.lines] == whole.labels
    # A page that exercises the rules: several kinds of line. (Whether the body's
    # re-reading drops a line of it depends on the models: with the networks it
    # dropped some, the trees keep them all; `dropped` is compared above either way.)
    assert len(set(whole.labels)) >= 3
