"""The headline ranker: its candidates, its features, its packaged weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from beliefs import beliefs
from zhengwen import headline
from zhengwen.decode import CLASSES, labels_from_probs
from zhengwen.model import Label

PROSE = "记者从市交通运输局获悉，地铁五号线二期工程今天正式开通运营，沿线居民出行更加便利。"
# A Q&A page: its question above the answers, and a related question below
# them that the line beliefs find more title-like.
PAGE = [
    "首页",
    "地铁五号线二期开通了吗？",
    PROSE,
    "五号线二期开通以后，从城东到火车站只要二十分钟。",
    "地铁票价没有变化，沿线新设了八个站。",
    "相关问题",
    "周末去哪里吃火锅比较好？",
]


PROBS = beliefs(
    {"nav": 0.9},
    {"title": 0.3, "nav": 0.5},
    {"body": 0.95},
    {"body": 0.9},
    {"body": 0.9},
    {"related": 0.9},
    {"title": 0.6, "related": 0.3},
)


def test_han_pairs_stay_within_runs_of_han() -> None:
    assert headline.han_pairs("地铁A线开通，开通") == {"地铁": 1, "线开": 1, "开通": 2}
    assert not headline.han_pairs("abc")


def test_candidates_best_first_without_excluded_lines() -> None:
    belief = np.array([0.1, 0.5, -1.0, 0.5, 0.0])
    assert headline.candidates(belief) == [1, 3, 0, 4]
    many = np.linspace(0.0, 1.0, 40)
    assert headline.candidates(many) == list(range(39, 39 - headline.CANDIDATES, -1))


WORDING = headline.Wording({"？$": 1.0, "<short>": -2.0, "首": 0.25}, 0.0)


def test_wording_tokens() -> None:
    assert headline.wording_tokens("地铁开通了吗？") == {
        *"地铁开通了吗？",
        "^地",
        "？$",
        "<asks>",
        "<short>",
    }
    # Digits read as 0, a run of Latin letters as a; a line of no shape is <plain>.
    assert headline.wording_tokens("2022年GDP增长了百分之三点五") >= {
        "0",
        "a",
        "^0",
        "五$",
        "<plain>",
    }
    assert "2" not in headline.wording_tokens("2022年GDP增长了百分之三点五")
    assert {"<numbered>", "<short>"} <= headline.wording_tokens("3.学会方法。")
    assert "<cn-numbered>" in headline.wording_tokens("二十三、感赞")
    assert "<chapter>" in headline.wording_tokens("第二章失乡号的船长")
    assert "<date>" in headline.wording_tokens("2022年11月14日")
    assert "<long>" in headline.wording_tokens(PROSE)
    assert headline.wording_tokens("") == {"<empty>"}


def test_wording_score_adds_the_weights_of_the_tokens_present() -> None:
    biased = headline.Wording(WORDING.weights, 0.5)
    assert biased.score("首页") == pytest.approx(0.5 - 2.0 + 0.25)
    assert biased.score(PAGE[1]) == pytest.approx(0.5 + 1.0)
    assert headline.Wording({}, -1.0).score("abc") == -1.0


def test_candidate_features() -> None:
    belief = PROBS[:, CLASSES.index("title")]
    meta = PROBS[:, CLASSES.index("meta")]
    body = [False, False, True, True, True, False, False]
    x = headline.candidate_features([6, 1], belief, meta, body, PAGE, WORDING)
    names = headline.NAMES
    related, question = x
    assert question[names.index("belief_gap")] == pytest.approx(np.log(0.3 / 0.6))
    assert related[names.index("belief_gap")] == 0.0
    # 地铁, 铁五, 五号, 号线, 线二, 二期, 期开, 开通 recur in the answers; 通了, 了吗 do not.
    assert question[names.index("body_overlap")] == pytest.approx(8 / 10)
    assert related[names.index("body_overlap")] == 0.0
    assert question[names.index("lines_to_body")] == 1
    assert related[names.index("lines_to_body")] == headline.LINES_TO_BODY_CAP
    assert related[names.index("log_body_above")] == pytest.approx(np.log1p(3))
    assert related[names.index("meta_below")] == 0.0  # the last line: nothing below
    assert question[names.index("wording")] == pytest.approx(1.0)  # ends in ？
    assert related[names.index("wording")] == pytest.approx(1.0)
    dated = np.where(np.arange(len(PAGE)) == 2, 0.7, 0.0)  # as if a date sat below the question
    x = headline.candidate_features([1, 2], belief, dated, body, PAGE, WORDING)
    assert x[:, names.index("meta_below")].tolist() == [0.7, 0.0]
    # A body line's own pairs are no evidence for itself.
    x = headline.candidate_features([2], belief, meta, body, PAGE, WORDING)
    assert 0.0 < x[0, names.index("body_overlap")] < 1.0
    assert x[0, names.index("wording")] == 0.0  # 。$, <long>: no weights given


def test_the_packaged_ranker_picks_the_question_over_a_related_one() -> None:
    subtitles = [False] * len(PAGE)
    _, plain = labels_from_probs(PROBS, 0.5, subtitles)
    assert plain == [6]  # by belief alone, the related question
    labels, rows = labels_from_probs(PROBS, 0.5, subtitles, headline.load(), PAGE)
    assert rows == [1]
    assert labels[1] is Label.TITLE and labels[6] is Label.RELATED


def test_ranker_round_trip_and_rejects() -> None:
    ranker = headline.load()
    assert ranker.features == headline.NAMES
    data = ranker.to_dict()
    again = headline.from_dict(json.loads(json.dumps(data)))
    assert np.array_equal(again.coef, ranker.coef)
    assert again.wording == ranker.wording
    # The packaged wording has learned what a headline is not: a sentence, a name.
    assert ranker.wording.weights["。$"] < 0 and ranker.wording.weights["<short>"] < 0
    for key, value, match in (
        ("format", "zhengwen-trees/1", "format"),
        ("features", list(headline.NAMES[:-1]), "reads"),
        ("coef", [1.0, 2.0], "each hold"),
        ("scale", [1.0, 1.0, 0.0] + [1.0] * (len(headline.NAMES) - 3), "positive"),
        ("mean", [float("nan")] * len(headline.NAMES), "finite"),
        ("wording", None, "needs its wording"),
        ("wording", {"bias": 0.0, "weights": {"a": float("inf")}}, "finite"),
    ):
        with pytest.raises(ValueError, match=match):
            headline.from_dict({**data, key: value})


def test_the_core_reads_the_same_constants() -> None:
    from zhengwen import _core

    core = _core.headline
    assert (core.FORMAT, tuple(core.NAMES)) == (headline.FORMAT, headline.NAMES)
    assert (core.CANDIDATES, core.LINES_TO_BODY_CAP) == (
        headline.CANDIDATES,
        headline.LINES_TO_BODY_CAP,
    )
    assert (core.BELIEF_FLOOR, core.SHORT_CHARS, core.LONG_CHARS) == (
        headline.BELIEF_FLOOR,
        headline.SHORT_CHARS,
        headline.LONG_CHARS,
    )
    text = (Path(headline.__file__).parent / "model" / "title.json").read_text(encoding="utf-8")
    packaged = _core.headline.Ranker.from_json(text)
    belief = PROBS[:, CLASSES.index("title")]
    meta = PROBS[:, CLASSES.index("meta")]
    body = [bool(v >= 0.5) for v in PROBS[:, 0]]
    args = (belief.tolist(), meta.tolist(), body, PAGE)
    assert packaged.choose(*args) == headline.load().choose(*args) == 1


def test_the_core_wording_matches_python() -> None:
    wording = headline.load().wording
    for line in [*PAGE, "", "3.学会方法。", "第二章失乡号的船长", "2022年11月14日", "a\ud800"]:
        assert wording.core.score(line) == wording.score(line)
    core = WORDING.core
    assert core.score("地铁开通了吗？") == WORDING.score("地铁开通了吗？")


def test_a_ranker_pickles_without_its_core() -> None:
    import pickle

    ranker = headline.load()
    assert ranker.core is ranker.core  # made once
    again = pickle.loads(pickle.dumps(ranker))
    assert again.to_dict() == ranker.to_dict() and "core" not in again.__dict__
    assert again.choose(PROBS[:, 1], PROBS[:, 2], [False] * len(PAGE), PAGE) == ranker.choose(
        PROBS[:, 1], PROBS[:, 2], [False] * len(PAGE), PAGE
    )
