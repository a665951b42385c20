"""The compiled core's pieces for a page, built without numpy.

``zhengwen.extract`` hands a page to ``_core.extract_page`` and gets plain
lists back (labels, body beliefs, title rows, reasons); what that call needs
is made here once, from the package's data files: the featurizer (lexicons),
the two models, the decoder (lexicon words and patterns), the rules, the
headline ranker and the reason-giver. Nothing here imports numpy or
``regex``, so a command that reads one page of text starts fast: numpy alone
costs more to import than the page takes to decide.

The constants the decode reads are defined here, once; ``zhengwen.decode``,
``zhengwen.features``, ``zhengwen.headline`` and ``zhengwen.classify`` (the
numpy API the training tools use) take them from this module.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from zhengwen import _core, lexicon
from zhengwen._data import read_text
from zhengwen.lexicon import Kind

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from typing import Any


# --- features (rust/src/features/) ------------------------------------------

KINDS: tuple[str, ...] = tuple(k.value for k in Kind)
NAMES: tuple[str, ...]
CONTEXT_NAMES: tuple[str, ...]
HTML_NAMES: tuple[str, ...]
NAMES, CONTEXT_NAMES, HTML_NAMES = (tuple(names) for names in _core.feature_names(list(KINDS)))
ALL_NAMES: tuple[str, ...] = NAMES + CONTEXT_NAMES
_COL = {name: i for i, name in enumerate(NAMES)}

# Stripped from a line's ends before a whole-line lexicon look-up, so that
# 【相关新闻】 and ·上一篇： match: separators, quotes, clause marks, digits.
EDGE_CHARS: str = _core.EDGE_CHARS
# "3小时前", "昨天": the core's pattern, read by zhengwen.decode too.
AGO_SOURCE: str = _core.AGO_SOURCE


def col(name: str) -> int:
    """Column index of a base feature name."""
    return _COL[name]


def line_core(folded: str) -> str:
    """A folded line without its edge bullets, brackets and numbers: what lexicons match whole."""
    return folded.strip(EDGE_CHARS)


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


@cache
def featurizer() -> _core.Featurizer:
    """The core's featurizer, built once from the lexicons."""
    return _core.Featurizer(lexicon.exact_index(), lexicon.function_chars(), list(KINDS))


# --- the models (rust/src/nets.rs, stack.rs) ---------------------------------

# The line classes, in the order of the models' outputs, and the stacked
# features pass two reads beside the base ones: defined in the core (stack.rs).
CLASSES: tuple[str, ...] = tuple(_core.CLASSES)
STACK_NAMES: tuple[str, ...] = tuple(_core.STACK_NAMES)


def stack_columns() -> tuple[int, int, int]:
    """Where the stacking finds its base features: han, latin_ratio, chars."""
    return col("han"), col("latin_ratio"), col("chars")


@cache
def model(name: str) -> _core.Model:
    """The packaged model ``model/<name>.json``, parsed once by the core."""
    return _core.Model(read_text("model", f"{name}.json"))


@cache
def models(html: bool = False) -> tuple[_core.Model, _core.Model]:
    """The shipped models (text path, or HTML path), checked against the features computed."""
    suffix, base = ("-html", ALL_NAMES + HTML_NAMES) if html else ("", ALL_NAMES)
    first, second = model("pass1" + suffix), model("pass2" + suffix)
    for m, names in ((first, base), (second, base + STACK_NAMES)):
        if tuple(m.features) != names:
            raise RuntimeError(
                "the packaged model was trained on other features than this code computes; "
                "refit it with tools/train.py --export"
            )
    return first, second


# --- the headline ranker (rust/src/headline.rs) --------------------------------

RANKER_FORMAT = "zhengwen-headline/2"
RANKER_NAMES: tuple[str, ...] = (
    "log_belief",  # log of the line's title belief
    "belief_gap",  # how far below the most title-like line's belief, on the log scale
    "body_overlap",  # share of the line's Han character pairs that recur in the body lines
    "lines_to_body",  # lines down to the next body line (capped)
    "log_body_above",  # log(1 + body lines above it)
    "meta_below",  # the meta belief of the line below it
    "wording",  # title-likeness from the line's wording (``wording_tokens``, weighed by the model)
)


def ranker_parts(
    data: dict[str, Any],
) -> tuple[tuple[str, ...], list[float], list[float], list[float], dict[str, float], float]:
    """A ranker's JSON form, checked: features, mean, scale, coef, wording weights and bias."""
    if data.get("format") != RANKER_FORMAT:
        raise ValueError(f"not a {RANKER_FORMAT} model: format {data.get('format')!r}")
    features = tuple(data["features"])
    if features != RANKER_NAMES:
        raise ValueError(f"the ranker reads {features}, this code computes {RANKER_NAMES}")
    arrays = []
    for key in ("mean", "scale", "coef"):
        try:
            values = [float(v) for v in data[key]]
        except TypeError:
            values = []
        if len(values) != len(RANKER_NAMES):
            raise ValueError(f"mean, scale and coef must each hold {len(RANKER_NAMES)} numbers")
        arrays.append(values)
    mean, scale, coef = arrays
    if not (all(math.isfinite(v) for v in mean + scale + coef) and all(v > 0 for v in scale)):
        raise ValueError("the ranker's numbers must be finite, its scales positive")
    wording = data.get("wording")
    if not isinstance(wording, dict) or not isinstance(wording.get("weights"), dict):
        raise ValueError(
            "the ranker needs its wording: {'bias': number, 'weights': {token: number}}"
        )
    weights = {str(k): float(v) for k, v in wording["weights"].items()}
    bias = float(wording.get("bias", 0.0))
    if not all(math.isfinite(v) for v in (bias, *weights.values())):
        raise ValueError("the wording's weights must be finite")
    return features, mean, scale, coef, weights, bias


def ranker_json() -> dict[str, Any]:
    """The packaged ranker's JSON form, ``model/title.json`` (text path)."""
    data: dict[str, Any] = json.loads(read_text("model", "title.json"))
    return data


@cache
def ranker() -> Any:
    """The packaged ranker in the core (``_core.headline.Ranker``), made once."""
    features, mean, scale, coef, weights, bias = ranker_parts(ranker_json())
    return _core.headline.Ranker(
        list(features), mean, scale, coef, _core.headline.Wording(weights, bias)
    )


# --- the decode (rust/src/decode.rs) -------------------------------------------

# A page's most title-like line is its title if the model gives it at least
# this probability. On the dev pages' CV beliefs, the most title-like line is
# the gold title on about 80% of pages even when its belief is tiny, so the
# bar is only there to leave pages with no headline-like line untitled.
TITLE_MIN_PROB = 0.0005
# When no line reaches the body threshold but the best reaches FALLBACK_MIN_PROB,
# lines within FALLBACK_RELATIVE of the best are kept (see decode.labels_from_probs).
FALLBACK_MIN_PROB = 0.15
FALLBACK_RELATIVE = 0.7
# A line the site template shows on more than this share of a site's other
# pages counts as template evidence (see decode.apply_template).
TEMPLATE_MIN_SHARE = 0.5
TEMPLATE_MAX_SHARE = 0.99  # no share is taken as certainty: evidence, not a delete
PAGER_KEY_MAX_CHARS = 8  # "上一篇：" and the like; longer lines carry the linked title
KEY_LINE_MAX_CHARS = 4 * PAGER_KEY_MAX_CHARS  # a lexicon key and its short value (title, e-mail)
# A related-list header closes the article from this length on: the bare two-character
# ones (最新, 热门, 推荐) are also tabs and sort toggles, over a forum's replies as well.
SECTION_HEADER_MIN_CHARS = 3
# Re-readings of the body alone before the first reading is kept instead of a
# stable body. Most bodies are stable at once; a body that is peeled a few
# lines a round (a flowchart drawn one character a line) took 14 on a dev page.
# The re-readings together read at most REFINE_ROUNDS times the page's lines,
# so a page's cost stays in proportion to its length (a bounded factor: small
# pages usually settle in one re-reading, a few large ones use many rounds).
REFINE_ROUNDS = 20

# The rules after the beliefs run in the compiled core (rust/src/decode.rs and
# headline.rs), each on while its name is here: tools/audit_rules.py switches
# them off one at a time (on ``zhengwen.decode``) to measure what each earns.
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
_RULE_CONSTANTS = (
    "TITLE_MIN_PROB",
    "FALLBACK_MIN_PROB",
    "FALLBACK_RELATIVE",
    "TEMPLATE_MIN_SHARE",
    "TEMPLATE_MAX_SHARE",
    "PAGER_KEY_MAX_CHARS",
    "KEY_LINE_MAX_CHARS",
    "SECTION_HEADER_MIN_CHARS",
    "REFINE_ROUNDS",
)


def rules() -> Any:
    """The rule switches and constants in force, as the core reads them (``_core.decode.Rules``).

    They are ``zhengwen.decode``'s when that module is loaded (the tools and
    tests patch them there, and take effect on ``extract`` as on
    ``decode.decide``), else this module's: the same values unless patched.
    """
    source = sys.modules.get("zhengwen.decode") or sys.modules[__name__]
    return _core.decode.Rules(
        source.RULES, **{name.lower(): getattr(source, name) for name in _RULE_CONSTANTS}
    )


# The start of a script, style or frame element left in the text by a scraper
# (<SCRIPT LANGUAGE="JavaScript1.1" SRC=…>, <noscript><a href=…>): code, never
# the article's text. Matched case-blind at a folded line's start (spaces gone).
CODE_ELEMENT = r"</?(?:no)?script|</?style|</?iframe"
# A line that opens with a dash is a subtitle (副题: ——热烈祝贺…), which the
# guidelines count as body; it is never the headline.
SUBTITLE_DASHES = "—―─－-–"
# A headline is never one of these forms (none of the 131 dev headlines is):
# a line the lexicons name outright as furniture (首页, 相关阅读, 上一篇 …), a
# line led by a meta key (来源：, 作者：, 发布时间：), a line that is mostly a
# date or gives a date with a time of day (于 2023-09-04 17:53:10 发布: a date
# line; a time alone is left, as 98:95 may be a score), a line that is a month
# or a relative time alone, perhaps with a count (a blog's archive, 2005年11月(15);
# a post's 3天前), and a breadcrumb (多维博客 » 标题: the headline's echo, not the
# headline).
BREADCRUMB = "»›＞>"
WHEN_ALONE = (
    rf"(?:(?:19|20)\d\d\s*(?:年\s*[01]?\d\s*月|[-/.]\s*[01]?\d)|{AGO_SOURCE})"
    r"\s*(?:[(（]\d+[)）])?"
)
# AGO opens with (?<!\d), a look-behind the core's engine does not have. It
# opens an alternative that a full match of WHEN_ALONE can only start at the
# line's start, where no digit precedes and it always holds: without it the
# pattern matches the same lines.
_WHEN_ALONE_CORE = WHEN_ALONE.replace(r"(?<!\d)", "")
assert AGO_SOURCE.startswith(r"(?<!\d)") and "(?<" not in _WHEN_ALONE_CORE

LEXICON_COLUMNS = tuple(f"lex_exact_{kind.value}" for kind in Kind)
# The feature columns the core's rules read, by name: a reading hands it these alone
# (the whole matrix is 1 KB a line, these 13 columns a tenth of it).
CORE_NAMES = (
    "chars",
    "date_cover",
    "has_time",
    "meta_key",
    "lex_start_pager",
    "lex_start_footer",
    *LEXICON_COLUMNS,
)


@cache
def decoder(names: tuple[str, ...] = CORE_NAMES) -> Any:
    """The compiled decoder, built once from the lexicons and this module's patterns.

    ``names`` are the columns of the features it is handed: ``CORE_NAMES``
    from Python's readings, a page's whole matrix in ``_core.decide_page``.
    """
    return _core.decode.Decoder(
        names=list(names),
        lexicon_columns=list(LEXICON_COLUMNS),
        edge_chars=EDGE_CHARS,
        comment_section=sorted(lexicon.comment_section()),
        comment_words=list(lexicon.COMMENT_WORDS),
        comment_forms=lexicon.COMMENT_SECTION_FORMS,
        when_alone=_WHEN_ALONE_CORE,
        code_element="(?i)" + CODE_ELEMENT,
        subtitle_dashes=SUBTITLE_DASHES,
        breadcrumb=BREADCRUMB,
    )


@cache
def reasons() -> Any:
    """The core's reason-giver (``_core.Reasons``: rust/src/reasons.rs), made once."""
    return _core.Reasons(
        list(KINDS), [list(lexicon.words(k)) for k in Kind], sorted(lexicon.surnames())
    )


@cache
def parts(html: bool = False) -> tuple[Any, ...]:
    """What reads any page of a path in the core, made once: featurizer, both
    models, the decoder for their columns, and the stacking's base columns."""
    names = ALL_NAMES + HTML_NAMES if html else ALL_NAMES
    first, second = models(html)
    return featurizer(), first, second, decoder(names), stack_columns()


def extract_page(
    folded: list[str],
    threshold: float,
    template: list[float] | None = None,
    markup: Markup | None = None,
    ranker: Any = None,
) -> tuple[list[int], list[float], list[int], list[str]]:
    """A page decided and explained in the core with the package's models.

    Gives labels (indices into ``CLASSES``), body beliefs, title rows and
    one reason code a line, all plain lists.
    """
    facts = None
    if markup is not None:
        facts = (markup.link_chars, markup.block, markup.title, markup.h1)
    labels, body, title_rows, why = _core.extract_page(
        parts(markup is not None),
        reasons(),
        folded,
        threshold,
        template,
        facts,
        ranker,
        rules(),
    )
    return list(labels), body, title_rows, why
