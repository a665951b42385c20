"""Second pass: settle each line from the first pass's beliefs about its neighbours.

The first pass labels each line from its own features and fixed windows of raw
evidence. Here, as in jusText's second pass, the line's neighbours speak with
what the first pass concluded about them: the belief that they are body,
summed over windows and directions, the heaviest run of body belief on the
page (the article is mostly one run of lines), and how far the line is from
that run. A second ensemble reads these beside the base features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import regex

from zhengwen import _core, classify, lexicon
from zhengwen.classify import NET_ROW_BLOCK
from zhengwen.features import AGO, FloatArray, Markup, col, line_core, page_features
from zhengwen.headline import Ranker
from zhengwen.model import Label
from zhengwen.normalize import has_text
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
    out = list(labels)
    keep = (Label.BODY, Label.TITLE)
    for i, label in enumerate(labels):
        if label in keep:
            continue
        if x[i, col("lex_start_pager")] and x[i, col("chars")] <= KEY_LINE_MAX_CHARS:
            out[i] = Label.PAGER
        elif (
            i > 0
            and out[i - 1] is Label.PAGER
            and folded[i - 1][-1:] in (":", "：")
            and len(folded[i - 1]) <= PAGER_KEY_MAX_CHARS
        ):
            out[i] = Label.PAGER
        elif x[i, col("lex_exact_related_header")]:
            out[i] = Label.RELATED
        elif (
            x[i, col("lex_start_footer")]
            and not x[i, col("lex_exact_footer")]
            and x[i, col("chars")] <= KEY_LINE_MAX_CHARS
        ):
            out[i] = Label.FOOTER
    return out


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
    if not title_rows or probs[title_rows[0], BODY] >= threshold:
        return labels
    title = folded[title_rows[0]]
    out = list(labels)
    for i, lab in enumerate(labels):
        if lab is Label.BODY and folded[i] == title:
            out[i] = _best_furniture(probs[i])
    return out


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
    body_rows = [i for i, lab in enumerate(labels) if lab is Label.BODY]
    if not body_rows:
        return labels, None
    start = max([body_rows[0], *title_rows])
    related = x[:, col("lex_exact_related_header")] > 0
    pager = x[:, col("lex_exact_pager")] > 0
    header = next(
        (
            i
            for i in range(start + 1, len(labels))
            if (
                pager[i]
                or (related[i] and len(line_core(folded[i])) >= SECTION_HEADER_MIN_CHARS)
                or lexicon.is_comment_section(line_core(folded[i]))
            )
        ),
        None,
    )
    if header is None:
        return labels, None
    kind = Label.RELATED if related[header] else Label.PAGER if pager[header] else Label.COMMENT
    out = list(labels)
    out[header] = kind
    for i in body_rows:
        if i > header:
            out[i] = _best_furniture(probs[i]) if kind is Label.PAGER else kind
    return out, header


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
    s = np.clip(shares, 0.0, TEMPLATE_MAX_SHARE)
    hit = s > TEMPLATE_MIN_SHARE
    if not hit.any():
        return probs
    out = probs.copy()
    p = out[hit, BODY]
    odds = p / np.maximum(1.0 - p, 1e-12) * (1.0 - s[hit]) / s[hit]
    new = odds / (1.0 + odds)
    rest = 1.0 - p
    scale = np.where(rest > 1e-12, (1.0 - new) / np.maximum(rest, 1e-12), 0.0)
    out[hit] *= scale[:, None]
    out[hit, BODY] = new
    return out


# The start of a script, style or frame element left in the text by a scraper
# (<SCRIPT LANGUAGE="JavaScript1.1" SRC=…>, <noscript><a href=…>): code, never
# the article's text. Matched on a folded line, whose spaces are gone.
_CODE_ELEMENT = regex.compile(r"</?(?:no)?script|</?style|</?iframe", regex.IGNORECASE)


def is_code_element(folded: str) -> bool:
    """Whether a folded line opens with a script, style or frame tag."""
    return _CODE_ELEMENT.match(folded) is not None


def _label(
    folded: list[str],
    threshold: float,
    models: Sequence[Model],
    template: FloatArray | None = None,
    markup: Markup | None = None,
    ranker: Ranker | None = None,
) -> tuple[list[Label], FloatArray, list[int], FloatArray, int | None]:
    x1 = page_features(folded, markup)
    probs = beliefs(x1, models)
    if template is not None:
        probs = apply_template(probs, template)
    labels, title_rows = labels_from_probs(
        probs, threshold, never_headline(x1, folded), ranker, folded
    )
    for i, s in enumerate(folded):
        # A line with no text (empty, or icon glyphs) is never body: nothing to
        # keep; nor is a script or style element a scraper left as text.
        if labels[i] is Label.BODY and (not has_text(s) or is_code_element(s)):
            labels[i] = Label.OTHER
    labels = name_furniture(labels, x1, folded)
    labels = drop_title_echoes(labels, probs, title_rows, folded, threshold)
    labels, header = close_sections(labels, x1, probs, title_rows, folded)
    return labels, probs, title_rows, x1, header


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
    """
    rows = [i for i, s in enumerate(folded) if s]
    if len(rows) < len(folded):
        page = decide(
            [folded[i] for i in rows],
            threshold,
            models,
            None if template is None else template[rows],
            None if markup is None else markup.subset(rows),
            ranker,
        )
        return page.spread(rows, len(folded))
    labels, probs, title_rows, x1, header = _label(
        folded, threshold, models, template, markup, ranker
    )
    given_up: list[int] = []
    for _ in range(REFINE_ROUNDS):
        rows = [i for i, lab in enumerate(labels) if lab is Label.BODY]
        if not rows or len(rows) == len(labels):
            break
        sub = None if template is None else template[rows]
        sub_markup = None if markup is None else markup.subset(rows)
        again, again_probs, _, _, _ = _label(
            [folded[i] for i in rows], threshold, models, sub, sub_markup, ranker
        )
        # A line the re-reading took as the title but believes to be body is
        # kept: read alone the body has no headline, and the title goes to
        # such a line only while some other line is dropped.
        dropped = [
            i
            for j, (i, lab) in enumerate(zip(rows, again))
            if lab is not Label.BODY
            and not (lab is Label.TITLE and again_probs[j, BODY] >= threshold)
        ]
        if not dropped:
            break
        for i in dropped:
            labels[i] = _best_furniture(probs[i])
        given_up.extend(dropped)
    else:
        # Still shrinking after every re-reading allowed: the body is peeled a
        # few lines a round and never settles (an encyclopedia entry whose
        # inline links split every sentence into fragments; read alone, each
        # round's edge fragments look like a list). The first reading stands:
        # it is the page read whole, and giving up every round's lines lost the
        # article, all of it (1,200 body lines on one dev page in CV).
        for i in given_up:
            labels[i] = Label.BODY
        given_up = []
    return PageDecision(labels, probs[:, BODY], title_rows, x1, sorted(given_up), header)


def _best_furniture(p: FloatArray) -> Label:
    rest = p.copy()
    rest[BODY] = -1.0
    rest[TITLE] = -1.0
    return _LABELS[int(rest.argmax())]


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
    named = x[:, [col(c) for c in _LEXICON_COLUMNS]].max(axis=1) > 0
    date = x[:, col("date_cover")]
    dated = (date > 0.5) | ((date > 0) & (x[:, col("has_time")] > 0))
    ruled_out = named | dated | (x[:, col("meta_key")] > 0)
    return [
        bool(out)
        or is_subtitle(s)
        or any(c in s for c in _BREADCRUMB)
        or _WHEN_ALONE.fullmatch(s.strip()) is not None
        for out, s in zip(ruled_out.tolist(), folded)
    ]


def title_belief(probs: FloatArray, ruled_out: Sequence[bool] | None) -> FloatArray:
    """Each line's title belief, -1 on the lines ``ruled_out`` (see never_headline)."""
    if ruled_out is None or not any(ruled_out):
        return probs[:, TITLE]
    return np.where(np.asarray(ruled_out, dtype=bool), -1.0, probs[:, TITLE])


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
    n = probs.shape[0]
    if n == 0:
        return [], []
    rest = probs.copy()
    rest[:, BODY] = -1.0
    rest[:, TITLE] = -1.0
    other = rest.argmax(axis=1)
    body = probs[:, BODY]
    top = float(body.max())
    if top < threshold and top >= FALLBACK_MIN_PROB:
        # No line is sure enough, yet some look like body: a page whose article
        # is unlike the training pages. Keep its most body-like lines rather
        # than nothing.
        threshold = top * FALLBACK_RELATIVE
    labels = [Label.BODY if body[i] >= threshold else _LABELS[other[i]] for i in range(n)]
    title_rows: list[int] = []
    # A page that is all body (a clean text, or a body read alone) has no
    # headline to find; otherwise the most title-like line is the title, even
    # where its body belief is higher: a short headline right above the text
    # looks like a subheading line by line, and the title class knows better.
    if any(label is not Label.BODY for label in labels):
        belief = title_belief(probs, ruled_out)
        best = int(belief.argmax())
        if belief[best] >= TITLE_MIN_PROB:
            if ranker is not None:
                body_rows = [lab is Label.BODY for lab in labels]
                best = ranker.choose(belief, probs[:, META], body_rows, folded)
            title_rows = [best]
            labels[best] = Label.TITLE
    return labels, title_rows
