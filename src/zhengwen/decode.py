"""Second pass: settle each line from the first pass's beliefs about its neighbours.

The first pass labels each line from its own features and fixed windows of raw
evidence. Here, as in jusText's second pass, the line's neighbours speak with
what the first pass concluded about them: the belief that they are body,
summed over windows and directions, the heaviest run of body belief on the
page (the article is mostly one run of lines), and how far the line is from
that run. A second ensemble reads these beside the base features.

What follows the beliefs (the fallback threshold, the headline and its
ranker, the lexicon-named furniture, title echoes, section headers, and the
re-reading of the body alone in :func:`decide`) runs in the compiled core,
``zhengwen._core.decode`` (``rust/src/decode.rs``); the functions here keep
their Python signatures and call it. ``RULES`` switches its rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import regex

from zhengwen import _core, classify, engine
from zhengwen.classify import NET_ROW_BLOCK
from zhengwen.engine import CLASSES as CLASSES
from zhengwen.engine import CORE_NAMES as _CORE_NAMES
from zhengwen.engine import FALLBACK_MIN_PROB as FALLBACK_MIN_PROB
from zhengwen.engine import FALLBACK_RELATIVE as FALLBACK_RELATIVE
from zhengwen.engine import KEY_LINE_MAX_CHARS as KEY_LINE_MAX_CHARS
from zhengwen.engine import PAGER_KEY_MAX_CHARS as PAGER_KEY_MAX_CHARS
from zhengwen.engine import REFINE_ROUNDS as REFINE_ROUNDS
from zhengwen.engine import RULES as RULES
from zhengwen.engine import SECTION_HEADER_MIN_CHARS as SECTION_HEADER_MIN_CHARS
from zhengwen.engine import STACK_NAMES as STACK_NAMES
from zhengwen.engine import SUBTITLE_DASHES as _SUBTITLE_DASHES
from zhengwen.engine import TEMPLATE_MAX_SHARE as TEMPLATE_MAX_SHARE
from zhengwen.engine import TEMPLATE_MIN_SHARE as TEMPLATE_MIN_SHARE
from zhengwen.engine import TITLE_MIN_PROB as TITLE_MIN_PROB
from zhengwen.features import FloatArray, Markup, col, page_features
from zhengwen.headline import Ranker
from zhengwen.model import Label
from zhengwen.options import DEFAULT

# The line classes (CLASSES, in the order of the models' outputs) and the
# stacked features that pass two reads beside the base ones (STACK_NAMES): both
# defined once, in the compiled core (rust/src/stack.rs), which computes the
# stacking. The decode's constants and RULES are zhengwen.engine's (one
# definition; patched here, they take effect here and on extract).
BODY = 0
TITLE = CLASSES.index("title")
META = CLASSES.index("meta")
_LABELS = tuple(Label(c) for c in CLASSES)


def heaviest_run(gain: FloatArray) -> tuple[int, int]:
    """The contiguous run ``[start, end)`` with the largest sum of ``gain`` (Kadane).

    The stacking's own (``rust/src/stack.rs``); ``(0, 0)`` when no run gains.
    """
    start, end = _core.heaviest_run(np.ascontiguousarray(gain, dtype=np.float64).tobytes())
    return int(start), int(end)


_stack_columns = engine.stack_columns


def _doubles(x: FloatArray) -> tuple[bytes, int, int]:
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {a.shape}")
    return a.tobytes(), a.shape[0], a.shape[1]


def stack_features(x: FloatArray, probs: FloatArray) -> FloatArray:
    """Pass-two features from base features ``x`` and pass-one ``probs`` (rows × CLASSES).

    Windows of the neighbours' beliefs, the heaviest run of body belief on the
    page weighted by each line's text, and the distance to the likeliest
    title: ``STACK_NAMES``, computed by the compiled core.
    """
    data, rows, cols = _doubles(x)
    p, _, _ = _doubles(probs)
    out = _core.stack_features(data, rows, cols, p, *_stack_columns())
    return np.frombuffer(out, dtype=np.float64).reshape(rows, len(STACK_NAMES))


# --- furniture kinds that a lexicon names outright -------------------------


def name_furniture(labels: list[Label], x: FloatArray, folded: list[str]) -> list[Label]:
    """Settle the kind of non-body lines that the lexicons name outright.

    The ensemble is sure a line is not body but may mix up the rarer kinds
    (pager with share, a related header with nav). A short line that starts
    with a pager word is ``pager``, and so is the title that follows a bare
    ``上一篇：`` key; a line that is exactly a related-list header is
    ``related``; a short line that gives a footer key its value (投稿邮箱:
    …, 举报电话：…) is ``footer``. Body and title lines are never touched.
    """
    part, cols = _core_features(x)
    out = _decoder().name_furniture(_codes(labels), part, cols, folded, _rules())
    return _labels(out)


def drop_title_echoes(
    labels: list[Label],
    probs: FloatArray,
    title_rows: Sequence[int],
    folded: Sequence[str],
    threshold: float,
) -> list[Label]:
    """Body lines that repeat the title line exactly are echoes of it, not the article.

    The headline is printed again in breadcrumbs, in a second header and above
    the text; an article does not repeat its own headline as a paragraph. Such
    a line takes its likeliest furniture label. A title that the beliefs also
    take for body is left without echoes: that is how a body read alone (in
    :func:`decide`) crowns one of its own lines, and the copies of a line in
    the article (a repeated line of a code listing) are the article's.
    """
    out = _core.decode.drop_title_echoes(
        _codes(labels), _f64(probs), list(title_rows), folded, threshold
    )
    return _labels(out)


def close_sections(
    labels: list[Label],
    x: FloatArray,
    probs: FloatArray,
    title_rows: Sequence[int],
    folded: Sequence[str],
) -> tuple[list[Label], int | None]:
    """Body lines below a section header are not the article.

    A line that is exactly a related-list header (为你推荐, 相关阅读, 延伸閱讀 …),
    a pager word (上一篇, 下一页 …) or a reader-comment section header (网友评论,
    发表评论, 3条评论 …; ``lexicon.is_comment_section``) opens the page's furniture
    when it comes below both the title and the first body line. It takes its
    kind even where the model took it for body (on the dev pages such a line
    is never body), and every body line after it is furniture: ``related``
    under a related header, ``comment`` under a comment header, else the line's
    likeliest non-body kind. This catches what line-by-line beliefs miss: the
    summaries of other articles printed as full paragraphs, and comments that
    read as prose. Headers above the title or the article's first line (a
    sidebar's 最新文章) close nothing, and neither do bare two-character ones
    (see SECTION_HEADER_MIN_CHARS): the next header below may close instead.
    Gives the labels and the header's line, or None.
    """
    part, cols = _core_features(x)
    out, header = _decoder().close_sections(
        _codes(labels), part, cols, _f64(probs), list(title_rows), folded, _rules()
    )
    return _labels(out), header


# --- the decision for a whole page ------------------------------------------


class Model(Protocol):
    """Anything that maps a feature matrix to class beliefs (rows × CLASSES)."""

    def predict(self, x: FloatArray) -> FloatArray: ...


@dataclass(frozen=True)
class PageDecision:
    """What the decoder concluded for a page: labels, beliefs and evidence."""

    labels: list[Label]
    body_belief: FloatArray
    title_rows: list[int]
    features: FloatArray
    dropped: list[int]  # body lines the re-reading of the body alone gave up
    section_header: int | None = None  # the line that closed the article (see close_sections)

    def spread(self, rows: Sequence[int], n: int) -> PageDecision:
        """This decision for lines ``rows`` of an ``n``-line page; the other lines are blank."""
        labels = [Label.OTHER] * n
        body_belief = np.zeros(n)
        features = np.zeros((n, self.features.shape[1]))
        for j, i in enumerate(rows):
            labels[i] = self.labels[j]
        body_belief[rows] = self.body_belief
        features[rows] = self.features
        header = None if self.section_header is None else rows[self.section_header]
        return PageDecision(
            labels,
            body_belief,
            [rows[j] for j in self.title_rows],
            features,
            [rows[j] for j in self.dropped],
            header,
        )


def beliefs(x1: FloatArray, models: Sequence[Model]) -> FloatArray:
    """Pass one on the base features, pass two on them and pass one's beliefs."""
    first, second = models
    if isinstance(first, classify.Classifier) and isinstance(second, classify.Classifier):
        # The package's models: both passes and the stacking in the compiled
        # core, which joins pass two's input a block of rows at a time.
        data, rows, cols = _doubles(x1)
        out = _core.beliefs(data, rows, cols, first._core, second._core, *_stack_columns())
        return np.frombuffer(out, dtype=np.float64).reshape(rows, len(second.classes))
    probs1 = first.predict(x1)
    extra = stack_features(x1, probs1)
    n = x1.shape[0]
    if n <= NET_ROW_BLOCK:
        return second.predict(np.hstack((x1, extra)))
    # The second pass's input joined a block of rows at a time: a copy of the
    # whole matrix would cost a page as much memory again (1 KB a line).
    parts = [
        second.predict(
            np.hstack((x1[start : start + NET_ROW_BLOCK], extra[start : start + NET_ROW_BLOCK]))
        )
        for start in range(0, n, NET_ROW_BLOCK)
    ]
    return np.vstack(parts)


def apply_template(probs: FloatArray, shares: FloatArray) -> FloatArray:
    """Beliefs after the site-template evidence (``zhengwen.site``).

    For a line on a share ``s`` > TEMPLATE_MIN_SHARE of its site's other
    pages, the odds of body are multiplied by ``(1 - s) / s``: a line on 90%
    of the pages needs odds of 9:1 from its own page to stay body. Lines on
    at most half the pages (a subheading two articles share) are untouched.
    The belief taken from body goes to the line's other classes in their
    proportions.
    """
    probs = _matrix(probs)
    out = _core.decode.apply_template(_f64(probs), probs.shape[0], _f64(shares), _rules())
    return np.frombuffer(out, dtype=np.float64).reshape(probs.shape)


# A script, style or frame tag at a folded line's start (engine.CODE_ELEMENT).
_CODE_ELEMENT = regex.compile(engine.CODE_ELEMENT, regex.IGNORECASE)


def is_code_element(folded: str) -> bool:
    """Whether a folded line opens with a script, style or frame tag."""
    return _CODE_ELEMENT.match(folded) is not None


def decide(
    folded: list[str],
    threshold: float,
    models: Sequence[Model],
    template: FloatArray | None = None,
    markup: Markup | None = None,
    ranker: Ranker | None = None,
) -> PageDecision:
    """Label a page's lines (folded texts), then make its body stable.

    The body, read alone as a page, must read as body throughout: lines it
    would drop on that second reading (a sidebar paragraph that only looked
    like prose next to the article) are dropped now, until the body is
    stable. So ``clean(clean(x)) == clean(x)``, and a body with no furniture
    around it comes back whole. A body still shrinking after REFINE_ROUNDS
    re-readings keeps its first reading, and there the promise does not hold.

    ``template`` holds each line's site-template share (see apply_template),
    or is None; ``markup`` the page's HTML facts (the models must then be the
    ones trained with them); ``ranker`` chooses the headline among the most
    title-like lines (see ``zhengwen.headline``), or, when None, the most
    title-like line is the headline.

    Blank lines (nothing left once whitespace and invisible characters are
    folded away) are set aside first and labelled ``other``: a scraper that
    puts an empty line between text nodes gives the same labels as one that
    does not.

    The decision runs in the compiled core, which reads each (sub-)page it
    needs through this module's ``page_features`` and ``beliefs``.
    """

    if len(models) == 2 and all(isinstance(m, classify.Classifier) for m in models):
        # The package's models: the whole decision in the core, no call back here.
        first_model, second_model = models
        return _decide_in_core(
            folded, threshold, first_model, second_model, template, markup, ranker
        )
    first: list[FloatArray] = []  # the first reading's features: the page read whole

    def read(rows: list[int]) -> tuple[bytes, int, bytes]:
        # Lines ``rows`` read as a page of their own: features, both passes' beliefs.
        whole = len(rows) == len(folded)
        lines = folded if whole else [folded[i] for i in rows]
        facts = markup if markup is None or whole else markup.subset(rows)
        x1 = page_features(lines, facts)
        if not first:
            first.append(x1)
        part, cols = _core_features(x1)
        return part, cols, _f64(beliefs(x1, models))

    labels, body, title_rows, dropped, header = _decoder().decide(
        folded,
        threshold,
        read,
        None if template is None else _f64(template),
        None if ranker is None else ranker.core,
        _rules(),
    )
    x1 = first[0]
    if len(x1) < len(folded):  # blank lines were set aside: their features are 0
        spread = np.zeros((len(folded), x1.shape[1]))
        spread[[i for i, s in enumerate(folded) if s]] = x1
        x1 = spread
    return PageDecision(
        _labels(labels), np.frombuffer(body, dtype=np.float64), title_rows, x1, dropped, header
    )


def _decide_in_core(
    folded: list[str],
    threshold: float,
    first: classify.Classifier,
    second: classify.Classifier,
    template: FloatArray | None,
    markup: Markup | None,
    ranker: Ranker | None,
) -> PageDecision:
    """``decide`` for the package's own models: features, beliefs and decode in the core."""
    names = engine.ALL_NAMES
    facts = None
    if markup is not None:
        names += engine.HTML_NAMES
        facts = (markup.link_chars, markup.block, markup.title, markup.h1)
    parts = (engine.featurizer(), first._core, second._core, _decoder(names), _stack_columns())
    labels, body, title_rows, dropped, header, x1 = _core.decide_page(
        parts,
        folded,
        threshold,
        None if template is None else np.asarray(template, dtype=np.float64).tolist(),
        facts,
        None if ranker is None else ranker.core,
        _rules(),
    )
    return PageDecision(
        _labels(labels),
        np.frombuffer(body, dtype=np.float64),
        title_rows,
        np.frombuffer(x1, dtype=np.float64).reshape(len(folded), len(names)),
        dropped,
        header,
    )


def _best_furniture(p: FloatArray) -> Label:
    """A line's likeliest label other than body and title, from its beliefs ``p``."""
    return _LABELS[_core.decode.best_furniture(np.asarray(p, dtype=np.float64).tolist())]


def is_subtitle(folded: str) -> bool:
    """Whether a folded line opens with a dash, as a subtitle does."""
    return bool(folded) and folded[0] in _SUBTITLE_DASHES


# The forms that are never the headline (engine.WHEN_ALONE, BREADCRUMB, the lexicons).
_WHEN_ALONE = regex.compile(engine.WHEN_ALONE)


def never_headline(x: FloatArray, folded: Sequence[str]) -> list[bool]:
    """Per line (features ``x``, texts ``folded``): whether its form rules out the headline."""
    return _decoder().never_headline(folded, *_core_features(x))


def title_belief(probs: FloatArray, ruled_out: Sequence[bool] | None) -> FloatArray:
    """Each line's title belief, -1 on the lines ``ruled_out`` (see never_headline)."""
    probs = _matrix(probs)
    flags = None if ruled_out is None else [bool(r) for r in ruled_out]
    return np.asarray(_core.decode.title_belief(_f64(probs), probs.shape[0], flags))


def labels_from_probs(
    probs: FloatArray,
    threshold: float = DEFAULT.threshold,
    ruled_out: Sequence[bool] | None = None,
    ranker: Ranker | None = None,
    folded: Sequence[str] = (),
) -> tuple[list[Label], list[int]]:
    """Turn class beliefs into one label a line, with at most one title.

    A line is body when its body belief reaches ``threshold``. The title is the
    most title-like line, or with ``ranker`` its choice among the most
    title-like lines (it reads the lines' texts, ``folded``); any other line is
    its likeliest non-body, non-title class; ``ruled_out`` marks lines that
    cannot be the title. Gives the labels and the title's line indices. (A headline broken
    over lines is labelled on its most title-like line only: on the dev pages,
    growing the title into title-like neighbours took in the headline's echoes
    and cost more than it found.)
    """
    probs = _matrix(probs)
    labels, title_rows = _core.decode.labels_from_probs(
        _f64(probs),
        probs.shape[0],
        threshold,
        None if ruled_out is None else [bool(r) for r in ruled_out],
        None if ranker is None else ranker.core,
        folded,
        _rules(),
    )
    return _labels(labels), title_rows


# --- the compiled core ---------------------------------------------------------

_CORE_COLUMNS = [col(name) for name in _CORE_NAMES]


def _core_features(x: Any) -> tuple[bytes, int]:
    """The columns of features ``x`` that the core reads (``_CORE_NAMES``), and their number.

    A matrix of no columns (a test's reading with no features; the rules that
    read them must then be off) is passed as it is.
    """
    x = _matrix(x)
    if x.shape[1] == 0:
        return b"", 0
    return _f64(x[:, _CORE_COLUMNS]), len(_CORE_COLUMNS)


def _decoder(names: tuple[str, ...] = _CORE_NAMES) -> Any:
    """The compiled decoder (``engine.decoder``), built once for each set of columns."""
    return engine.decoder(names)


def _rules() -> Any:
    """The rule switches and constants as this module holds them now (``engine.rules``)."""
    return engine.rules()


_CODES = {label: i for i, label in enumerate(_LABELS)}


def _codes(labels: Sequence[Label]) -> list[int]:
    """Labels as the core has them: indices into CLASSES."""
    return [_CODES[label] for label in labels]


def _labels(codes: Sequence[int]) -> list[Label]:
    return [_LABELS[i] for i in codes]


def _matrix(a: Any) -> FloatArray:
    """``a`` as a float64 array (a page of no lines may come as any empty array)."""
    out: FloatArray = np.asarray(a, dtype=np.float64)
    return out.reshape(0, 0) if out.size == 0 and out.ndim != 2 else out


def _f64(a: Any) -> bytes:
    """A float64 array's values, C order, as the core reads them."""
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()
