"""Per-line features, computed for the whole page at once.

Takes the folded line texts (``normalize.feature_text``) and gives a float
matrix, one row per line, one column per name in ``ALL_NAMES`` (``NAMES``,
the base features, then ``CONTEXT_NAMES``, the same evidence over windows of
lines), and for a page read from HTML the ``HTML_NAMES`` columns after them.

The computation is the compiled core's (``zhengwen._core.Featurizer``, in
``rust/src/features/``): this module hands it the lexicons (the data files of
``zhengwen.lexicon``) once, and wraps the rows it returns as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import regex

from zhengwen import _core
from zhengwen.engine import (
    ALL_NAMES,
    CONTEXT_NAMES,
    HTML_NAMES,
    NAMES,
    Markup,
    col,
    line_core,
)
from zhengwen.engine import featurizer as _featurizer

__all__ = [
    "AGO",
    "ALL_NAMES",
    "CONTEXT_NAMES",
    "HTML_NAMES",
    "NAMES",
    "N_BASE",
    "FloatArray",
    "Markup",
    "col",
    "html_features",
    "line_core",
    "line_features",
    "page_features",
]

FloatArray = npt.NDArray[np.float64]

# "3小时前", "昨天": also read by zhengwen.decode; the core runs the same pattern.
AGO = regex.compile(_core.AGO_SOURCE)

N_BASE = len(NAMES)


def _matrix(buf: bytearray, rows: int, cols: int) -> FloatArray:
    """The core's rows (native-endian f64, row-major) as a writable array, no copy."""
    return np.frombuffer(buf, dtype=np.float64).reshape(rows, cols)


def line_features(folded: list[str]) -> FloatArray:
    """The base feature matrix of a page: ``len(folded)`` rows, ``N_BASE`` columns."""
    return _matrix(_featurizer().line_features(folded), len(folded), N_BASE)


def page_features(folded: list[str], markup: Markup | None = None) -> FloatArray:
    """Base and context features side by side: the first pass's input.

    With ``markup`` (a page read from HTML), its :data:`HTML_NAMES` columns follow.
    """
    if markup is None:
        return _matrix(_featurizer().page_features(folded), len(folded), len(ALL_NAMES))
    facts = (markup.link_chars, markup.block, markup.title, markup.h1)
    buf = _featurizer().page_features(folded, facts)
    return _matrix(buf, len(folded), len(ALL_NAMES) + len(HTML_NAMES))


PROSE_HAN: float = _core.PROSE_HAN
PROSE_PUNCT: float = _core.PROSE_PUNCT


def _is_prose(x: FloatArray) -> npt.NDArray[np.bool_]:
    """Lines of running text: enough Han characters, and punctuation among them."""
    return (x[:, col("han")] >= PROSE_HAN) & (x[:, col("punct_ratio")] >= PROSE_PUNCT)


# --- what the HTML knows (zhengwen.html; engine.Markup), for pages read from markup ---


def html_features(
    folded: list[str],
    link_chars: Sequence[int],
    block: Sequence[str],
    title: str | None,
    h1: str | None,
) -> FloatArray:
    """Per line: link density around it, its block group, and whether it is the <h1>/<title>.

    Link density is character-weighted (characters of lines with link text /
    characters) over windows of ±w lines (w = 0, 1, 3, 10), and over the ten
    lines before and after. ``block`` is each line's nearest block tag, read in
    groups (p, list, table, heading, …; ``block_other`` for the rest).
    """
    buf = _core.html_features(folded, link_chars, block, title, h1)
    return _matrix(buf, len(folded), len(HTML_NAMES))
