"""Per-line features, computed for the whole page at once.

Takes the folded line texts (``normalize.feature_text``) and gives a float
matrix, one row per line, one column per name in ``NAMES``. Character classes
are counted for all lines in a few numpy operations over the page's code
points; patterns run once over the joined page, and their matches are mapped
back to lines; only set look-ups run line by line. So the cost is a small
constant per page plus a few array operations per character.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import numpy as np
import numpy.typing as npt
import regex

from zhengwen import lexicon
from zhengwen.lexicon import Kind

FloatArray = npt.NDArray[np.float64]

# --- character classes ---------------------------------------------------

# Class ids of the code-point table. HAN_FUNC are Han characters that are
# grammar words on their own (的 了 是 …): prose is dense in them, menus and
# titles are not.
OTHER, HAN, HAN_FUNC, SENT_END, CLAUSE, QUOTE, DIGIT, LATIN, SEP, PERIOD, NEWLINE = range(11)
N_CLASSES = 11

# Single-character function words, taken from the most frequent entries of
# jieba's dictionary tagged u (particle), p (preposition), c (conjunction),
# d (adverb) and r (pronoun); both scripts.
FUNCTION_CHARS = (
    "的了着过地得之所是在和与及或而且并也都就还又才再很更最太已曾将把被让给对向从于以为"
    "因但若如虽则即乃其此这那哪些我你他她它们咱您谁什么怎么不没无非别未只仅"
    "著過與並還纔將於為雖則這們麼沒無僅讓給對從"
)
SENT_END_CHARS = "。！？!?…"
CLAUSE_CHARS = "，,、；;：:﹐﹑﹔﹕"
QUOTE_CHARS = "“”‘’「」『』《》〈〉（）()【】[]\"'〔〕"
SEP_CHARS = "|｜>＞›»·•/\\-—–_~*#=+<＜‹«→←↑↓▪■□◆◇●○★☆►▶◀◁▷¦┊│丨/"
CLOSERS = "”’」』）)】]\"'"


@cache
def _class_table() -> npt.NDArray[np.uint8]:
    table = np.zeros(0x10000, dtype=np.uint8)
    table[0x4E00:0xA000] = HAN  # CJK unified ideographs
    table[0x3400:0x4DC0] = HAN  # extension A
    table[0xF900:0xFB00] = HAN  # compatibility ideographs
    for ch in FUNCTION_CHARS:
        table[ord(ch)] = HAN_FUNC
    for chars, cls in (
        (SENT_END_CHARS, SENT_END),
        (CLAUSE_CHARS, CLAUSE),
        (QUOTE_CHARS, QUOTE),
        (SEP_CHARS, SEP),
    ):
        for ch in chars:
            table[ord(ch)] = cls
    table[ord("0") : ord("9") + 1] = DIGIT
    table[0xFF10:0xFF1A] = DIGIT
    table[ord("a") : ord("z") + 1] = LATIN
    table[ord("A") : ord("Z") + 1] = LATIN
    table[0xFF21:0xFF3B] = LATIN
    table[0xFF41:0xFF5B] = LATIN
    table[ord(".")] = PERIOD
    table[ord("\n")] = NEWLINE
    return table


# --- patterns over the joined page --------------------------------------

_DATE = regex.compile(
    r"(?:19|20)\d\d\s*[-/.年]\s*[01]?\d\s*[-/.月]\s*[0-3]?\d\s*日?"
    r"|(?<!\d)[01]?\d\s*月\s*[0-3]?\d\s*日"
    r"|(?<!\d)[01]?\d-[0-3]\d(?!\d)",
)
_TIME = regex.compile(r"(?<!\d)[0-2]?\d[:：][0-5]\d(?:[:：][0-5]\d)?(?!\d)")
_AGO = regex.compile(r"\d+\s*(?:秒|分钟|分鐘|小时|小時|天|周|週|个月|個月|月|年)前|刚刚|剛剛|昨天|前天")
_LIST_START = regex.compile(
    r"^(?:\d{1,3}[、.．)）]|[（(]\d{1,3}[）)]|[一二三四五六七八九十]{1,3}[、.．]|[·•▪●◆■○※★☆►▶-])",
    regex.MULTILINE,
)
_CONTACT = regex.compile(
    r"https?:|www\.|\.com|\.cn|\.net|@[A-Za-z0-9-]+\.|(?<!\d)\d{3,4}-\d{7,8}(?!\d)"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)|[Qq][Qq][:：]?\d{5,}"
)
_LEGAL = regex.compile(
    r"ICP|公网安备|公網安備|©|\(c\)|&copy|[Cc]opyright|COPYRIGHT|版权|版權|[Aa]ll\s*[Rr]ights"
    r"|许可证|許可證|备案|備案"
)
_META_KEY = regex.compile(
    r"(?:来源|來源|作者|记者|記者|编辑|編輯|责编|責編|通讯员|通訊員|发布时间|發佈時間|發布時間"
    r"|发表时间|發表時間|时间|時間|日期|浏览|瀏覽|阅读|閱讀|点击|點擊|摄影|攝影|出处|出處|稿源)"
    r"\s*[:：]"
)
_BYLINE = regex.compile(r"[（(【\[]\s*(?:记者|記者|编辑|編輯|作者|通讯员|來源|来源|责任编辑|責任編輯)")
_COUNT_WORD = regex.compile(r"\d+\s*(?:条|條|人|次|个|個|篇|楼|樓|赞|讚|评|評|回复|回覆|阅读|閱讀)")


MIN_INLINE_WORD = 2  # characters a lexicon word needs to count when found mid-line


def _lexicon_pattern(kind: Kind, anchored: bool) -> regex.Pattern[str]:
    # Inside a line, one-character words (大, 中, 图) are too common to mean anything.
    chosen = [w for w in lexicon.words(kind) if anchored or len(w) >= MIN_INLINE_WORD]
    alternation = "|".join(regex.escape(w) for w in sorted(chosen, key=len, reverse=True))
    prefix = r"^[\p{P}\p{S}\d]{0,3}" if anchored else ""
    return regex.compile(f"{prefix}(?:{alternation})", regex.MULTILINE)


@cache
def _lexicon_patterns() -> tuple[tuple[regex.Pattern[str], regex.Pattern[str]], ...]:
    return tuple((_lexicon_pattern(k, True), _lexicon_pattern(k, False)) for k in Kind)


# --- the feature table ----------------------------------------------------

_LEX = [k.value for k in Kind]
NAMES: tuple[str, ...] = (
    "chars",
    "log_chars",
    "han",
    "han_ratio",
    "func_ratio",
    "sent_end",
    "clause",
    "punct_ratio",
    "quote",
    "digit_ratio",
    "latin_ratio",
    "sep_ratio",
    "period",
    "ends_sentence",
    "ends_closer",
    "first_is_digit",
    "first_is_sep",
    "starts_punct",
    "date_cover",
    "has_time",
    "ago",
    "list_start",
    "contact",
    "legal",
    "meta_key",
    "byline",
    "count_word",
    "bracketed",
    *(f"lex_exact_{k}" for k in _LEX),
    *(f"lex_start_{k}" for k in _LEX),
    *(f"lex_cover_{k}" for k in _LEX),
    "dup_count",
    "position",
    "han_before",
    "n_lines",
    "page_han",
    "han_rank",
    "head_echo",
)
_COL = {name: i for i, name in enumerate(NAMES)}
N_BASE = len(NAMES)

HEAD_LINES = 3  # the first lines of a page, where scrapers put the <title> text
MIN_ECHO_CHARS = 5  # characters a line needs before its echo at the head counts

# Strip these before the exact look-up, so 【相关新闻】 and ·上一篇： match.
_EDGE_CHARS = "".join(sorted(set(SEP_CHARS + QUOTE_CHARS + CLAUSE_CHARS + "0123456789")))


def col(name: str) -> int:
    """Column index of a feature name."""
    return _COL[name]


def line_features(folded: list[str]) -> FloatArray:
    """The base feature matrix of a page: ``len(folded)`` rows, ``N_BASE`` columns."""
    n = len(folded)
    x = np.zeros((n, N_BASE), dtype=np.float64)
    if n == 0:
        return x
    joined = "\n".join(folded)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _class_table()
    classes = np.where(codes < 0x10000, table[np.minimum(codes, 0xFFFF)], OTHER)
    # Han beyond the BMP (extensions B and later) are Han too.
    classes[(codes >= 0x20000) & (codes < 0x32000)] = HAN
    is_nl = classes == NEWLINE
    line_of = np.cumsum(is_nl) - is_nl  # the newline belongs to the line it ends
    counts = np.bincount(line_of * N_CLASSES + classes, minlength=n * N_CLASSES)
    counts = counts.reshape(n, N_CLASSES).astype(np.float64)
    counts[:, NEWLINE] = 0
    length = counts.sum(axis=1)
    safe = np.maximum(length, 1.0)
    han = counts[:, HAN] + counts[:, HAN_FUNC]

    x[:, col("chars")] = length
    x[:, col("log_chars")] = np.log1p(length)
    x[:, col("han")] = han
    x[:, col("han_ratio")] = han / safe
    x[:, col("func_ratio")] = counts[:, HAN_FUNC] / np.maximum(han, 1.0)
    x[:, col("sent_end")] = counts[:, SENT_END]
    x[:, col("clause")] = counts[:, CLAUSE]
    x[:, col("punct_ratio")] = (counts[:, SENT_END] + counts[:, CLAUSE]) / safe
    x[:, col("quote")] = counts[:, QUOTE]
    x[:, col("digit_ratio")] = counts[:, DIGIT] / safe
    x[:, col("latin_ratio")] = counts[:, LATIN] / safe
    x[:, col("sep_ratio")] = counts[:, SEP] / safe
    x[:, col("period")] = counts[:, PERIOD]

    # First and last character classes, from the line boundaries.
    starts = np.zeros(n, dtype=np.int64)
    nl_pos = np.flatnonzero(is_nl)
    starts[1:] = nl_pos + 1
    ends = np.empty(n, dtype=np.int64)
    ends[:-1] = nl_pos
    ends[-1] = len(codes)
    nonempty = length > 0
    # A sentinel class at the end keeps the look-ups in range on empty pages.
    classes = np.append(classes, np.uint8(OTHER))
    last = np.where(nonempty, classes[np.maximum(ends - 1, 0)], OTHER)
    first = np.where(nonempty, classes[np.minimum(starts, len(codes))], OTHER)
    last_char = [s[-1] if s else "" for s in folded]
    closer = np.fromiter((c in CLOSERS for c in last_char), dtype=bool, count=n)
    before_closer = np.where(
        closer & (length >= 2), classes[np.maximum(ends - 2, 0)], OTHER
    )
    x[:, col("ends_sentence")] = (last == SENT_END) | (last == PERIOD) | (before_closer == SENT_END)
    x[:, col("ends_closer")] = closer
    x[:, col("first_is_digit")] = first == DIGIT
    x[:, col("first_is_sep")] = (first == SEP) | (first == QUOTE)
    x[:, col("starts_punct")] = (first == CLAUSE) | (first == SENT_END) | (first == PERIOD) | (
        (first == QUOTE) & np.fromiter((s[:1] in CLOSERS for s in folded), dtype=bool, count=n)
    )

    # Patterns over the joined page; a match belongs to the line it starts in.
    def line_hits(pattern: regex.Pattern[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        spans = [(m.start(), m.end()) for m in pattern.finditer(joined)]
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        pos = np.array(spans, dtype=np.int64)
        rows = np.searchsorted(starts, pos[:, 0], side="right") - 1
        return rows, (pos[:, 1] - pos[:, 0]).astype(np.float64)

    def cover(name: str, pattern: regex.Pattern[str]) -> None:
        rows, widths = line_hits(pattern)
        np.add.at(x[:, col(name)], rows, widths)
        x[:, col(name)] = np.minimum(x[:, col(name)] / safe, 1.0)

    def flag(name: str, pattern: regex.Pattern[str]) -> None:
        rows, _ = line_hits(pattern)
        x[rows, col(name)] = 1.0

    cover("date_cover", _DATE)
    flag("has_time", _TIME)
    flag("ago", _AGO)
    flag("list_start", _LIST_START)
    flag("contact", _CONTACT)
    flag("legal", _LEGAL)
    flag("meta_key", _META_KEY)
    flag("byline", _BYLINE)
    flag("count_word", _COUNT_WORD)
    for k, (anchored, anywhere) in zip(_LEX, _lexicon_patterns(), strict=True):
        flag(f"lex_start_{k}", anchored)
        cover(f"lex_cover_{k}", anywhere)

    index = lexicon.exact_index()
    exact_cols = [col(f"lex_exact_{k}") for k in _LEX]
    dup = Counter(folded)
    for i, s in enumerate(folded):
        if s and s[0] in "【[" and s[-1] in "】]":
            x[i, col("bracketed")] = 1.0
        mask = index.get(s.strip(_EDGE_CHARS), 0)
        if mask:
            for bit, c in enumerate(exact_cols):
                if mask >> bit & 1:
                    x[i, c] = 1.0
    x[:, col("dup_count")] = [dup[s] for s in folded]
    # A headline is often echoed by the page's first lines (the <title> text,
    # "headline_site name") and by the end of a breadcrumb.
    head = [(j, h) for j, h in enumerate(folded[:HEAD_LINES]) if h]
    for i, s in enumerate(folded):
        if len(s) >= MIN_ECHO_CHARS:
            x[i, col("head_echo")] = sum(1 for j, h in head if j != i and (s in h or h in s))

    # Where the line sits on the page.
    x[:, col("position")] = np.arange(n) / max(n - 1, 1)
    total_han = float(han.sum())
    x[:, col("han_before")] = (np.cumsum(han) - han) / max(total_han, 1.0)
    x[:, col("n_lines")] = n
    x[:, col("page_han")] = total_han
    x[:, col("han_rank")] = han / max(float(han.max()), 1.0)
    return x


# --- context: the same evidence summed over windows ------------------------

# (name of a base column or derived series, window half-widths)
_WINDOWED = ("han", "ends_sentence", "prose", "furniture", "related_hit", "meta_hit", "date_cover")
_WIDTHS = (1, 2, 5, 10)
_DIRECTIONAL = ("prose", "han", "meta_hit")  # also summed over the lines before / after only
_DIR_WIDTHS = (3, 10)


def _series(x: FloatArray) -> dict[str, FloatArray]:
    han = x[:, col("han")]
    prose = ((han >= 15) & (x[:, col("punct_ratio")] >= 0.02)).astype(np.float64)
    lex_any = sum(
        x[:, col(f"lex_exact_{k}")] + x[:, col(f"lex_start_{k}")]
        for k in _LEX
        if k != Kind.META.value
    )
    furniture = np.minimum(np.asarray(lex_any), 1.0) * (han < 15)
    related = np.maximum(x[:, col("lex_exact_related_header")], x[:, col("lex_start_related_header")])
    meta = np.maximum(x[:, col("meta_key")], x[:, col("date_cover")] > 0.5)
    return {
        "han": np.log1p(han),
        "ends_sentence": x[:, col("ends_sentence")],
        "prose": prose,
        "furniture": furniture,
        "related_hit": related,
        "meta_hit": meta.astype(np.float64),
        "date_cover": x[:, col("date_cover")],
    }


def _window_sum(v: FloatArray, lo: int, hi: int) -> FloatArray:
    """For each i, the sum of v[i+lo : i+hi+1] clipped to the page, excluding nothing."""
    n = len(v)
    c = np.concatenate(([0.0], np.cumsum(v)))
    idx = np.arange(n)
    a = np.clip(idx + lo, 0, n)
    b = np.clip(idx + hi + 1, 0, n)
    return c[b] - c[a]


def _distance_to(flags: FloatArray, forward: bool, cap: int) -> FloatArray:
    """Lines to the nearest flagged line before (or after) each line, capped."""
    n = len(flags)
    idx = np.arange(n)
    marked = np.where(flags > 0, idx, -1 if not forward else n)
    if forward:
        nearest = np.minimum.accumulate(marked[::-1])[::-1]
        shifted = np.concatenate((nearest[1:], [n]))
        d = np.where(shifted >= n, cap, shifted - idx)
    else:
        nearest = np.maximum.accumulate(marked)
        shifted = np.concatenate(([-1], nearest[:-1]))
        d = np.where(shifted < 0, cap, idx - shifted)
    return np.minimum(d, cap).astype(np.float64)


_CW_WIDTHS = (1, 2, 5)  # character-weighted windows: fragments of one sentence read as one

CONTEXT_NAMES: tuple[str, ...] = (
    *(f"win{w}_{s}" for s in _WINDOWED for w in _WIDTHS),
    *(f"{d}{w}_{s}" for s in _DIRECTIONAL for w in _DIR_WIDTHS for d in ("before", "after")),
    *(f"cw{w}_{r}" for w in _CW_WIDTHS for r in ("punct", "sent_per_han", "han_ratio", "log_chars")),
    "prev_ends_sentence",
    "next_starts_punct",
    "dist_prev_prose",
    "dist_next_prose",
    "dist_prev_related",
    "dist_next_related",
    "prose_before_frac",
    "prose_after_frac",
)
CAP = 50


def context_features(x: FloatArray) -> FloatArray:
    """Window sums and distances over the base features: one row per line."""
    n = x.shape[0]
    out = np.zeros((n, len(CONTEXT_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    series = _series(x)
    k = 0
    for s in _WINDOWED:
        for w in _WIDTHS:
            out[:, k] = (_window_sum(series[s], -w, w) - series[s]) / (2 * w)
            k += 1
    for s in _DIRECTIONAL:
        for w in _DIR_WIDTHS:
            out[:, k] = _window_sum(series[s], -w, -1) / w
            out[:, k + 1] = _window_sum(series[s], 1, w) / w
            k += 2
    # Character-weighted windows: a sentence broken by inline links into
    # fragments (这次 / 地震震级 / Mw7.37，是…) has prose density as a whole.
    chars = x[:, col("chars")]
    punct = x[:, col("punct_ratio")] * chars
    sent = x[:, col("sent_end")]
    han = x[:, col("han")]
    for w in _CW_WIDTHS:
        c = np.maximum(_window_sum(chars, -w, w), 1.0)
        h = np.maximum(_window_sum(han, -w, w), 1.0)
        out[:, k] = _window_sum(punct, -w, w) / c
        out[:, k + 1] = _window_sum(sent, -w, w) / h
        out[:, k + 2] = _window_sum(han, -w, w) / c
        out[:, k + 3] = np.log1p(c)
        k += 4
    out[1:, k] = x[:-1, col("ends_sentence")]
    out[0, k] = 1.0
    out[:-1, k + 1] = x[1:, col("starts_punct")]
    k += 2
    prose = series["prose"]
    out[:, k] = _distance_to(prose, False, CAP)
    out[:, k + 1] = _distance_to(prose, True, CAP)
    out[:, k + 2] = _distance_to(series["related_hit"], False, CAP)
    out[:, k + 3] = _distance_to(series["related_hit"], True, CAP)
    prose_han = prose * x[:, col("han")]
    total = max(float(prose_han.sum()), 1.0)
    before = np.cumsum(prose_han) - prose_han
    out[:, k + 4] = before / total
    out[:, k + 5] = (total - before - prose_han) / total
    return out


def page_features(folded: list[str]) -> FloatArray:
    """Base and context features side by side: the first pass's input."""
    x = line_features(folded)
    return np.hstack((x, context_features(x)))


ALL_NAMES: tuple[str, ...] = NAMES + CONTEXT_NAMES
