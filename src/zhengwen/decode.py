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
from functools import cache
from typing import Any, Protocol

import numpy as np
import regex

from zhengwen import _core, classify, features, lexicon
from zhengwen.classify import NET_ROW_BLOCK
from zhengwen.features import AGO, FloatArray, Markup, col, page_features
from zhengwen.headline import Ranker
from zhengwen.model import Label
from zhengwen.options import DEFAULT

# The line classes, in the order of the models' outputs, and the stacked
# features that pass two reads beside the base ones: both defined once, in the
# compiled core (rust/src/stack.rs), which computes the stacking.
CLASSES: tuple[str, ...] = tuple(_core.CLASSES)
BODY = 0
TITLE = CLASSES.index("title")
META = CLASSES.index("meta")
_LABELS = tuple(Label(c) for c in CLASSES)
# A page's most title-like line is its title if the model gives it at least
# this probability. On the dev pages' CV beliefs, the most title-like line is
# the gold title on about 80% of pages even when its belief is tiny, so the
# bar is only there to leave pages with no headline-like line untitled.
TITLE_MIN_PROB = 0.0005
# When no line reaches the body threshold but the best reaches FALLBACK_MIN_PROB,
# lines within FALLBACK_RELATIVE of the best are kept (see labels_from_probs).
FALLBACK_MIN_PROB = 0.15
FALLBACK_RELATIVE = 0.7


def heaviest_run(gain: FloatArray) -> tuple[int, int]:
    """The contiguous run ``[start, end)`` with the largest sum of ``gain`` (Kadane).

    The stacking's own (``rust/src/stack.rs``); ``(0, 0)`` when no run gains.
    """
    start, end = _core.heaviest_run(np.ascontiguousarray(gain, dtype=np.float64).tobytes())
    return int(start), int(end)


# Pass two's features beside the base ones, in column order (rust/src/stack.rs).
STACK_NAMES: tuple[str, ...] = tuple(_core.STACK_NAMES)


def _stack_columns() -> tuple[int, int, int]:
    """Where the stacking finds its base features in ``x1``: han, latin_ratio, chars."""
    return col("han"), col("latin_ratio"), col("chars")


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

PAGER_KEY_MAX_CHARS = 8  # "上一篇：" and the like; longer lines carry the linked title
KEY_LINE_MAX_CHARS = 4 * PAGER_KEY_MAX_CHARS  # a lexicon key and its short value (title, e-mail)


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


# A related-list header closes the article from this length on: the bare two-character
# ones (最新, 热门, 推荐) are also tabs and sort toggles, over a forum's replies as well.
SECTION_HEADER_MIN_CHARS = 3


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

# Re-readings of the body alone before the first reading is kept instead of a
# stable body. Most bodies are stable at once; a body that is peeled a few
# lines a round (a flowchart drawn one character a line) took 14 on a dev page.
# The re-readings together read at most REFINE_ROUNDS times the page's lines,
# so a page's cost stays in proportion to its length (a bounded factor: small
# pages usually settle in one re-reading, a few large ones use many rounds).
REFINE_ROUNDS = 20


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


# A line the site template shows on more than this share of a site's other
# pages counts as template evidence (see apply_template).
TEMPLATE_MIN_SHARE = 0.5
TEMPLATE_MAX_SHARE = 0.99  # no share is taken as certainty: evidence, not a delete


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


# The start of a script, style or frame element left in the text by a scraper
# (<SCRIPT LANGUAGE="JavaScript1.1" SRC=…>, <noscript><a href=…>): code, never
# the article's text. Matched on a folded line, whose spaces are gone.
_CODE_ELEMENT = regex.compile(r"</?(?:no)?script|</?style|</?iframe", regex.IGNORECASE)


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
    names = features.ALL_NAMES
    facts = None
    if markup is not None:
        names += features.HTML_NAMES
        facts = (markup.link_chars, markup.block, markup.title, markup.h1)
    labels, body, title_rows, dropped, header, x1 = _core.decide_page(
        features._featurizer(),
        first._core,
        second._core,
        _decoder(names),
        folded,
        threshold,
        _stack_columns(),
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


# A line that opens with a dash is a subtitle (副题: ——热烈祝贺…), which the
# guidelines count as body; it is never the headline.
_SUBTITLE_DASHES = "—―─－-–"


def is_subtitle(folded: str) -> bool:
    """Whether a folded line opens with a dash, as a subtitle does."""
    return bool(folded) and folded[0] in _SUBTITLE_DASHES


# A headline is never one of these forms (none of the 131 dev headlines is):
# a line the lexicons name outright as furniture (首页, 相关阅读, 上一篇 …), a
# line led by a meta key (来源：, 作者：, 发布时间：), a line that is mostly a
# date or gives a date with a time of day (于 2023-09-04 17:53:10 发布: a date
# line; a time alone is left, as 98:95 may be a score), a line that is a month
# or a relative time alone, perhaps with a count (a blog's archive, 2005年11月(15);
# a post's 3天前), and a breadcrumb (多维博客 » 标题: the headline's echo, not the
# headline).
_BREADCRUMB = "»›＞>"
_WHEN_ALONE = regex.compile(
    rf"(?:(?:19|20)\d\d\s*(?:年\s*[01]?\d\s*月|[-/.]\s*[01]?\d)|{AGO.pattern})"
    r"\s*(?:[(（]\d+[)）])?"
)
_LEXICON_COLUMNS = tuple(f"lex_exact_{kind.value}" for kind in lexicon.Kind)


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

# The rules after the beliefs run in the compiled core (rust/src/decode.rs and
# headline.rs), each on while its name is here: tools/audit_rules.py switches
# them off one at a time to measure what each earns. The constants of this
# module are read at each call, so a patched constant takes effect too.
RULES: frozenset[str] = frozenset(
    {
        "no_text",  # a line of icon glyphs alone is never body (normalize.has_text)
        "code_element",  # a script/style/iframe tag line is never body (is_code_element)
        "never_headline",  # forms that are never the headline
        "name_furniture",  # lexicon-named kinds for non-body lines
        "title_echoes",  # body lines equal to the title are echoes (drop_title_echoes)
        "close_sections",  # a section header below the article closes it
        "comment_sections",  # close_sections: reader-comment headers close the article too
        "ranker_wording",  # the headline ranker reads the line's wording
    }
)

# AGO opens with (?<!\d), a look-behind the core's engine does not have. It
# opens an alternative that a full match of _WHEN_ALONE can only start at the
# line's start, where no digit precedes and it always holds: without it the
# pattern matches the same lines.
_WHEN_ALONE_CORE = _WHEN_ALONE.pattern.replace(r"(?<!\d)", "")
assert AGO.pattern.startswith(r"(?<!\d)") and "(?<" not in _WHEN_ALONE_CORE


def _core_pattern(pattern: regex.Pattern[str]) -> str:
    """A pattern's text with its case flag written inline, as the core's engine reads it."""
    return ("(?i)" if pattern.flags & regex.IGNORECASE else "") + pattern.pattern


# The feature columns the core's rules read, by name: a reading hands it these alone
# (the whole matrix is 1 KB a line, these 13 columns a tenth of it).
_CORE_NAMES = (
    "chars",
    "date_cover",
    "has_time",
    "meta_key",
    "lex_start_pager",
    "lex_start_footer",
    *_LEXICON_COLUMNS,
)
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


@cache
def _decoder(names: tuple[str, ...] = _CORE_NAMES) -> Any:
    """The compiled decoder, built once from the lexicons and this module's patterns.

    ``names`` are the columns of the features it is handed: ``_CORE_NAMES``
    from Python's readings, a page's whole matrix in ``_core.decide_page``.
    """
    return _core.decode.Decoder(
        names=list(names),
        lexicon_columns=list(_LEXICON_COLUMNS),
        edge_chars=features._EDGE_CHARS,
        comment_section=sorted(lexicon.comment_section()),
        comment_words=list(lexicon._COMMENT_WORDS),
        comment_forms=_core_pattern(lexicon._COMMENT_SECTION_FORMS),
        when_alone=_WHEN_ALONE_CORE,
        code_element=_core_pattern(_CODE_ELEMENT),
        subtitle_dashes=_SUBTITLE_DASHES,
        breadcrumb=_BREADCRUMB,
    )


def _rules() -> Any:
    """The rule switches and constants as this module holds them now."""
    return _core.decode.Rules(
        RULES,
        title_min_prob=TITLE_MIN_PROB,
        fallback_min_prob=FALLBACK_MIN_PROB,
        fallback_relative=FALLBACK_RELATIVE,
        template_min_share=TEMPLATE_MIN_SHARE,
        template_max_share=TEMPLATE_MAX_SHARE,
        pager_key_max_chars=PAGER_KEY_MAX_CHARS,
        key_line_max_chars=KEY_LINE_MAX_CHARS,
        section_header_min_chars=SECTION_HEADER_MIN_CHARS,
        refine_rounds=REFINE_ROUNDS,
    )


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
