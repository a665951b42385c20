"""Metadata parsing, one case per rule, with negatives."""

from __future__ import annotations

import pytest

from zhengwen.metadata import collect, parse_date
from zhengwen.model import Label, Line


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2022-11-14 16:28:00", "2022-11-14T16:28:00"),
        ("发布时间：2022年11月14日 16:28", "2022-11-14T16:28:00"),
        ("2004/5/9", "2004-05-09"),
        ("2024.05.15 08:58:52 来源：新华网", "2024-05-15T08:58:52"),
        ("時間：2023年7月26日", "2023-07-26"),
        ("发布时间：２０２２－１１－１４\u3000１６：２８", "2022-11-14T16:28:00"),  # full width
        ("2022-13-40", None),  # no such month or day
        ("第12345号", None),
        ("电话 0755-12345678", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def _lines(*rows: tuple[Label, str]) -> list[Line]:
    return [Line(i, t, lab, 0.0, "test") for i, (lab, t) in enumerate(rows)]


def test_source_value_on_next_line() -> None:
    meta = collect(_lines((Label.TITLE, "标题"), (Label.META, "来源："), (Label.META, "新华网")))
    assert meta.source == "新华网"


def test_authors_and_editors_are_split() -> None:
    meta = collect(
        _lines(
            (Label.TITLE, "标题"),
            (Label.META, "采写: 记者李正东 郑奇悦、彭宇"),
            (Label.META, "责任编辑：张三"),
        )
    )
    assert meta.authors == ["李正东", "郑奇悦", "彭宇"]
    assert meta.editors == ["张三"]


def test_no_metadata_in_body_prose() -> None:
    meta = collect(_lines((Label.BODY, "他说，来源于生活的作品才有力量。2022年是关键一年。")))
    assert meta.source is None and meta.date is None and meta.title is None


def test_author_from_a_byline_under_the_title() -> None:
    meta = collect(_lines((Label.TITLE, "犬儒病(上)"), (Label.OTHER, ""), (Label.META, "胡 平")))
    assert meta.authors == ["胡平"]


@pytest.mark.parametrize(
    "rows",
    [
        # A name that is body, or not the first line of text under the title.
        ((Label.TITLE, "标题"), (Label.BODY, "胡平")),
        ((Label.TITLE, "标题"), (Label.META, "2022-11-14"), (Label.META, "胡平")),
        ((Label.META, "胡平"), (Label.BODY, "正文")),  # no title
    ],
)
def test_no_byline_author(rows: tuple[tuple[Label, str], ...]) -> None:
    assert collect(_lines(*rows)).authors == []


def test_a_digit_python_cannot_read_is_no_date() -> None:
    # Kawi digit one (Unicode 15): the ``regex`` module's ``\d`` matched it, and
    # ``int`` raised on it, so a meta line with it made ``extract`` raise.
    assert parse_date("2022-\U00011f51-01") is None
    assert parse_date("2022-\U00011f51-01 2023-01-02") == "2023-01-02"
    lines = _lines(
        (Label.TITLE, "标题"), (Label.META, "发布时间：2022年\U00011f51月1日 来源：新华网")
    )
    meta = collect(lines)
    assert meta.date is None and meta.source == "新华网"


def test_white_space_is_unicode_white_space() -> None:
    # The patterns spell ``\s`` out: the ``regex`` module's ``\s`` (Unicode's
    # White_Space) for which they were written, not ``re``'s (which adds U+001C-U+001F):
    # as a class, and as ``WHITE_SPACE_CHAR`` (``re``'s ``\s`` less those, cheap to compile).
    import re
    import sys

    import regex

    from zhengwen.normalize import WHITE_SPACE, WHITE_SPACE_CHAR

    theirs = regex.compile(r"\s")
    for ours in (re.compile(f"[{WHITE_SPACE}]"), re.compile(WHITE_SPACE_CHAR)):
        differ = [
            c
            for c in range(sys.maxunicode + 1)
            if (ours.fullmatch(chr(c)) is None) != (theirs.fullmatch(chr(c)) is None)
        ]
        assert differ == [], ours.pattern
