"""The decoder's rules in Python, as they ran before the Rust port (``zhengwen._core.decode``).

``tools/check_core_decode.py`` decides every labelled page with these and with
the compiled core on the same features and beliefs, and reports any
difference. The code is ``src/zhengwen/decode.py`` and ``Ranker.choose`` of
``src/zhengwen/headline.py`` as of commit 8721101, unchanged but for the
imports: a rule changed in ``rust/src/decode.rs`` or ``rust/src/headline.rs``
is changed here too, or the check reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import regex

from zhengwen import lexicon
from zhengwen.decode import BODY, CLASSES, META, TITLE, Model, PageDecision, beliefs
from zhengwen.features import AGO, FloatArray, Markup, col, line_core, page_features
from zhengwen.headline import Ranker, candidate_features, candidates
from zhengwen.model import Label
from zhengwen.normalize import has_text

_LABELS = tuple(Label(c) for c in CLASSES)
TITLE_MIN_PROB = 0.0005
FALLBACK_MIN_PROB = 0.15
FALLBACK_RELATIVE = 0.7
PAGER_KEY_MAX_CHARS = 8
KEY_LINE_MAX_CHARS = 4 * PAGER_KEY_MAX_CHARS
SECTION_HEADER_MIN_CHARS = 3
REFINE_ROUNDS = 20
TEMPLATE_MIN_SHARE = 0.5
TEMPLATE_MAX_SHARE = 0.99


def choose(
    ranker: Ranker,
    title_belief: FloatArray,
    meta_belief: FloatArray,
    body: Sequence[bool],
    folded: Sequence[str],
) -> int:
    """``headline.Ranker.choose`` in Python."""
    rows = candidates(title_belief)
    if len(rows) == 1:
        return rows[0]
    x = candidate_features(rows, title_belief, meta_belief, body, folded, ranker.wording)
    scores = ((x - ranker.mean) / ranker.scale) @ ranker.coef
    return rows[int(np.argmax(scores))]


def name_furniture(labels: list[Label], x: FloatArray, folded: list[str]) -> list[Label]:
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
    if not title_rows or probs[title_rows[0], BODY] >= threshold:
        return labels
    title = folded[title_rows[0]]
    out = list(labels)
    for i, lab in enumerate(labels):
        if lab is Label.BODY and folded[i] == title:
            out[i] = _best_furniture(probs[i])
    return out


def close_sections(
    labels: list[Label],
    x: FloatArray,
    probs: FloatArray,
    title_rows: Sequence[int],
    folded: Sequence[str],
) -> tuple[list[Label], int | None]:
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


def apply_template(probs: FloatArray, shares: FloatArray) -> FloatArray:
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


_CODE_ELEMENT = regex.compile(r"</?(?:no)?script|</?style|</?iframe", regex.IGNORECASE)


def is_code_element(folded: str) -> bool:
    return _CODE_ELEMENT.match(folded) is not None


def post_beliefs(
    folded: list[str],
    x1: FloatArray,
    probs: FloatArray,
    threshold: float,
    template: FloatArray | None = None,
    ranker: Ranker | None = None,
) -> tuple[list[Label], FloatArray, list[int], int | None]:
    """The part of ``_label`` after the beliefs: what ``Decoder.label`` ports."""
    if template is not None:
        probs = apply_template(probs, template)
    labels, title_rows = labels_from_probs(
        probs, threshold, never_headline(x1, folded), ranker, folded
    )
    for i, s in enumerate(folded):
        if labels[i] is Label.BODY and (not has_text(s) or is_code_element(s)):
            labels[i] = Label.OTHER
    labels = name_furniture(labels, x1, folded)
    labels = drop_title_echoes(labels, probs, title_rows, folded, threshold)
    labels, header = close_sections(labels, x1, probs, title_rows, folded)
    return labels, probs, title_rows, header


# A hook for the check: called with each reading's (folded, x1, raw probs, template).
READINGS: list[tuple[list[str], FloatArray, FloatArray, FloatArray | None]] | None = None


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
    if READINGS is not None:
        READINGS.append((folded, x1, probs, template))
    labels, probs, title_rows, header = post_beliefs(folded, x1, probs, threshold, template, ranker)
    return labels, probs, title_rows, x1, header


def decide(
    folded: list[str],
    threshold: float,
    models: Sequence[Model],
    template: FloatArray | None = None,
    markup: Markup | None = None,
    ranker: Ranker | None = None,
) -> PageDecision:
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
        for i in given_up:
            labels[i] = Label.BODY
        given_up = []
    return PageDecision(labels, probs[:, BODY], title_rows, x1, sorted(given_up), header)


def _best_furniture(p: FloatArray) -> Label:
    rest = p.copy()
    rest[BODY] = -1.0
    rest[TITLE] = -1.0
    return _LABELS[int(rest.argmax())]


_SUBTITLE_DASHES = "—―─－-–"


def is_subtitle(folded: str) -> bool:
    return bool(folded) and folded[0] in _SUBTITLE_DASHES


_BREADCRUMB = "»›＞>"
_WHEN_ALONE = regex.compile(
    rf"(?:(?:19|20)\d\d\s*(?:年\s*[01]?\d\s*月|[-/.]\s*[01]?\d)|{AGO.pattern})"
    r"\s*(?:[(（]\d+[)）])?"
)
_LEXICON_COLUMNS = tuple(f"lex_exact_{kind.value}" for kind in lexicon.Kind)


def never_headline(x: FloatArray, folded: Sequence[str]) -> list[bool]:
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
    if ruled_out is None or not any(ruled_out):
        return probs[:, TITLE]
    return np.where(np.asarray(ruled_out, dtype=bool), -1.0, probs[:, TITLE])


def labels_from_probs(
    probs: FloatArray,
    threshold: float,
    ruled_out: Sequence[bool] | None = None,
    ranker: Ranker | None = None,
    folded: Sequence[str] = (),
) -> tuple[list[Label], list[int]]:
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
        threshold = top * FALLBACK_RELATIVE
    labels = [Label.BODY if body[i] >= threshold else _LABELS[other[i]] for i in range(n)]
    title_rows: list[int] = []
    if any(label is not Label.BODY for label in labels):
        belief = title_belief(probs, ruled_out)
        best = int(belief.argmax())
        if belief[best] >= TITLE_MIN_PROB:
            if ranker is not None:
                body_rows = [lab is Label.BODY for lab in labels]
                best = choose(ranker, belief, probs[:, META], body_rows, folded)
            title_rows = [best]
            labels[best] = Label.TITLE
    return labels, title_rows
