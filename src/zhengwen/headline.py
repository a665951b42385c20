"""Choose the headline among a page's most title-like lines.

The second pass judges each line's title belief from the line and its
surroundings, but not against the article it would head. Two things a
headline does that a related link, a nav line or a sidebar heading does not:

* it names what the article is about, so its words recur in the article
  (here: the share of its Han character pairs found in the body lines);
* it sits just above where the article begins, often right above its
  date, source or byline (the line below it is meta);
* it is worded like a headline: long enough to say something, often a
  question or a quotation, not a sentence ending in 。, a source (…网, …报)
  or a bare name. A linear score over the line's characters, its first and
  last character and a few shapes (``wording_tokens``) weighs this; it is
  what tells a headline from the source or user name printed under it, which
  sit in the same place and are as short.

A small logistic ranker reads these beside the title belief for the
``CANDIDATES`` most title-like lines and picks the best. Its weights, the
wording's token weights among them, are a readable JSON file
(``model/title.json``), fitted by ``tools/train.py`` on out-of-fold beliefs,
so it learns how far to trust beliefs on pages their models never saw.

The choice runs in the compiled core (``zhengwen._core.headline``, a port of
this module's ``candidates``, ``candidate_features`` and ``Wording.score``);
those stay here in Python for the training to read, and
``tools/check_core_decode.py`` checks that both compute the same.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import chain
from operator import add
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

from zhengwen import _core, engine

FloatArray = npt.NDArray[np.float64]

FORMAT = engine.RANKER_FORMAT
CANDIDATES = 10  # most title-like lines the ranker chooses among
LINES_TO_BODY_CAP = 30  # lines: a headline further above its article's first line counts as this
BELIEF_FLOOR = 1e-6  # beliefs are compared on a log scale, floored here
NAMES: tuple[str, ...] = engine.RANKER_NAMES  # the candidate features, in the ranker's order
SHORT_CHARS = 8  # characters (folded): this short, a name, a source or a label more than a headline
LONG_CHARS = 25  # characters (folded): a line this long says something

_HAN = regex.compile(r"\p{Han}+")
_DIGIT = regex.compile(r"\d")
_LATIN = regex.compile(r"[A-Za-z]+")
# Shapes a line's characters alone do not show, each a token of its own.
_SHAPES: tuple[tuple[regex.Pattern[str], str], ...] = (
    (regex.compile(r"^0+[.、．]"), "<numbered>"),  # 3.学会… (digits already read as 0)
    (regex.compile(r"^[一二三四五六七八九十]+、"), "<cn-numbered>"),  # 二十三、感赞
    (regex.compile(r"^第.{1,4}[章节回篇]"), "<chapter>"),  # 第二章 失乡号的船长
    (regex.compile(r"[？?！!]$"), "<asks>"),
    (regex.compile(r"0{4}[-年./]0"), "<date>"),
)


def han_pairs(text: str) -> Counter[str]:
    """How often each pair of adjacent Han characters occurs in ``text`` (within runs of Han)."""
    runs = _HAN.findall(text)
    return Counter(chain.from_iterable(map(add, run, run[1:]) for run in runs))


def wording_tokens(folded: str) -> set[str]:
    """What the wording score reads of a folded line: its characters (digits
    read as ``0``, a run of Latin letters as ``a``), its first and last one
    (``^x``, ``x$``), and its shapes (``<numbered>``, ``<short>``, …;
    ``<plain>`` when it has none)."""
    text = _LATIN.sub("a", _DIGIT.sub("0", folded))
    if not text:
        return {"<empty>"}
    tokens = set(text)
    tokens.add("^" + text[0])
    tokens.add(text[-1] + "$")
    shapes = {name for pattern, name in _SHAPES if pattern.search(text)}
    if len(text) <= SHORT_CHARS:
        shapes.add("<short>")
    elif len(text) >= LONG_CHARS:
        shapes.add("<long>")
    return tokens | (shapes or {"<plain>"})


@dataclass(frozen=True)
class Wording:
    """A linear score over a line's ``wording_tokens``; a token absent weighs 0."""

    weights: Mapping[str, float]
    bias: float

    def score(self, folded: str) -> float:
        """The line's title-likeness from its wording: the bias plus its tokens' weights.

        ``fsum`` is exact, so the score does not depend on the order a set of
        tokens is walked in (it differs between processes with string hashing).
        """
        weights = self.weights
        return math.fsum((self.bias, *(weights.get(t, 0.0) for t in wording_tokens(folded))))

    @cached_property
    def core(self) -> Any:
        """This wording in the compiled core (``zhengwen._core.headline``), made once."""
        return _core.headline.Wording(dict(self.weights), self.bias)

    def __getstate__(self) -> dict[str, Any]:
        return _without_core(self.__dict__)


def _without_core(state: dict[str, Any]) -> dict[str, Any]:
    """An object's state without its compiled twin, which pickles not and is made again."""
    return {k: v for k, v in state.items() if k != "core"}


def candidates(title_belief: FloatArray) -> list[int]:
    """The rows of the ``CANDIDATES`` highest title beliefs, best first; negative ones excluded."""
    k = min(CANDIDATES, len(title_belief))
    top = np.argpartition(-title_belief, k - 1)[:k]
    order = sorted(top.tolist(), key=lambda i: (-title_belief[i], i))
    return [i for i in order if title_belief[i] >= 0.0]


def candidate_features(
    rows: Sequence[int],
    title_belief: FloatArray,
    meta_belief: FloatArray,
    body: Sequence[bool],
    folded: Sequence[str],
    wording: Wording,
) -> FloatArray:
    """One row of ``NAMES`` per candidate line ``rows`` (best first)."""
    body_rows = [i for i, b in enumerate(body) if b]
    counts = han_pairs("\n".join(folded[i] for i in body_rows))
    top = math.log(max(float(title_belief[rows[0]]), BELIEF_FLOOR)) if rows else 0.0
    body_at = np.asarray(body_rows, dtype=np.int64)
    out = np.zeros((len(rows), len(NAMES)))
    for r, i in enumerate(rows):
        pairs = han_pairs(folded[i])
        # A body line's own pairs are not evidence for itself: a pair counts
        # when it occurs in the body more often than in the line.
        own = pairs if body[i] else Counter()
        overlap = sum(1 for p in pairs if counts[p] > own[p]) / len(pairs) if pairs else 0.0
        below = int(np.searchsorted(body_at, i, side="right"))
        to_body = int(body_at[below]) - i if below < len(body_at) else LINES_TO_BODY_CAP
        above = int(np.searchsorted(body_at, i, side="left"))
        log_belief = math.log(max(float(title_belief[i]), BELIEF_FLOOR))
        out[r] = (
            log_belief,
            log_belief - top,
            overlap,
            min(to_body, LINES_TO_BODY_CAP),
            math.log1p(above),
            float(meta_belief[i + 1]) if i + 1 < len(meta_belief) else 0.0,
            wording.score(folded[i]),
        )
    return out


@dataclass(frozen=True)
class Ranker:
    """A linear score over standardised candidate features; the best score wins.

    ``wording`` computes the ``wording`` feature (see ``wording_tokens``).
    """

    features: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    wording: Wording

    def choose(
        self,
        title_belief: FloatArray,
        meta_belief: FloatArray,
        body: Sequence[bool],
        folded: Sequence[str],
    ) -> int:
        """The row of the headline among the candidates (``title_belief`` must have one).

        The candidates' ``candidate_features``, standardised, weighed by
        ``coef``; ties go to the more title-like line. Runs in the compiled
        core (``zhengwen._core.headline``).
        """
        return int(
            self.core.choose(
                np.asarray(title_belief, dtype=np.float64).tolist(),
                np.asarray(meta_belief, dtype=np.float64).tolist(),
                [bool(b) for b in body],
                folded,
            )
        )

    @cached_property
    def core(self) -> Any:
        """This ranker in the compiled core (``zhengwen._core.headline``), made once."""
        return _core.headline.Ranker(
            list(self.features),
            self.mean.tolist(),
            self.scale.tolist(),
            self.coef.tolist(),
            self.wording.core,
        )

    def __getstate__(self) -> dict[str, Any]:
        return _without_core(self.__dict__)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "wording": {"bias": self.wording.bias, "weights": dict(self.wording.weights)},
        }


def from_dict(data: dict[str, Any]) -> Ranker:
    """A ranker from its JSON form, checked against the features this code computes."""
    features, mean, scale, coef, weights, bias = engine.ranker_parts(data)
    arrays = (np.asarray(a, dtype=np.float64) for a in (mean, scale, coef))
    return Ranker(features, *arrays, Wording(weights, bias))


@cache
def load() -> Ranker:
    """The packaged ranker, ``model/title.json`` (text path), parsed once."""
    return from_dict(engine.ranker_json())
