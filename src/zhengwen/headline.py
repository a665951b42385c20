"""Choose the headline among a page's most title-like lines.

The second pass judges each line's title belief from the line and its
surroundings, but not against the article it would head. Two things a
headline does that a related link, a nav line or a sidebar heading does not:

* it names what the article is about, so its words recur in the article
  (here: the share of its Han character pairs found in the body lines);
* it sits just above where the article begins, often right above its
  date, source or byline (the line below it is meta).

A small logistic ranker reads these beside the title belief for the
``CANDIDATES`` most title-like lines and picks the best. Its weights are a
readable JSON file (``model/title.json``), fitted by ``tools/train.py`` on
out-of-fold beliefs, so it learns how far to trust beliefs on pages their
models never saw.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import chain
from operator import add
from typing import Any

import numpy as np
import numpy.typing as npt
import regex

FloatArray = npt.NDArray[np.float64]

FORMAT = "zhengwen-headline/1"
CANDIDATES = 10  # most title-like lines the ranker chooses among
LINES_TO_BODY_CAP = 30  # lines: a headline further above its article's first line counts as this
BELIEF_FLOOR = 1e-6  # beliefs are compared on a log scale, floored here
NAMES: tuple[str, ...] = (
    "log_belief",  # log of the line's title belief
    "belief_gap",  # how far below the most title-like line's belief, on the log scale
    "body_overlap",  # share of the line's Han character pairs that recur in the body lines
    "lines_to_body",  # lines down to the next body line (capped)
    "log_body_above",  # log(1 + body lines above it)
    "meta_below",  # the meta belief of the line below it
)

_HAN = regex.compile(r"\p{Han}+")


def han_pairs(text: str) -> Counter[str]:
    """How often each pair of adjacent Han characters occurs in ``text`` (within runs of Han)."""
    runs = _HAN.findall(text)
    return Counter(chain.from_iterable(map(add, run, run[1:]) for run in runs))


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
        )
    return out


def candidate_table(
    title_belief: FloatArray, meta_belief: FloatArray, body: Sequence[bool], folded: Sequence[str]
) -> tuple[list[int], FloatArray]:
    """A page's candidate rows and their features: what the ranker reads and is fitted on."""
    rows = candidates(title_belief)
    return rows, candidate_features(rows, title_belief, meta_belief, body, folded)


@dataclass(frozen=True)
class Ranker:
    """A linear score over standardised candidate features; the best score wins."""

    features: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray

    def choose(
        self,
        title_belief: FloatArray,
        meta_belief: FloatArray,
        body: Sequence[bool],
        folded: Sequence[str],
    ) -> int:
        """The row of the headline among the candidates (``title_belief`` must have one)."""
        rows, x = candidate_table(title_belief, meta_belief, body, folded)
        if len(rows) == 1:
            return rows[0]
        scores = ((x - self.mean) / self.scale) @ self.coef
        return rows[int(np.argmax(scores))]  # ties go to the more title-like line

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
        }


def from_dict(data: dict[str, Any]) -> Ranker:
    """A ranker from its JSON form, checked against the features this code computes."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} model: format {data.get('format')!r}")
    features = tuple(data["features"])
    if features != NAMES:
        raise ValueError(f"the ranker reads {features}, this code computes {NAMES}")
    arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
    if any(a.shape != (len(NAMES),) for a in arrays):
        raise ValueError(f"mean, scale and coef must each hold {len(NAMES)} numbers")
    if not (np.isfinite(np.concatenate(arrays)).all() and (arrays[1] > 0).all()):
        raise ValueError("the ranker's numbers must be finite, its scales positive")
    return Ranker(features, *arrays)


@cache
def load() -> Ranker:
    """The packaged ranker, ``model/title.json`` (text path), parsed once."""
    text = resources.files("zhengwen").joinpath("model", "title.json").read_text("utf-8")
    return from_dict(json.loads(text))
