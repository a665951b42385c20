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
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import regex

from zhengwen import _core, lexicon
from zhengwen.lexicon import Kind

FloatArray = npt.NDArray[np.float64]

# "3小时前", "昨天": also read by zhengwen.decode; the core runs the same pattern.
AGO = regex.compile(_core.AGO_SOURCE)

NAMES: tuple[str, ...]
CONTEXT_NAMES: tuple[str, ...]
HTML_NAMES: tuple[str, ...]
NAMES, CONTEXT_NAMES, HTML_NAMES = (
    tuple(names) for names in _core.feature_names([k.value for k in Kind])
)
ALL_NAMES: tuple[str, ...] = NAMES + CONTEXT_NAMES
N_BASE = len(NAMES)
_COL = {name: i for i, name in enumerate(NAMES)}

# Stripped from a line's ends before a whole-line lexicon look-up, so that
# 【相关新闻】 and ·上一篇： match: separators, quotes, clause marks, digits.
_EDGE_CHARS: str = _core.EDGE_CHARS


def line_core(folded: str) -> str:
    """A folded line without its edge bullets, brackets and numbers: what lexicons match whole."""
    return folded.strip(_EDGE_CHARS)


def col(name: str) -> int:
    """Column index of a feature name."""
    return _COL[name]


@cache
def _featurizer() -> _core.Featurizer:
    """The core's featurizer, built once from the lexicons."""
    return _core.Featurizer(
        lexicon.exact_index(), lexicon.function_chars(), [k.value for k in Kind]
    )


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


# --- what the HTML knows (zhengwen.html), for pages read from markup --------


@dataclass(frozen=True)
class Markup:
    """Per-line facts from a page's HTML (see ``zhengwen.html.HtmlPage``), line for line."""

    link_chars: Sequence[int]
    block: Sequence[str]
    title: str | None = None
    h1: str | None = None

    def subset(self, rows: Sequence[int]) -> Markup:
        """The facts of ``rows`` alone, in their order (a page's body read alone)."""
        return Markup(
            [self.link_chars[i] for i in rows], [self.block[i] for i in rows], self.title, self.h1
        )


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
