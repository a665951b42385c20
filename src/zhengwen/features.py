"""Per-line features, computed for the whole page at once.

Takes the folded line texts (``normalize.feature_text``) and gives a float
matrix, one row per line, one column per name in ``NAMES``. Character classes
are counted for all lines in a few numpy operations over the page's code
points; patterns run once over the joined page, and their matches are mapped
back to lines; only set look-ups run line by line. So the cost is a small
constant per page plus a few array operations per character.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
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

# HAN_FUNC characters come from lexicon/function_chars.txt (built from
# jieba's dictionary by tools/build_function_chars.py).
SENT_END_CHARS = "。！？!?…"
CLAUSE_CHARS = "，,、；;：:﹐﹑﹔﹕"
QUOTE_CHARS = "“”‘’「」『』《》〈〉（）()【】[]\"'〔〕"
SEP_CHARS = "|｜>＞›»·•/\\-—–_~*#=+<＜‹«→←↑↓▪■□◆◇●○★☆►▶◀◁▷¦┊│丨/"
CLOSERS = "”’」』）)】]\"'"
OPENERS = "“‘「『（(【[《〈"


@cache
def _class_table() -> npt.NDArray[np.uint8]:
    table = np.zeros(0x10000, dtype=np.uint8)
    table[0x4E00:0xA000] = HAN  # CJK unified ideographs
    table[0x3400:0x4DC0] = HAN  # extension A
    table[0xF900:0xFB00] = HAN  # compatibility ideographs
    for ch in lexicon.function_chars():
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
_TIME = regex.compile(r"\d[:：][0-5]\d(?![\d])")
AGO = regex.compile(
    # (?<!\d): a run of digits is tried once, from its start, not from each digit.
    r"(?<!\d)\d+\s*(?:秒|分钟|分鐘|小时|小時|天|周|週|个月|個月|月|年)前|刚刚|剛剛|昨天|前天"
)
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
_BYLINE = regex.compile(
    r"[（(【\[]\s*(?:记者|記者|编辑|編輯|作者|通讯员|來源|来源|责任编辑|責任編輯)"
)
# Markdown that forums and blogs render as text: headings, images and links,
# emphasis. Its lines are article structure, not furniture.
_MARKDOWN = regex.compile(
    # Bounded scans ({0,200}) keep a line of a million "![" linear.
    r"^(?:#{1,6}(?!#)|>(?=.{0,200}\p{Han})|\*\*)|!\[[^\]\n]{0,200}\]\(|\]\(https?://"
    r"|\*\*[^*\n]{1,200}\*\*",
    regex.MULTILINE,
)
_COUNT_WORD = regex.compile(
    r"(?<!\d)\d+\s*(?:条|條|人|次|个|個|篇|楼|樓|赞|讚|评|評|回复|回覆|阅读|閱讀)"
)


PREFIX_MAX_CHARS = 8  # a line-start look-up tries prefixes up to this long
MIN_INLINE_WORD = 2  # characters a lexicon word needs to count when found mid-line


def trie_pattern(words: list[str]) -> str:
    """A regex alternation of ``words`` factored by common prefixes.

    A flat alternation tries every word at every position; the factored form
    rejects a position on its first character, so scanning a page costs about
    the same whatever the size of the word list. Longer words win, as in a
    longest-first alternation.
    """
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:  # type: ignore[type-arg]
        branches = [regex.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@cache
def _prefix_index() -> tuple[dict[str, int], int]:
    """Every lexicon word mapped to its kinds' bitmask, and the longest word's length."""
    index = lexicon.exact_index()
    return index, max(len(w) for w in index)


@cache
def _inline_pattern() -> re.Pattern[str]:
    """All lexicon words of two or more characters, as one factored alternation."""
    # Inside a line, one-character words (大, 中, 图) are too common to mean anything.
    words = [w for w in lexicon.exact_index() if len(w) >= MIN_INLINE_WORD]
    # The standard library engine skips positions by the first-character set of
    # a factored alternation; `regex` tries every position (6x slower here).
    return re.compile(trie_pattern(words))


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
    "ends_open",
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
    "markdown",
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
    "prose_overlap",
)
_COL = {name: i for i, name in enumerate(NAMES)}
N_BASE = len(NAMES)

HEAD_LINES = 3  # the first lines of a page, where scrapers put the <title> text
MIN_ECHO_CHARS = 5  # characters a line needs before its echo at the head counts

# Strip these before the exact look-up, so 【相关新闻】 and ·上一篇： match.
_EDGE_CHARS = "".join(sorted(set(SEP_CHARS + QUOTE_CHARS + CLAUSE_CHARS + "0123456789")))


def line_core(folded: str) -> str:
    """A folded line without its edge bullets, brackets and numbers: what lexicons match whole."""
    return folded.strip(_EDGE_CHARS)


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
    before_closer = np.where(closer & (length >= 2), classes[np.maximum(ends - 2, 0)], OTHER)
    x[:, col("ends_sentence")] = (last == SENT_END) | (last == PERIOD) | (before_closer == SENT_END)
    x[:, col("ends_closer")] = closer
    opener = np.fromiter((c in OPENERS for c in last_char), dtype=bool, count=n)
    x[:, col("ends_open")] = opener | (last == CLAUSE)
    x[:, col("first_is_digit")] = first == DIGIT
    x[:, col("first_is_sep")] = (first == SEP) | (first == QUOTE)
    x[:, col("starts_punct")] = (
        (first == CLAUSE)
        | (first == SENT_END)
        | (first == PERIOD)
        | ((first == QUOTE) & np.fromiter((s[:1] in CLOSERS for s in folded), dtype=bool, count=n))
    )

    # Patterns over the joined page; a match belongs to the line it starts in.
    def line_hits(
        pattern: regex.Pattern[str],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
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
    flag("ago", AGO)
    flag("list_start", _LIST_START)
    flag("contact", _CONTACT)
    flag("legal", _LEGAL)
    flag("meta_key", _META_KEY)
    flag("byline", _BYLINE)
    flag("count_word", _COUNT_WORD)
    flag("markdown", _MARKDOWN)
    # Lexicon words anywhere in a line: one scan for all kinds at once.
    index, longest = _prefix_index()
    spans = [(m.start(), m.end(), index[m.group()]) for m in _inline_pattern().finditer(joined)]
    if spans:
        hits = np.array(spans, dtype=np.int64)
        rows = np.searchsorted(starts, hits[:, 0], side="right") - 1
        widths = (hits[:, 1] - hits[:, 0]).astype(np.float64)
        for bit, k in enumerate(_LEX):
            sel = (hits[:, 2] >> bit & 1).astype(bool)
            np.add.at(x[:, col(f"lex_cover_{k}")], rows[sel], widths[sel])
    cover_cols = [col(f"lex_cover_{k}") for k in _LEX]
    x[:, cover_cols] = np.minimum(x[:, cover_cols] / safe[:, None], 1.0)

    # Whole-line and line-start look-ups, past leading bullets and brackets.
    exact = np.zeros(n, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    bracketed = x[:, col("bracketed")]
    for i, s in enumerate(folded):
        if not s:
            continue
        if s[0] in "【[" and s[-1] in "】]":
            bracketed[i] = 1.0
        exact[i] = index.get(line_core(s), 0)
        head = s.lstrip(_EDGE_CHARS)
        mask = 0
        for size in range(1, min(longest, len(head), PREFIX_MAX_CHARS) + 1):
            mask |= index.get(head[:size], 0)
        start[i] = mask
    for bit, k in enumerate(_LEX):
        x[:, col(f"lex_exact_{k}")] = exact >> bit & 1
        x[:, col(f"lex_start_{k}")] = start >> bit & 1
    dup = Counter(folded)
    x[:, col("dup_count")] = [dup[s] for s in folded]
    # A headline is often echoed by the page's first lines (the <title> text,
    # "headline_site name") and by the end of a breadcrumb.
    top = [(j, h) for j, h in enumerate(folded[:HEAD_LINES]) if h]
    for i, s in enumerate(folded):
        if len(s) >= MIN_ECHO_CHARS:
            x[i, col("head_echo")] = sum(1 for j, h in top if j != i and (s in h or h in s))

    x[:, col("prose_overlap")] = _prose_overlap(codes, classes[:-1], line_of, x)

    # Where the line sits on the page.
    x[:, col("position")] = np.arange(n) / max(n - 1, 1)
    total_han = float(han.sum())
    x[:, col("han_before")] = (np.cumsum(han) - han) / max(total_han, 1.0)
    x[:, col("n_lines")] = n
    x[:, col("page_han")] = total_han
    x[:, col("han_rank")] = han / max(float(han.max()), 1.0)
    return x


PROSE_HAN = 15  # Han characters, with PROSE_PUNCT, that make a line prose
PROSE_PUNCT = 0.02  # share of sentence and clause marks among the line's characters
PAIR_KEY_MAX_LINES = 1 << 21  # a pair of code points (42 bits) times the line count fits 63 bits


def _is_prose(x: FloatArray) -> npt.NDArray[np.bool_]:
    """Lines of running text: enough Han characters, and punctuation among them."""
    return (x[:, col("han")] >= PROSE_HAN) & (x[:, col("punct_ratio")] >= PROSE_PUNCT)


def _prose_overlap(
    codes: npt.NDArray[np.uint32],
    classes: npt.NDArray[np.uint8],
    line_of: npt.NDArray[np.int64],
    x: FloatArray,
) -> FloatArray:
    """Per line, the share of its pairs of adjacent Han characters found in the page's
    other prose lines: a headline's words recur in its article, a link's seldom do."""
    n = x.shape[0]
    out = np.zeros(n)
    is_han = (classes == HAN) | (classes == HAN_FUNC)
    at = np.flatnonzero(is_han[:-1] & is_han[1:])  # a pair starts here (never across lines)
    if len(at) == 0:
        return out
    pair = codes[at].astype(np.int64) << 21 | codes[at + 1].astype(np.int64)
    if n >= PAIR_KEY_MAX_LINES:  # number the pairs first, so that the keys fit 63 bits
        pair = np.unique(pair, return_inverse=True)[1]
    # Each (pair, line) once, sorted by pair: one sort for the whole page. A sort
    # and a mask of first occurrences, not np.unique, whose hashing grows faster
    # than the page on repeated lines (22x the time for 10x the lines).
    keys = np.sort(pair * n + line_of[at])
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    pair, line = np.divmod(keys[first], n)
    new = np.empty(len(pair), dtype=bool)
    new[0] = True
    np.not_equal(pair[1:], pair[:-1], out=new[1:])
    group = np.cumsum(new) - 1
    prose = _is_prose(x)
    in_prose = np.bincount(group, weights=prose[line])
    elsewhere = in_prose[group] - prose[line] > 0
    found = np.bincount(line, weights=elsewhere, minlength=n)
    total = np.bincount(line, minlength=n)
    np.divide(found, total, out=out, where=total > 0)
    return out


# --- context: the same evidence summed over windows ------------------------

# (name of a base column or derived series, window half-widths)
_WINDOWED = ("han", "ends_sentence", "prose", "furniture", "related_hit", "meta_hit", "date_cover")
_WIDTHS = (1, 2, 5, 10)
_DIRECTIONAL = ("prose", "han", "meta_hit")  # also summed over the lines before / after only
_DIR_WIDTHS = (3, 10)


def _series(x: FloatArray) -> dict[str, FloatArray]:
    han = x[:, col("han")]
    prose = _is_prose(x).astype(np.float64)
    lex_any = sum(
        x[:, col(f"lex_exact_{k}")] + x[:, col(f"lex_start_{k}")]
        for k in _LEX
        if k != Kind.META.value
    )
    furniture = np.minimum(np.asarray(lex_any), 1.0) * (han < 15)
    related = np.maximum(
        x[:, col("lex_exact_related_header")], x[:, col("lex_start_related_header")]
    )
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
    *(
        f"cw{w}_{r}"
        for w in _CW_WIDTHS
        for r in ("punct", "sent_per_han", "han_ratio", "log_chars")
    ),
    "prev_ends_sentence",
    "next_starts_punct",
    "frag_lines",
    "frag_log_han",
    "frag_punct",
    "frag_sent_per_han",
    "frag_position",
    "dist_prev_prose",
    "dist_next_prose",
    "dist_prev_related",
    "dist_next_related",
    "prose_before_frac",
    "prose_after_frac",
)
CAP = 50


def context_features(x: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Window sums and distances over the base features: one row per line.

    Written into ``out`` (``len(x)`` rows, ``len(CONTEXT_NAMES)`` columns,
    zeros) when given, such as the columns of a page's whole matrix.
    """
    n = x.shape[0]
    if out is None:
        out = np.zeros((n, len(CONTEXT_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    series = _series(x)
    # All windowed series at once: one cumulative sum, one slice per width.
    m = np.column_stack([series[s] for s in _WINDOWED])
    cum = np.vstack((np.zeros((1, m.shape[1])), np.cumsum(m, axis=0)))
    idx = np.arange(n)

    def sums(lo: int, hi: int, c: FloatArray = cum) -> FloatArray:
        # np.minimum/np.maximum: np.clip costs several times more on arrays this small.
        return (
            c[np.minimum(np.maximum(idx + hi + 1, 0), n)]
            - c[np.minimum(np.maximum(idx + lo, 0), n)]
        )

    n_widths = len(_WIDTHS)
    for j, w in enumerate(_WIDTHS):
        out[:, j : len(_WINDOWED) * n_widths : n_widths] = (sums(-w, w) - m) / (2 * w)
    k = len(_WINDOWED) * n_widths
    directional = [_WINDOWED.index(s) for s in _DIRECTIONAL]
    for s in directional:
        for w in _DIR_WIDTHS:
            out[:, k] = sums(-w, -1)[:, s] / w
            out[:, k + 1] = sums(1, w)[:, s] / w
            k += 2
    # Character-weighted windows: a sentence broken by inline links into
    # fragments (这次 / 地震震级 / Mw7.37，是…) has prose density as a whole.
    chars = x[:, col("chars")]
    han = x[:, col("han")]
    weighted = np.column_stack(
        (chars, han, x[:, col("punct_ratio")] * chars, x[:, col("sent_end")])
    )
    wcum = np.vstack((np.zeros((1, 4)), np.cumsum(weighted, axis=0)))
    for w in _CW_WIDTHS:
        win = sums(-w, w, wcum)
        c = np.maximum(win[:, 0], 1.0)
        h = np.maximum(win[:, 1], 1.0)
        out[:, k] = win[:, 2] / c
        out[:, k + 1] = win[:, 3] / h
        out[:, k + 2] = win[:, 1] / c
        out[:, k + 3] = np.log1p(c)
        k += 4
    out[1:, k] = x[:-1, col("ends_sentence")]
    out[0, k] = 1.0
    out[:-1, k + 1] = x[1:, col("starts_punct")]
    k += 2
    # Fragments: lines an inline link split out of one sentence (蔡健雅（ /
    # Tanya Chua / ），1975年…) are glued back where the break falls inside
    # punctuation, and the glued sentence's evidence is shared by its lines.
    glue = np.zeros(n, dtype=bool)
    glue[1:] = (x[:-1, col("ends_sentence")] == 0) & (
        (x[:-1, col("ends_open")] > 0) | (x[1:, col("starts_punct")] > 0)
    )
    frag = np.cumsum(~glue) - 1
    size = np.bincount(frag).astype(np.float64)
    f_han = np.bincount(frag, weights=han)
    f_chars = np.maximum(np.bincount(frag, weights=chars), 1.0)
    f_punct = np.bincount(frag, weights=weighted[:, 2])
    f_sent = np.bincount(frag, weights=weighted[:, 3])
    out[:, k] = size[frag]
    out[:, k + 1] = np.log1p(f_han[frag])
    out[:, k + 2] = (f_punct / f_chars)[frag]
    out[:, k + 3] = (f_sent / np.maximum(f_han, 1.0))[frag]
    first_of = np.concatenate(([0], np.flatnonzero(~glue[1:]) + 1))
    out[:, k + 4] = idx - first_of[frag]
    k += 5
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


def page_features(folded: list[str], markup: Markup | None = None) -> FloatArray:
    """Base and context features side by side: the first pass's input.

    With ``markup`` (a page read from HTML), its :data:`HTML_NAMES` columns follow.
    """
    # One matrix, filled in place: joining the parts would hold a page's
    # features twice at once (memory a line counts, see docs/reliability.md).
    # It is made after the base features, whose working arrays (a few per
    # character) would otherwise sit beside it.
    base = line_features(folded)
    n_html = 0 if markup is None else len(HTML_NAMES)
    out = np.zeros((len(folded), len(ALL_NAMES) + n_html), dtype=np.float64)
    out[:, :N_BASE] = base
    del base
    context_features(out[:, :N_BASE], out[:, N_BASE : len(ALL_NAMES)])
    if markup is not None:
        out[:, len(ALL_NAMES) :] = html_features(
            folded, markup.link_chars, markup.block, markup.title, markup.h1
        )
    return out


ALL_NAMES: tuple[str, ...] = NAMES + CONTEXT_NAMES


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


# Block tags grouped by what they usually hold; a line's group is its nearest
# block ancestor's (zhengwen.html.HtmlPage.block).
BLOCK_GROUPS: dict[str, tuple[str, ...]] = {
    "p": ("p",),
    "list": ("li", "ul", "ol", "menu"),
    "table": ("td", "th", "tr", "table", "tbody", "thead", "tfoot", "caption"),
    "heading": ("h1", "h2", "h3", "h4", "h5", "h6", "hgroup"),
    "div": ("div", "center", "body"),
    "definition": ("dd", "dt", "dl"),
    "quote": ("pre", "blockquote", "figcaption", "figure"),
    "landmark": ("nav", "header", "footer", "aside", "address"),
    "article": ("article", "main", "section"),
    "form": ("form", "fieldset", "legend", "details", "summary", "dialog"),
}
_GROUP_OF = {tag: i for i, tags in enumerate(BLOCK_GROUPS.values()) for tag in tags}
_LINK_WIDTHS = (0, 1, 3, 10)
_BLOCK_WIDTH = 5  # lines each side over which the share of <p> lines is taken

HTML_NAMES: tuple[str, ...] = (
    *(f"link_w{w}" for w in _LINK_WIDTHS),
    "link_before10",
    "link_after10",
    *(f"block_{g}" for g in BLOCK_GROUPS),
    "block_other",
    f"p_win{_BLOCK_WIDTH}",
    "is_h1",
    "in_html_title",
)


def html_features(
    folded: list[str],
    link_chars: Sequence[int],
    block: Sequence[str],
    title: str | None,
    h1: str | None,
) -> FloatArray:
    """Per line: link density around it, its block group, and whether it is the <h1>/<title>.

    Link density is character-weighted (link characters / characters) over
    windows of ±w lines, w in ``_LINK_WIDTHS`` (0 = the line alone), and over
    the ten lines before and after. ``link_chars`` counts a line's raw
    characters inside ``<a>``; it is scaled to the folded line.
    """
    n = len(folded)
    out = np.zeros((n, len(HTML_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    chars = np.fromiter((len(s) for s in folded), dtype=np.float64, count=n)
    linked = np.where(np.asarray(link_chars, dtype=np.float64) > 0, chars, 0.0)
    cum_c = np.concatenate(([0.0], np.cumsum(chars)))
    cum_l = np.concatenate(([0.0], np.cumsum(linked)))
    idx = np.arange(n)

    def share(lo: int, hi: int) -> FloatArray:
        a, b = np.clip(idx + lo, 0, n), np.clip(idx + hi + 1, 0, n)
        c = cum_c[b] - cum_c[a]
        return np.where(c > 0, (cum_l[b] - cum_l[a]) / np.maximum(c, 1.0), 0.0)

    k = 0
    for w in _LINK_WIDTHS:
        out[:, k] = share(-w, w)
        k += 1
    out[:, k] = share(-10, -1)
    out[:, k + 1] = share(1, 10)
    k += 2
    groups = np.fromiter(
        (_GROUP_OF.get(tag, len(BLOCK_GROUPS)) for tag in block), dtype=np.int64, count=n
    )
    out[idx, k + groups] = 1.0
    k += len(BLOCK_GROUPS) + 1
    is_p = (groups == 0).astype(np.float64)
    cum_p = np.concatenate(([0.0], np.cumsum(is_p)))
    a = np.clip(idx - _BLOCK_WIDTH, 0, n)
    b = np.clip(idx + _BLOCK_WIDTH + 1, 0, n)
    out[:, k] = (cum_p[b] - cum_p[a]) / (b - a)
    h1_folded = "".join(h1.split()) if h1 else ""
    title_folded = "".join(title.split()) if title else ""
    for i, s in enumerate(folded):
        if s and s == h1_folded:
            out[i, k + 1] = 1.0
        if len(s) >= HTML_TITLE_MIN_CHARS and s in title_folded:
            out[i, k + 2] = 1.0
    return out


HTML_TITLE_MIN_CHARS = 4  # characters a line needs before "inside <title>" counts
