#!/usr/bin/env python3
"""Check that the compiled decoder decides every labelled page as the Python rules did.

The rules after the beliefs (``zhengwen.decode``, ``zhengwen.headline``) run
in the compiled core (``rust/src/decode.rs``, ``headline.rs``); their Python
form, as it ran before, is ``tools/decode_reference.py``. On every dev and
train page, as ``core.extract`` decides it (``decode.decide`` with the
shipped models, the headline ranker on the text path), this compares:

* each reading of the Python decision (the page, then its body read alone,
  round after round): the core's labels, title rows and section header on
  the same features and beliefs;
* the whole decision, the core's refine loop reading sub-pages through
  Python's features and beliefs: labels, title rows, section header,
  dropped rows, body beliefs and features;
* line by line, the rules' patterns and word tests: ``never_headline``,
  ``is_comment_section`` and ``line_core``, ``is_code_element``, and the
  ranker's wording tokens, wording score and candidate features, on every
  line and on made-up lines that probe the patterns' edges (digits of other
  scripts, spaces Python strips, case folding, lone surrogates).

Then each of ``tools/audit_rules.py``'s switches (the core's rule off
against the Python rule patched out, as that tool did before the port), the
HTML path (``train.HTML = True``: the HTML models, no ranker), the
text path with site-template shares (``--template``), and the seed page,
which must come out as its gold. It times the post-belief decode per page
(the sum over its readings, each the best of three runs), Python and core,
on the same readings. Exits 1
on any difference.

Usage::

    python tools/check_core_decode.py [--sets dev,train] [--paths text,html,template]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import audit_rules as audit
import decode_reference as ref
import numpy as np
import train

import zhengwen
from zhengwen import _core, core, decode, headline, lexicon
from zhengwen.features import ALL_NAMES, line_core
from zhengwen.model import Label
from zhengwen.normalize import feature_text
from zhengwen.options import DEFAULT

THRESHOLD = DEFAULT.threshold
REPEATS = 3  # runs of each reading's decode, timed: the best counts


class Differences:
    """What differed, counted by kind, with the first few cases shown."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}

    def add(self, kind: str, where: str, python: object, core_: object) -> None:
        n = self.count.get(kind, 0)
        self.count[kind] = n + 1
        if n < 5:
            print(f"DIFF {kind} {where}: python {python!r} core {core_!r}", file=sys.stderr)

    def __bool__(self) -> bool:
        return bool(self.count)


def core_label(
    folded: list[str],
    x1: np.ndarray,
    probs: np.ndarray,
    template: np.ndarray | None,
    ranker: headline.Ranker | None,
) -> tuple[list[Label], list[int], int | None]:
    """One reading's labels from the core, called as decode.py calls it."""
    labels, titles, header = decode._decoder().label(
        folded,
        *decode._core_features(x1),
        decode._f64(probs),
        THRESHOLD,
        None if template is None else decode._f64(template),
        None if ranker is None else ranker.core,
        decode._rules(),
    )
    return decode._labels(labels), titles, header


def check_readings(
    name: str,
    readings: list,
    ranker: headline.Ranker | None,
    diff: Differences,
) -> tuple[float, float]:
    """Compare each reading's post-belief decode; the time each side took over them.

    A time is the best of ``REPEATS`` runs: the machine's other work only adds to it.
    """
    t_py = t_core = 0.0
    for k, (folded, x1, probs, template) in enumerate(readings):
        best = float("inf")
        for _ in range(REPEATS):
            start = time.perf_counter()
            labels, _, titles, header = ref.post_beliefs(
                folded, x1, probs, THRESHOLD, template, ranker
            )
            best = min(best, time.perf_counter() - start)
        t_py += best
        best = float("inf")
        for _ in range(REPEATS):
            start = time.perf_counter()
            got = core_label(folded, x1, probs, template, ranker)
            best = min(best, time.perf_counter() - start)
        t_core += best
        if got != (labels, titles, header):
            diff.add("reading", f"{name}#{k}", (labels, titles, header), got)
    return t_py, t_core


def check_lines(
    name: str, folded: list[str], x1: np.ndarray, ranker: headline.Ranker | None, diff: Differences
) -> int:
    """Compare the rules' per-line tests on a page's lines; the number of lines checked."""
    dec = decode._decoder()
    if ref.never_headline(x1, folded) != decode.never_headline(x1, folded):
        diff.add("never_headline", name, ref.never_headline(x1, folded), None)
    for i, s in enumerate(folded):
        where = f"{name}:{i}"
        core_text = line_core(s)
        if dec.line_core(s) != core_text:
            diff.add("line_core", where, core_text, dec.line_core(s))
        if dec.is_comment_section(core_text) != lexicon.is_comment_section(core_text):
            diff.add("is_comment_section", where, core_text, None)
        if dec.is_code_element(s) != ref.is_code_element(s):
            diff.add("is_code_element", where, s, None)
        if ranker is not None:
            tokens = headline.wording_tokens(s)
            got = set(_core.headline.wording_tokens(s))
            if got != tokens:
                diff.add("wording_tokens", where, tokens, got)
            if ranker.wording.core.score(s) != ranker.wording.score(s):
                diff.add("wording_score", where, ranker.wording.score(s), None)
            pairs = headline.han_pairs(s)
            if _core.headline.han_pairs(s) != dict(pairs):
                diff.add("han_pairs", where, pairs, None)
    return len(folded)


def check_candidates(name: str, readings: list, ranker: headline.Ranker, diff: Differences) -> None:
    """The ranker's candidates and their features on each reading, core against Python."""
    for k, (folded, x1, probs, template) in enumerate(readings):
        if template is not None:
            probs = ref.apply_template(probs, template)
        belief = ref.title_belief(probs, ref.never_headline(x1, folded))
        body = [bool(v >= THRESHOLD) for v in probs[:, decode.BODY]]
        rows = headline.candidates(belief)
        got = _core.headline.candidates(belief.tolist())
        if got != rows:
            diff.add("candidates", f"{name}#{k}", rows, got)
            continue
        meta = probs[:, decode.META]
        x = headline.candidate_features(rows, belief, meta, body, folded, ranker.wording)
        y = np.asarray(
            _core.headline.candidate_features(
                rows, belief.tolist(), meta.tolist(), body, folded, ranker.wording.core
            )
        ).reshape(x.shape)
        if not np.array_equal(x, y):
            diff.add("candidate_features", f"{name}#{k}", x, y)
        if rows and ref.choose(ranker, belief, meta, body, folded) != ranker.choose(
            belief, meta, body, folded
        ):
            diff.add("choose", f"{name}#{k}", rows, None)


def probe_lines() -> list[str]:
    """Made-up lines at the patterns' edges: dates, counts, tags, odd digits and spaces."""
    heads = [
        "",
        "3",
        "３",
        "٣",
        "𝟑",
        "2023",
        "２０２３",
        "19",
        "第",
        "共",
        "查看全部",
        "《文》已有",
    ]
    mids = ["年", "-", "/", ".", "年 11 月", "-0", "条评论", "條評論", "件留言", "天前", "分钟前"]
    tails = ["", "(15)", "（15）", "评论", "前", "月", " ", "\x1c", "\u3000", "\ud800", "\ue5e5"]
    lines = ["".join(p) for p in itertools.product(heads, mids, tails)]
    lines += ["刚刚", " 昨天 ", "\x1f前天\x1f", "3天前的事", "2005年11月(15)", "10年前"]
    lines += ["<SCRIPT a>", "<ſcript>", "</styLe>", "<noscript>", "<Iframe", "x<script>"]
    lines += ["登录后评论", "请先登录再发表评论", "登入並參與評論", "a" * 61 + "已有1条评论"]
    lines += ["【网友评论】", "·上一篇：", "——副题", "首页>新闻", "\ue000\ue001", "\U000f0000"]
    return lines


def check_probes(diff: Differences) -> int:
    """The per-line tests on the made-up lines; the number of lines checked."""
    dec = decode._decoder()
    wording = headline.load().wording
    lines = probe_lines()
    for s in lines:
        core_text = line_core(s)
        if dec.line_core(s) != core_text:
            diff.add("line_core", "probe", s, dec.line_core(s))
        if dec.is_comment_section(core_text) != lexicon.is_comment_section(core_text):
            diff.add("is_comment_section", "probe", s, None)
        if dec.is_code_element(s) != ref.is_code_element(s):
            diff.add("is_code_element", "probe", s, None)
        if set(_core.headline.wording_tokens(s)) != headline.wording_tokens(s):
            diff.add("wording_tokens", "probe", s, None)
        if wording.core.score(s) != wording.score(s):
            diff.add("wording_score", "probe", s, None)
    # never_headline reads features too: one page of all the probes, no feature set.
    x = np.zeros((len(lines), len(ALL_NAMES)))
    python, got = ref.never_headline(x, lines), decode.never_headline(x, lines)
    for s, a, b in zip(lines, python, got):
        if a != b:
            diff.add("never_headline", "probe", s, b)
    return len(lines)


def same_decision(a: decode.PageDecision, b: decode.PageDecision) -> bool:
    return (
        a.labels == b.labels
        and a.title_rows == b.title_rows
        and a.section_header == b.section_header
        and a.dropped == b.dropped
        and np.array_equal(a.body_belief, b.body_belief)
        and np.array_equal(a.features, b.features)
    )


def check_path(
    path: str, pages: Sequence[train.Page], root: Path, diff: Differences
) -> dict[str, object]:
    """Every page of one path: its readings, its decision, its lines. Gives the counts."""
    html = path == "html"
    models = core._models(html)
    ranker = None if html else headline.load()
    shares = train.site_tables(pages, root) if path == "template" else {}
    counts = {"pages": 0, "readings": 0, "lines": 0, "dropped": 0, "headers": 0}
    times: dict[str, list[tuple[float, float]]] = {}
    for page in pages:
        if path == "template" and page.name not in shares:
            continue
        folded = [feature_text(s, DEFAULT.max_line_chars) for s in page.lines]
        template = np.asarray(shares[page.name]) if page.name in shares else None
        ref.READINGS = []
        want = ref.decide(folded, THRESHOLD, models, template, page.markup, ranker)
        readings, ref.READINGS = ref.READINGS, None
        got = decode.decide(folded, THRESHOLD, models, template, page.markup, ranker)
        if not same_decision(want, got):
            diff.add(
                f"{path}:decision",
                page.name,
                (want.labels, want.title_rows, want.section_header, want.dropped),
                (got.labels, got.title_rows, got.section_header, got.dropped),
            )
        times.setdefault(page.folder, []).append(check_readings(page.name, readings, ranker, diff))
        if path != "template":
            lines, x1 = readings[0][:2]  # the page without its blank lines
            counts["lines"] += check_lines(page.name, lines, x1, ranker, diff)
        if ranker is not None:
            check_candidates(page.name, readings, ranker, diff)
        counts["pages"] += 1
        counts["readings"] += len(readings)
        counts["dropped"] += len(want.dropped)
        counts["headers"] += want.section_header is not None
    print(f"{path}: {counts}", flush=True)
    for folder, pairs in times.items():
        py = [a for a, _ in pairs]
        rust = [b for _, b in pairs]
        print(
            f"  {folder}: post-belief decode per page (ms), mean/median: python "
            f"{1e3 * statistics.mean(py):.3f}/{1e3 * statistics.median(py):.3f}, core "
            f"{1e3 * statistics.mean(rust):.3f}/{1e3 * statistics.median(rust):.3f} "
            f"({statistics.mean(py) / statistics.mean(rust):.0f}x)",
            flush=True,
        )
    return counts


def _ref_off(name: str, value: object) -> contextlib.AbstractContextManager[object]:
    return mock.patch.object(ref, name, value)


# tools/audit_rules.py's variants: each switched off in the core (decode.RULES, or a
# constant of decode.py) and, as the tool did before the port, by patching the Python
# rules (here the reference's).
VARIANTS: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "no_text": (lambda: _ref_off("has_text", lambda s: bool(s)), lambda: audit._without("no_text")),
    "code_element": (
        lambda: _ref_off("is_code_element", lambda s: False),
        lambda: audit._without("code_element"),
    ),
    "fallback": (
        lambda: _ref_off("FALLBACK_MIN_PROB", 2.0),
        lambda: mock.patch.object(decode, "FALLBACK_MIN_PROB", 2.0),
    ),
    "never_headline": (
        lambda: _ref_off("never_headline", lambda x, f: [False] * len(f)),
        lambda: audit._without("never_headline"),
    ),
    "name_furniture": (
        lambda: _ref_off("name_furniture", lambda labels, *a: labels),
        lambda: audit._without("name_furniture"),
    ),
    "title_echoes": (
        lambda: _ref_off("drop_title_echoes", lambda labels, *a: labels),
        lambda: audit._without("title_echoes"),
    ),
    "close_sections": (
        lambda: _ref_off("close_sections", lambda labels, *a: (labels, None)),
        lambda: audit._without("close_sections"),
    ),
    "comment_sections": (
        lambda: mock.patch.object(lexicon, "is_comment_section", lambda s: False),
        lambda: audit._without("comment_sections"),
    ),
    "section_min_chars": (
        lambda: _ref_off("SECTION_HEADER_MIN_CHARS", 0),
        lambda: mock.patch.object(decode, "SECTION_HEADER_MIN_CHARS", 0),
    ),
    "refine": (
        lambda: _ref_off("REFINE_ROUNDS", 0),
        lambda: mock.patch.object(decode, "REFINE_ROUNDS", 0),
    ),
    "ranker_wording": (
        lambda: mock.patch.object(headline.Wording, "score", lambda self, folded: 0.0),
        lambda: audit._without("ranker_wording"),
    ),
}


def check_variants(pages: Sequence[train.Page], diff: Differences) -> dict[str, int]:
    """Each rule switched off, core against the patched Python rules (text path).

    Gives, per variant, the pages whose labels the switch changed (so that a
    switch that does nothing shows). A page's features and beliefs are
    computed once, for all variants.
    """
    models = core._models(False)
    ranker = headline.load()
    changed = dict.fromkeys(VARIANTS, 0)
    features_of: dict[tuple[str, ...], np.ndarray] = {}
    beliefs_of: dict[int, np.ndarray] = {}

    def page_features(lines: list[str], markup: object = None) -> np.ndarray:
        key = tuple(lines)
        if key not in features_of:
            features_of[key] = ref_features(lines, markup)
        return features_of[key]

    def beliefs(x1: np.ndarray, models: object) -> np.ndarray:
        if id(x1) not in beliefs_of:
            beliefs_of[id(x1)] = ref_beliefs(x1, models)
        return beliefs_of[id(x1)]

    ref_features, ref_beliefs = ref.page_features, ref.beliefs
    with contextlib.ExitStack() as stack:
        for module in (ref, decode):
            stack.enter_context(mock.patch.object(module, "page_features", page_features))
            stack.enter_context(mock.patch.object(module, "beliefs", beliefs))
        for page in pages:
            features_of.clear()
            beliefs_of.clear()
            folded = [feature_text(s, DEFAULT.max_line_chars) for s in page.lines]
            base = ref.decide(folded, THRESHOLD, models, None, None, ranker).labels
            for name, (python_off, core_off) in VARIANTS.items():
                with python_off():
                    want = ref.decide(folded, THRESHOLD, models, None, None, ranker)
                with core_off():
                    got = decode.decide(folded, THRESHOLD, models, None, None, ranker)
                if not same_decision(want, got):
                    diff.add(f"variant:{name}", page.name, want.labels, got.labels)
                changed[name] += want.labels != base
    print(f"variants: pages changed by each switch, of {len(pages)}: {changed}", flush=True)
    return changed


def check_seed(diff: Differences) -> None:
    """fixtures/seed.txt must come out as its gold, ../shared/fixtures/seed.tsv."""
    gold_path = train.ROOT.parent / "shared" / "fixtures" / "seed.tsv"
    if not gold_path.exists():
        gold_path = train.ROOT / "fixtures" / "seed.tsv"
    rows = [r.split("\t", 1) for r in gold_path.read_text(encoding="utf-8").split("\n") if r]
    doc = zhengwen.extract((train.ROOT / "fixtures" / "seed.txt").read_text(encoding="utf-8"))
    got = [(line.label.value, line.text) for line in doc.lines]
    if got != [(label, text) for label, text in rows]:
        diff.add("seed", str(gold_path), rows, got)
    print(f"seed: {len(got)} lines against {gold_path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=train.SHARED, help="the eval data's root")
    ap.add_argument("--sets", default=",".join(train.SETS))
    ap.add_argument(
        "--paths",
        default="text,html,template,variants",
        help="text, html, template (text with site shares), variants (rules switched off)",
    )
    args = ap.parse_args(argv)
    diff = Differences()
    sets = tuple(args.sets.split(","))
    print(f"probes: {check_probes(diff)} made-up lines", flush=True)
    text_pages = None
    for path in args.paths.split(","):
        train.HTML = path == "html"
        if path == "html":
            pages = train.load_pages(args.eval, sets)
        else:
            text_pages = text_pages or train.load_pages(args.eval, sets)
            pages = text_pages
        if path == "variants":
            check_variants(pages, diff)
        else:
            check_path(path, pages, args.eval, diff)
    train.HTML = False
    check_seed(diff)
    if diff:
        print(f"DIFFERENCES: {diff.count}")
        return 1
    print("no difference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
