#!/usr/bin/env python3
"""Audit the decoder's hand rules: each one switched off in turn, on a saved CV run.

Every rule after the two networks (``zhengwen.decode``, ``zhengwen.headline``)
is measured by what the site-grouped CV loses without it, on the dev pages
and on the train pages separately: a rule written for the dev pages that does
not help on the train pages (which no rule was written for) has not earned
its place. Each variant replaces one rule by "do nothing" (or a constant by
the value that turns it off) and decides every page again from the run's
fold models, as ``tools/redecide.py`` does, so a variant costs a replay, not
a CV run. Figures are score.py's; ``kind`` is the share of the dev pages'
non-body characters whose label is the gold kind (the train pages' kinds are
not known), which rules that only rename furniture move.

Usage::

    python tools/train.py --cv --keep-folds --pred out/cv
    python tools/audit_rules.py out/cv [--only close_sections,refine] [--html]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import redecide
import train

from zhengwen import decode, headline


def _without(rule: str) -> contextlib.AbstractContextManager[Any]:
    """The decoder with one of its rules switched off (``decode.RULES``)."""
    return mock.patch.object(decode, "RULES", decode.RULES - {rule})


@contextlib.contextmanager
def _no_wording() -> Iterator[None]:
    """The wording feature 0: in the ranker's fitting (Python) and in its use (the core)."""
    with (
        mock.patch.object(headline.Wording, "score", lambda self, folded: 0.0),
        _without("ranker_wording"),
    ):
        yield


# name -> (what the variant takes away, the patches that do it). The rules run
# in the compiled core, switched by decode.RULES; its constants are read at
# each call, so a patched constant takes effect there too.
VARIANTS: dict[str, tuple[str, Callable[[], contextlib.AbstractContextManager[Any]]]] = {
    "no_text": (
        "a line of icon glyphs alone is never body",
        lambda: _without("no_text"),
    ),
    "code_element": (
        "a script/style/iframe tag line is never body",
        lambda: _without("code_element"),
    ),
    "fallback": (
        "a page with no line at the threshold keeps its most body-like lines",
        lambda: mock.patch.object(decode, "FALLBACK_MIN_PROB", 2.0),
    ),
    "never_headline": (
        "forms that are never the headline",
        lambda: _without("never_headline"),
    ),
    "name_furniture": (
        "lexicon-named kinds for non-body lines",
        lambda: _without("name_furniture"),
    ),
    "title_echoes": (
        "body lines equal to the title are echoes",
        lambda: _without("title_echoes"),
    ),
    "close_sections": (
        "a section header below the article closes it",
        lambda: _without("close_sections"),
    ),
    "comment_sections": (
        "close_sections: reader-comment headers close the article",
        lambda: _without("comment_sections"),
    ),
    "section_min_chars": (
        "close_sections: two-character related headers close nothing",
        lambda: mock.patch.object(decode, "SECTION_HEADER_MIN_CHARS", 0),
    ),
    "refine": (
        "the body is re-read alone until stable",
        lambda: mock.patch.object(decode, "REFINE_ROUNDS", 0),
    ),
    "ranker": (
        "the headline ranker (else the most title-like line)",
        lambda: mock.patch.object(train, "fit_ranker", lambda pages, probs: None),
    ),
    "ranker_wording": (
        "ranker feature: the wording score",
        _no_wording,
    ),
}

FIGURES = ("body_f1_mean", "body_f1_p10", "junk_removed_mean", "title_accuracy")
SHORT = dict(zip(FIGURES, ("F1", "p10", "junk", "title")))


def kind_accuracy(pages: list[train.Page], pred: Path) -> float:
    """Share of the dev pages' non-body characters predicted with their gold kind."""
    right = total = 0
    for page in pages:
        if page.folder != "dev":
            continue
        rows = (pred / f"{page.name}.tsv").read_text(encoding="utf-8").split("\n")
        labels = [row.partition("\t")[0] for row in rows if row]
        for gold, got, text in zip(page.labels, labels, page.lines):
            if gold != "body":
                w = len("".join(text.split()))
                total += w
                right += w * (gold == got)
    return right / total if total else 1.0


def replay(
    root: Path, pages: list[train.Page], folds: list, oof: list[np.ndarray]
) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp)
        with contextlib.redirect_stdout(sys.stderr):
            train.decide_folds(pages, folds, oof, pred)
            reports = train.score(root, pages, pred)
        out = {g: {k: r[k] or 0.0 for k in FIGURES} for g, r in reports.items()}
        out.setdefault("dev", {})["kind"] = kind_accuracy(pages, pred)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path, help="the PRED folder of a --cv --keep-folds run")
    ap.add_argument("--eval", type=Path, default=train.SHARED, help="the eval data's root")
    ap.add_argument("--sets", default=",".join(train.SETS), help="as the run had them")
    ap.add_argument("--html", action="store_true", help="the run was an --html one")
    ap.add_argument("--only", help="comma-separated variants (default: all)")
    args = ap.parse_args(argv)
    train.HTML = args.html
    pages = train.load_pages(args.eval, tuple(args.sets.split(",")))
    folds = redecide.load_folds(args.run, pages)
    oof = [np.load(args.run / f"{p.name}.npy") for p in pages]
    names = args.only.split(",") if args.only else list(VARIANTS)
    base = replay(args.eval, pages, folds, oof)
    groups = [g for g in ("dev", "train", "all") if g in base]
    head = "  ".join(f"{g}:" + "/".join(SHORT[k] for k in FIGURES) for g in groups)
    print(f"{'variant':20} {head}  dev:kind")

    def row(name: str, got: dict[str, dict[str, float]], delta: bool) -> None:
        cells = []
        for g in groups:
            vals = [got[g][k] - (base[g][k] if delta else 0.0) for k in FIGURES]
            cells.append("/".join(f"{v:+.4f}" if delta else f"{v:.4f}" for v in vals))
        kind = got["dev"]["kind"] - (base["dev"]["kind"] if delta else 0.0)
        print(f"{name:20} {'  '.join(cells)}  {kind:{'+' if delta else ''}.4f}", flush=True)

    row("(all rules)", base, False)
    for name in names:
        what, patch = VARIANTS[name]
        with patch():
            got = replay(args.eval, pages, folds, oof)
        row(f"-{name}", got, True)
        print(f"{'':20} (without: {what})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
