"""Site-template learning: counts, determinism, bounds, and its use as evidence."""

from __future__ import annotations

import random

import numpy as np
import pytest

import zhengwen
from zhengwen.decode import BODY, CLASSES, apply_template
from zhengwen.site import SiteTemplates, site_of

MENU = ["首页", "新闻", "体育", "财经", "关于我们", "版权所有 示例网"]


def page(i: int) -> str:
    """A page of the same site: the shared menu and footer around its own article."""
    article = [f"第{i}篇文章的标题", f"这是第{i}篇文章的正文，讲述了当天发生的第{i}件事情。"]
    return "\n".join(MENU[:5] + article + ["一、背景"] * (i % 2) + MENU[5:])


def table(pages: list[str], **kwargs: int) -> SiteTemplates:
    t = SiteTemplates(**kwargs)
    for text in pages:
        t.add("example.com", text)
    return t


def test_shares_count_the_other_pages() -> None:
    pages = [page(i) for i in range(10)]
    shares = table(pages).shares("example.com", pages[0])
    assert shares is not None
    lines = pages[0].split("\n")
    got = dict(zip(lines, shares, strict=True))
    assert got["首页"] == 1.0  # on all nine other pages
    assert got["第0篇文章的标题"] == 0.0  # its own page does not count
    # An unsampled page counts every sampled page as "other".
    other = table(pages[1:]).shares("example.com", page(3).replace("3", "三"))
    assert other is not None and other[0] == 1.0


def test_a_subheading_shared_by_some_articles_stays_under_the_bar() -> None:
    pages = [page(i) for i in range(10)]
    shares = table(pages).shares("example.com", pages[1])
    assert shares is not None
    share = shares[pages[1].split("\n").index("一、背景")]
    assert share == pytest.approx(4 / 9)  # pages 3, 5, 7, 9
    assert share <= 0.5


def test_too_few_pages_give_no_template() -> None:
    pages = [page(i) for i in range(5)]
    assert table(pages).shares("example.com", pages[0]) is None  # 4 others < 5
    assert table(pages).shares("other.org", pages[0]) is None
    assert table([*pages, page(5)]).shares("example.com", pages[0]) is not None


def test_order_duplicates_and_merging_do_not_change_the_table() -> None:
    pages = [page(i) for i in range(40)]
    shuffled = pages[:]
    random.Random(7).shuffle(shuffled)
    one = table(pages, max_pages=12)
    two = table(shuffled + shuffled[:5], max_pages=12)
    left, right = table(shuffled[:20], max_pages=12), table(shuffled[20:], max_pages=12)
    left.merge(right)
    probe = page(3)
    expected = one.shares("example.com", probe)
    assert one.pages("example.com") == 12
    for other in (two, left):
        assert other.pages("example.com") == 12
        assert other.shares("example.com", probe) == expected


def test_site_of() -> None:
    assert site_of("https://www.Example.com/a/b.html") == "example.com"
    assert site_of("http://news.163.com:80/x") == "news.163.com"
    assert site_of("not a url") is None
    assert site_of(None) is None


def test_template_evidence_scales_the_odds() -> None:
    probs = np.zeros((3, len(CLASSES)))
    probs[:, BODY] = 0.9
    probs[:, CLASSES.index("nav")] = 0.1
    out = apply_template(probs, np.array([0.9, 0.5, 1.0]))
    assert out[0, BODY] == pytest.approx(0.5)  # odds 9 x 1/9
    assert out[1, BODY] == pytest.approx(0.9)  # half the pages: no evidence
    assert 0.0 < out[2, BODY] < 0.1  # every page: strong evidence, still not certainty
    assert np.allclose(out.sum(axis=1), 1.0)
    assert out[0, CLASSES.index("nav")] == pytest.approx(0.5)


def test_extract_takes_the_shares() -> None:
    pages = [page(i) for i in range(10)]
    text = pages[0]
    shares = table(pages).shares("example.com", text)
    doc = zhengwen.extract(text, template=shares)
    assert len(doc.lines) == len(text.split("\n"))
    with pytest.raises(ValueError, match="shares"):
        zhengwen.extract(text, template=[0.0])
    # Lines on every other page score lower with the template than without it.
    plain = zhengwen.extract(text)
    for with_t, without, share in zip(doc.lines, plain.lines, shares, strict=True):
        if share == 1.0:
            assert with_t.score < without.score or without.score < 1e-3
