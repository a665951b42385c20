#!/usr/bin/env python3
"""Train zhengwen's two line classifiers on the labelled dev pages, and measure them honestly.

The models are two LightGBM tree ensembles (pass one, and pass two over
pass one's beliefs), and they ship as they are (``--model gbt``, the default)
on both paths. ``--model distilled`` ships two small networks instead, each
learning the trees' beliefs as soft labels over a transfer set (the training
pages, their bodies alone, random windows of them and the unlabelled eval
pages): the text path shipped them until the core evaluated trees from leaf
masks (``rust/src/binned.rs``), when the trees, 0.021 of F1 and 0.079 of p10
ahead in CV over all pages, cost about a fifth more time than the networks
(``docs/accuracy.md``).

Reads ``../shared/eval/dev`` (gold line labels and ``sites.tsv``), computes the
package's own features (``zhengwen.features``, ``zhengwen.decode``), and:

* ``--cv`` (default on): site-grouped cross-validation. Pages are split into
  folds by site, so every page is predicted by models fitted without any page
  of its site; the second pass is trained on first-pass beliefs that are
  themselves out-of-fold (nested), so no belief it learns from has seen the
  page it is tested on. Writes the predictions as ``PRED/<page>.tsv`` and
  prints ``score.py``'s figures for them.
* ``--export``: fits both passes on all dev pages and writes
  ``src/zhengwen/model/pass1.json`` and ``pass2.json``, the models the package
  ships (``--html``: ``pass1-html.json`` and ``pass2-html.json``, which also
  read each line's HTML facts), and on the text path the headline ranker,
  ``title.json`` (``zhengwen.headline``). The ranker learns from out-of-fold
  beliefs: those of this run's ``--cv``, or else it fits the folds' models
  first, unless ``--beliefs PRED`` names an earlier ``--cv`` run's beliefs.
  With the ranker comes its wording model (token weights for
  ``headline.wording_tokens``), fitted on the candidates those beliefs pick.
  ``--export-title`` writes the ranker alone.

Needs the ``train`` extra (LightGBM, scikit-learn). Run with
``OPENBLAS_NUM_THREADS=1 ZHENGWEN_TRAIN_THREADS=1`` for results that repeat
exactly. Usage::

    python tools/train.py --cv --pred out/cv
    python tools/train.py --export
    python tools/train.py --cv --export-title --pred out/cv
    python tools/train.py --cv --html --model gbt --pred out/cv-html
    python tools/train.py --export --html --model gbt
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from zhengwen import decode, headline
from zhengwen.classify import FORMAT, MLP_FORMAT
from zhengwen.decode import CLASSES, STACK_NAMES, beliefs, stack_features
from zhengwen.features import ALL_NAMES, HTML_NAMES, Markup, page_features
from zhengwen.normalize import feature_text
from zhengwen.options import DEFAULT

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval"
MODEL_DIR = ROOT / "src" / "zhengwen" / "model"
FOLDS = 4
SEED = 20261124

# LightGBM settings: small trees (they are walked for every line at run time),
# few rounds at a high rate, and half the lines a tree (bagging), so that a CV
# over the dev and train pages fits CI's time; on the dev pages alone they cost
# 0.009 of CV F1 against 240/160 rounds at 0.05 on 80% of the lines (docs/accuracy.md).
PARAMS = {
    "objective": "multiclass",
    "num_class": len(CLASSES),
    "learning_rate": 0.1,
    "num_leaves": 15,
    "max_depth": 6,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.5,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "max_bin": 63,
    "verbose": -1,
    "num_threads": int(os.environ.get("ZHENGWEN_TRAIN_THREADS", "2")),
    "seed": SEED,
    "deterministic": True,
}
ROUNDS = (120, 80)  # pass one, pass two
AUGMENT_WEIGHT = 0.5  # weight of a body-only copy of a page relative to the page


@dataclass
class Page:
    name: str
    site: str
    lines: list[str]
    labels: list[str]
    x1: np.ndarray  # base + context features (+ HTML features with --html)
    markup: Markup | None = None
    folder: str = "dev"  # the eval folder the page comes from (SETS), "seed" for the seed


def folded_lines(lines: Sequence[str]) -> list[str]:
    """Lines as the features read them (``feature_text`` at the default length)."""
    return [feature_text(s, DEFAULT.max_line_chars) for s in lines]


def made_page(
    name: str,
    site: str,
    lines: list[str],
    labels: list[str],
    markup: Markup | None = None,
    folder: str = "dev",
    folded: list[str] | None = None,
) -> Page:
    """A page with its features computed from its lines (``folded``, when already at hand)."""
    folded = folded_lines(lines) if folded is None else folded
    return Page(name, site, lines, labels, page_features(folded, markup), markup, folder)


def read_page(
    path: Path, name: str, site: str, html: Path | None = None, folder: str = "dev"
) -> Page:
    """A labelled page from a ``LABEL<TAB>TEXT`` file, with its features.

    With ``html``, the page's HTML facts are aligned onto its lines and their
    features added (lines the HTML reader does not reproduce get none).
    """
    labels, lines = [], []
    for row in path.read_text(encoding="utf-8").split("\n"):
        if row:
            label, _, text = row.partition("\t")
            labels.append(label)
            lines.append(text)
    folded = folded_lines(lines)
    markup = None if html is None else aligned_markup(html.read_bytes(), folded)
    return made_page(name, site, lines, labels, markup, folder, folded)


def aligned_markup(data: bytes, folded: list[str]) -> Markup:
    """``zhengwen.html``'s facts for each of ``folded`` (the gold lines), matched in order."""
    import difflib

    from zhengwen.html import html_to_page

    page = html_to_page(data)
    ours = folded_lines(page.lines)
    link = [0] * len(folded)
    block = [""] * len(folded)
    matcher = difflib.SequenceMatcher(None, ours, folded, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for j in range(size):
            link[b + j] = page.link_chars[a + j]
            block[b + j] = page.block[a + j]
    return Markup(link, block, page.title, page.h1)


HTML = False  # --html: train and measure the HTML path's models


# The labelled folders of ../shared/eval: the reviewed dev pages, and the train
# pages with silver labels (body and title hold; junk kinds are mostly "other").
SETS = ("dev", "train")


def read_sites(path: Path) -> dict[str, str]:
    """A folder's ``sites.tsv``: page name -> site."""
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return {page: site for page, site, *_ in (row.split("\t") for row in rows if row)}


def load_pages(root: Path, sets: Sequence[str] = SETS) -> list[Page]:
    """The labelled pages of the eval folders ``sets`` under ``root``, with their sites,
    and the seed page (its site is its own).

    A site is one name across folders (``sina`` in dev and in train is one
    site), so site-grouped folds keep it whole. With --html, every page with
    its HTML, and no seed (it has none).
    """
    pages = []
    for folder in sets:
        base = root / folder
        sites = read_sites(base / "sites.tsv")
        pages.extend(
            read_page(
                p,
                p.stem,
                sites[p.stem],
                base / "html" / f"{p.stem}.html" if HTML else None,
                folder,
            )
            for p in sorted((base / "gold").glob("*.tsv"))
        )
    if not HTML:
        pages.append(read_page(ROOT / "fixtures" / "seed.tsv", "seed", "seed", folder="seed"))
    return pages


def weights(page: Page) -> np.ndarray:
    """Per-line training weight: longer lines count more, every page counts alike."""
    w = np.sqrt(1.0 + page.x1[:, 0])  # column 0 is "chars"
    return w / w.sum() * 100.0


def body_only(page: Page) -> Page:
    """The page's gold body alone, every line body: what ``clean`` gives back.

    Training on these teaches the models that a page with no furniture is all
    article, so re-reading a body (``decode.decide``) keeps it, and a user
    who pipes already-clean text gets it back whole.
    """
    return sub_page(page, [i for i, lab in enumerate(page.labels) if lab == "body"], "+body")


class _Network:
    """A one-hidden-layer network over squashed, standardised features."""

    def _fit(self, kind: str, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        from sklearn import neural_network
        from sklearn.exceptions import ConvergenceWarning

        z = squash(x)
        self.mean = z.mean(axis=0)
        self.scale = z.std(axis=0) + 1e-6
        self.net = getattr(neural_network, kind)(
            hidden_layer_sizes=HIDDEN,
            alpha=MLP_ALPHA,
            max_iter=MLP_EPOCHS,
            random_state=SEED,
            batch_size=MLP_BATCH,
            learning_rate_init=1e-3,
        )
        with warnings.catch_warnings():
            # A fixed number of epochs, chosen by CV, not convergence.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.net.fit(self._inputs(x), y, sample_weight=w)

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        # float32: the network is fitted (and so exported) in single precision,
        # which halves the cost of its fit; its beliefs are read in double.
        return ((squash(x) - self.mean) / self.scale).astype(np.float32)


class MLP(_Network):
    """A network classifier trained on the gold labels (``--model mlp``)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        self._fit("MLPClassifier", x, y, w)

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros((x.shape[0], len(CLASSES)))
        out[:, self.net.classes_] = self.net.predict_proba(self._inputs(x))
        return out


class Student(_Network):
    """A network that imitates a teacher's beliefs (distillation, ``--model distilled``).

    Trained with the teacher's beliefs as soft labels: every line becomes one
    row per class the teacher gives at least SOFT_MIN, weighted by that
    belief, so the classifier's log-loss is the cross-entropy to the
    teacher. At run time it costs two matrix products instead of thousands
    of tree walks.
    """

    def __init__(self, x: np.ndarray, teacher: np.ndarray, w: np.ndarray) -> None:
        soft = np.where(teacher >= SOFT_MIN, teacher, 0.0)
        soft /= soft.sum(axis=1, keepdims=True)
        rows, classes = np.nonzero(soft)
        self._fit("MLPClassifier", x[rows], classes, w[rows] * soft[rows, classes])

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros((x.shape[0], len(CLASSES)))
        out[:, self.net.classes_] = self.net.predict_proba(self._inputs(x))
        return out


SOFT_MIN = 0.02  # teacher beliefs below this are left out of the soft labels
CROPS = 2  # random windows of each training page added to the transfer set


def transfer_set(train: list[Page]) -> list[Page]:
    """Pages the teacher labels for the student: the training pages, their bodies
    alone, random windows of them, and the unlabelled pages of the eval set.

    The windows and the unlabelled pages are inputs the teacher was not fitted
    on, where its beliefs carry what it learned rather than the gold labels.
    """
    rng = np.random.default_rng(SEED)
    pool = with_augmented(train)
    for page in train:
        n = len(page.lines)
        for _ in range(CROPS if n >= 20 else 0):
            size = int(rng.integers(n * 3 // 10, n * 8 // 10 + 1))
            start = int(rng.integers(0, n - size + 1))
            rows = list(range(start, start + size))
            pool.append(sub_page(page, rows, f"+crop{start}"))
    # Unlabelled pages of a site held out of ``train`` stay out, as its dev pages do.
    held_out = DEV_SITES - {p.site for p in train}
    pool.extend(p for p in UNLABELED if p.site not in held_out)
    return pool


def sub_page(page: Page, rows: list[int], suffix: str) -> Page:
    """The lines ``rows`` of a page read as a page of their own."""
    lines = [page.lines[i] for i in rows]
    markup = None if page.markup is None else page.markup.subset(rows)
    labels = [page.labels[i] for i in rows]
    return made_page(page.name + suffix, page.site, lines, labels, markup, page.folder)


UNLABELED: list[Page] = []  # filled by main() for --model distilled (text path only)
DEV_SITES: set[str] = set()


def load_unlabeled(root: Path) -> list[Page]:
    """The unlabelled pages, each with its site as the dev set names it.

    ``163.com/*`` is site ``163``; ``gne-pages/gne-<site>-…`` is ``<site>``.
    """
    pages = []
    for path in sorted(root.glob("*/*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        site = "163" if path.parent.name == "163.com" else path.stem.split("-")[1]
        pages.append(made_page(path.stem + "+unlabeled", site, lines, []))
    return pages


def distill(teacher: tuple, train: list[Page]) -> tuple[Student, Any]:
    """Students for both passes; pass two reads the pass-one student's beliefs.

    ``--model hybrid``: a student for pass one alone, and pass two keeps its trees.
    """
    pool = transfer_set(train)
    w = np.concatenate([weights(p) for p in pool])
    w = w / w.mean()
    x1 = np.vstack([p.x1 for p in pool])
    # Every model reads the whole pool at once: a call a page costs more in
    # LightGBM's set-up than in its trees.
    t1 = teacher[0].predict(x1)
    t2 = teacher[1].predict(np.vstack([x2(p, b) for p, b in zip(pool, by_page(pool, t1))]))
    # The students learn from a sample of the pool's lines (each line's features
    # were computed on its whole page): lines of one page say much the same, and
    # the students' cost grows with the lines they read.
    rows = np.random.default_rng(SEED).permutation(len(w))[:STUDENT_MAX_LINES]
    rows.sort()
    s1 = Student(x1[rows], t1[rows], w[rows])
    if MODEL_KIND == "hybrid":
        return s1, teacher[1]
    x2s = np.vstack([x2(p, b) for p, b in zip(pool, by_page(pool, s1.predict(x1)))])
    return s1, Student(x2s[rows], t2[rows], w[rows])


def by_page(pages: Sequence[Page], rows: np.ndarray) -> list[np.ndarray]:
    """``rows`` (the pages' lines stacked in order) cut back into one block a page."""
    return np.split(rows, np.cumsum([p.x1.shape[0] for p in pages])[:-1])


def squash(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


# What ships: "gbt", the trees (both paths); "distilled", networks learnt from the
# trees' beliefs (the text path's until 2026-12-08); "hybrid", a student for pass
# one and trees for pass two; "mlp" learns from labels.
MODEL_KIND = "gbt"
HIDDEN = (128,)
MLP_ALPHA = 1e-3
MLP_EPOCHS = 20
MLP_BATCH = 512  # lines a gradient step
STUDENT_MAX_LINES = 150_000  # lines of the distillation pool the students learn from


def fit(xs: list[np.ndarray], pages: Sequence[Page], rounds: int):
    """One pass's classifier: LightGBM trees (the teacher) or, with --model mlp, a network."""
    x = np.vstack(xs)
    y = np.concatenate([[CLASSES.index(lab) for lab in p.labels] for p in pages])
    w = np.concatenate([weights(p) * (AUGMENT_WEIGHT if "+" in p.name else 1.0) for p in pages])
    if MODEL_KIND == "mlp":
        return MLP(x, y, w / w.mean())
    return lgb.train(PARAMS, lgb.Dataset(x, y, weight=w), num_boost_round=rounds)


def with_augmented(pages: Sequence[Page]) -> list[Page]:
    """``pages``, each page's body alone (``body_only``) and its broken-up copies
    (``fragmented``): the augmented pages every model is fitted on."""
    out = list(pages) + [body_only(p) for p in pages if "body" in p.labels]
    for k in range(FRAGMENTS):
        out.extend(fragmented(p, k) for p in pages if p.markup is None and "body" in p.labels)
    return out


FRAGMENTS = 0  # broken-up copies of each text page (--param fragments=N)
FRAGMENT_SHARE = 0.5  # share of a copy's body lines (of MIN_BROKEN chars or more) broken up
MIN_BROKEN = 12  # characters a body line needs to be broken up
SPAN = (2, 12)  # characters of an inline link's (bold, code) text, fewest and most
SPANS_MAX = 3  # inline spans in a broken line, most


def fragmented(page: Page, k: int) -> Page:
    """The page as a scraper gives it when inline links, bold or code spans break its
    sentences: in ``FRAGMENT_SHARE`` of its body lines, one to ``SPANS_MAX`` short spans
    (a link's text) become lines of their own, and so do the parts between them; every
    part keeps the line's label. Seeded by the page's name, so a page is broken the same
    way in every fold.
    """
    rng = np.random.default_rng([SEED, zlib.crc32(page.name.encode()), k])
    lines: list[str] = []
    labels: list[str] = []
    for line, label in zip(page.lines, page.labels):
        n = len(line)
        if label != "body" or n < MIN_BROKEN or rng.random() >= FRAGMENT_SHARE:
            lines.append(line)
            labels.append(label)
            continue
        cuts = set()
        for _ in range(int(rng.integers(1, SPANS_MAX + 1))):
            width = int(rng.integers(SPAN[0], min(SPAN[1], n - 2) + 1))
            start = int(rng.integers(1, n - width))
            cuts.update((start, start + width))
        bounds = [0, *sorted(cuts), n]
        parts = [line[a:b].strip() for a, b in pairwise(bounds)]
        parts = [part for part in parts if part]
        lines.extend(parts)
        labels.extend([label] * len(parts))
    return made_page(f"{page.name}+frag{k}", page.site, lines, labels, None, page.folder)


SILVER = "train"  # the eval folder whose junk lines are all "other": their kind is unknown
KINDS = True  # give those lines the kind a model of the other pages believes (--param kinds=0: not)


def kinds_model(pages: Sequence[Page]) -> lgb.Booster | None:
    """A pass-one model of the pages whose junk kinds are known (not ``SILVER``), or None."""
    known = with_augmented([p for p in pages if p.folder != SILVER])
    return fit([p.x1 for p in known], known, ROUNDS[0]) if KINDS and known else None


def with_kinds(pages: Sequence[Page], model: lgb.Booster | None) -> list[Page]:
    """``pages`` with each silver page's ``other`` lines labelled with their likeliest
    junk kind by ``model`` (``kinds_model``): body and title are kept as they are.

    Trained as they come, the silver pages teach that a menu or a related list
    is ``other`` (their junk lines are all ``other``), and the kind of most
    junk lines comes out ``other``: on the dev pages in CV, the share of junk
    characters given their gold kind fell from 0.61 to 0.28 (docs/accuracy.md).
    """
    silver = [p for p in pages if p.folder == SILVER and "other" in p.labels]
    if model is None or not silver:
        return list(pages)
    junk = np.array([i for i, c in enumerate(CLASSES) if c not in ("body", "title")])
    beliefs_of = by_page(silver, model.predict(np.vstack([p.x1 for p in silver])))
    kinds = {
        p.name: [CLASSES[k] for k in junk[b[:, junk].argmax(axis=1)]]
        for p, b in zip(silver, beliefs_of)
    }
    return [
        replace(p, labels=[k if lab == "other" else lab for lab, k in zip(p.labels, kinds[p.name])])
        if p.name in kinds
        else p
        for p in pages
    ]


def site_folds(pages: Sequence[Page], k: int) -> list[list[int]]:
    """Page indices split into k folds, whole sites at a time, balanced by line count."""
    by_site: dict[str, list[int]] = {}
    for i, p in enumerate(pages):
        by_site.setdefault(p.site, []).append(i)
    rng = np.random.default_rng(SEED)
    order = sorted(by_site, key=lambda s: (-sum(len(pages[i].lines) for i in by_site[s]), s))
    rng.shuffle(order[len(order) // 4 :])  # big sites spread first, the rest at random
    folds: list[list[int]] = [[] for _ in range(k)]
    load = [0] * k
    for s in order:
        j = int(np.argmin(load))
        folds[j].extend(by_site[s])
        load[j] += sum(len(pages[i].lines) for i in by_site[s])
    return folds


def oof_pass1(pages: Sequence[Page], k: int) -> list[np.ndarray]:
    """First-pass beliefs for every page from models fitted without its site."""
    out: list[np.ndarray] = [np.empty(0)] * len(pages)
    for fold in site_folds(pages, k):
        held = set(fold)
        train = [p for i, p in enumerate(pages) if i not in held]
        model = fit([p.x1 for p in train], train, ROUNDS[0])
        held_pages = [pages[i] for i in fold]  # one call for the fold, as in fold_models
        found = by_page(held_pages, model.predict(np.vstack([p.x1 for p in held_pages])))
        for i, b in zip(fold, found):
            out[i] = b
    return out


def fit_both(train: list[Page], k: int) -> tuple[lgb.Booster, lgb.Booster]:
    """Both passes on ``train``; pass two learns from out-of-fold pass-one beliefs."""
    augmented = with_augmented(with_kinds(train, kinds_model(train)))
    inner = oof_pass1(augmented, k)
    m1 = fit([p.x1 for p in augmented], augmented, ROUNDS[0])
    m2 = fit([x2(p, pr) for p, pr in zip(augmented, inner)], augmented, ROUNDS[1])
    return m1, m2


def x2(page: Page, probs: np.ndarray) -> np.ndarray:
    return np.hstack((page.x1, stack_features(page.x1, probs)))


def site_tables(pages: Sequence[Page], root: Path) -> dict[str, list[float]]:
    """Site-template shares for every labelled page whose site has enough other pages.

    A site's table holds its labelled pages' texts, and for site ``163`` also the
    unlabelled pages of ``unlabeled/163.com`` (the same site, no labels).
    """
    from zhengwen.site import SiteTemplates

    table = SiteTemplates()
    for p in pages:
        table.add(p.site, "\n".join(p.lines))
    for path in sorted((root / "unlabeled" / "163.com").glob("*.txt")):
        table.add("163", path.read_text(encoding="utf-8"))
    out = {}
    for p in pages:
        shares = table.shares(p.site, "\n".join(p.lines))
        if shares is not None:
            out[p.name] = shares
    return out


TEMPLATES: dict[str, list[float]] = {}  # page name -> shares, with --template


def fold_models(pages: Sequence[Page], k: int) -> list[tuple[list[int], tuple]]:
    """Each site-grouped fold's pages, with both passes fitted without them.

    Pass two learns from pass-one beliefs that are out of fold twice over: a
    training page's belief comes from a pass-one model fitted without the
    held-out fold and without the page's own fold. Such a model serves both
    folds of its pair, so a CV fits k(k-1)/2 of them where a CV nested in
    each fold would fit k·k (see fit_both, which export uses). Needs k ≥ 3.
    """
    if k < 3:
        raise ValueError(f"site-grouped CV needs at least 3 folds, got {k}")
    folds = site_folds(pages, k)
    fold_of = {i: f for f, fold in enumerate(folds) for i in fold}
    home = {p.name: fold_of[i] for i, p in enumerate(pages)}

    def without(excluded: set[int]) -> list[Page]:
        """The pages outside folds ``excluded``, the silver ones' kinds from those pages,
        and the body of each alone."""
        kept = [p for i, p in enumerate(pages) if fold_of[i] not in excluded]
        return with_augmented(with_kinds(kept, kinds_model(kept)))

    t0 = time.time()
    pair = {}
    for f in range(k):
        for g in range(f + 1, k):
            train = without({f, g})
            pair[f, g] = pair[g, f] = fit([p.x1 for p in train], train, ROUNDS[0])
    took = time.time() - t0
    print(f"{len(pair) // 2} pass-one models of fold pairs: {took:.0f}s", file=sys.stderr)
    out = []
    for f, fold in enumerate(folds):
        t0 = time.time()
        augmented = without({f})
        # A training page's pass-one beliefs come from the model of its fold's pair.
        inner: list[np.ndarray] = [np.empty(0)] * len(augmented)
        for g in (g for g in range(k) if g != f):
            rows = [j for j, p in enumerate(augmented) if home[p.name.partition("+")[0]] == g]
            held = [augmented[j] for j in rows]
            found = by_page(held, pair[f, g].predict(np.vstack([p.x1 for p in held])))
            for j, b in zip(rows, found):
                inner[j] = b
        m1 = fit([p.x1 for p in augmented], augmented, ROUNDS[0])
        m2 = fit([x2(p, pr) for p, pr in zip(augmented, inner)], augmented, ROUNDS[1])
        if MODEL_KIND in ("distilled", "hybrid"):
            m1, m2 = distill((m1, m2), [p for i, p in enumerate(pages) if fold_of[i] != f])
        out.append((fold, (m1, m2)))
        print(f"fold {f}: {len(fold)} pages, {time.time() - t0:.0f}s", file=sys.stderr)
    return out


def oof_beliefs(pages: Sequence[Page], folds: list[tuple[list[int], tuple]]) -> list[np.ndarray]:
    """Pass-two beliefs for every page from its fold's models (fitted without its site)."""
    out: list[np.ndarray] = [np.empty(0)] * len(pages)
    for fold, models in folds:
        for i in fold:
            out[i] = beliefs(pages[i].x1, models)
    return out


def cross_validate(pages: list[Page], pred: Path, k: int) -> list[np.ndarray]:
    """Every page decided by models (and a headline ranker) fitted without its site.

    The ranker learns from the other folds' out-of-fold beliefs, so it is
    fitted once every fold's models have given theirs. Gives those beliefs.
    """
    pred.mkdir(parents=True, exist_ok=True)
    folds = fold_models(pages, k)
    if KEEP_FOLDS:
        keep_folds(pages, folds, pred / "folds")
    oof = oof_beliefs(pages, folds)
    for page, p in zip(pages, oof):
        np.save(pred / f"{page.name}.npy", p)
    decide_folds(pages, folds, oof, pred)
    return oof


def decide_folds(
    pages: Sequence[Page], folds: list[tuple[list[int], tuple]], oof: list[np.ndarray], pred: Path
) -> None:
    """Each fold's pages decided by its models, with a ranker fitted on the other folds' beliefs."""
    for fold, models in folds:
        held = set(fold)
        ranker = None
        if not HTML:
            others = [i for i in range(len(pages)) if i not in held]
            ranker = fit_ranker([pages[i] for i in others], [oof[i] for i in others])
        for i in fold:
            page = pages[i]
            labels = decide(page, models, ranker)
            rows = "".join(f"{lab}\t{text}\n" for lab, text in zip(labels, page.lines))
            (pred / f"{page.name}.tsv").write_text(rows, encoding="utf-8")
            if page.name in TEMPLATES:
                for with_template, sub in ((False, "without"), (True, "with")):
                    labels = decide(page, models, ranker, with_template)
                    rows = "".join(f"{lab}\t{text}\n" for lab, text in zip(labels, page.lines))
                    out = pred / "site-template" / sub
                    out.mkdir(parents=True, exist_ok=True)
                    (out / f"{page.name}.tsv").write_text(rows, encoding="utf-8")


KEEP_FOLDS = False  # --keep-folds


def keep_folds(pages: Sequence[Page], folds: list[tuple[list[int], tuple]], out: Path) -> None:
    """Each fold's two models in the package's JSON format, and the pages they did not see.

    ``tools/redecide.py`` decides the pages again from these without training:
    a decoder or ranker experiment then takes seconds instead of a CV run.
    """
    names = ALL_NAMES + HTML_NAMES if HTML else ALL_NAMES
    for f, (fold, (m1, m2)) in enumerate(folds):
        where = out / str(f)
        export(m1, names, where / "pass1.json")
        export(m2, names + STACK_NAMES, where / "pass2.json")
        held = [pages[i].name for i in fold]
        (where / "pages.json").write_text(json.dumps(held, ensure_ascii=False), encoding="utf-8")


RANKER_C = 1.0  # inverse L2 strength of the headline ranker, chosen by site-grouped CV
# inverse L2 strength of the wording score: CV titles alike from 0.005 to 0.1, fewer at 0.3
WORDING_C = 0.05
WORDING_MIN_ROWS = 2  # a token is weighed when this many candidate lines have it
RANKER_INNER_FOLDS = 5  # site folds giving the ranker's own pages out-of-fold wording scores


def candidate_lines(
    page: Page, p: np.ndarray
) -> tuple[list[str], np.ndarray, list[bool], list[int]]:
    """A page's folded lines, title beliefs, body lines and candidates, as decode has them."""
    folded = folded_lines(page.lines)
    belief = decode.title_belief(p, decode.never_headline(page.x1, folded))
    body = [bool(v >= DEFAULT.threshold) for v in p[:, decode.BODY]]
    return folded, belief, body, headline.candidates(belief)


def fit_wording(tokens: Sequence[set[str]], gold: Sequence[bool]) -> headline.Wording:
    """The wording score's token weights and bias (``headline.wording_tokens``).

    A logistic model of "this candidate is the gold title" over the tokens of
    headline candidates (``tokens``, one set a candidate line; ``gold``: is it
    the title). Tokens on fewer than ``WORDING_MIN_ROWS`` lines are not weighed.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectors = CountVectorizer(analyzer=sorted, min_df=WORDING_MIN_ROWS, binary=True)
    x = vectors.fit_transform(tokens)
    model = LogisticRegression(C=WORDING_C, max_iter=3000).fit(x, np.asarray(gold))
    names = vectors.get_feature_names_out().tolist()
    weights = {t: round(float(w), 6) for t, w in zip(names, model.coef_[0])}
    return headline.Wording(weights, round(float(model.intercept_[0]), 6))


def fit_ranker(pages: Sequence[Page], probs: Sequence[np.ndarray]) -> headline.Ranker:
    """The headline ranker (``zhengwen.headline``) fitted on pages' out-of-fold beliefs.

    Each page's candidates are rows; the gold title lines are the positives.
    Beliefs must be out-of-fold: in-sample, the title belief alone is nearly
    always right, and the ranker would learn nothing else. So must the wording
    scores it learns from: each page's come from a wording model fitted on the
    other sites among ``pages`` (``RANKER_INNER_FOLDS`` folds); the wording the
    ranker ships with is fitted on them all.
    """
    from sklearn.linear_model import LogisticRegression

    titled = [i for i, page in enumerate(pages) if "title" in page.labels]
    lines = {i: candidate_lines(pages[i], probs[i]) for i in titled}
    tokens = {i: [headline.wording_tokens(lines[i][0][r]) for r in lines[i][3]] for i in titled}
    gold = {i: [pages[i].labels[r] == "title" for r in lines[i][3]] for i in titled}

    def wording_from(rows: Sequence[int]) -> headline.Wording:
        return fit_wording([t for i in rows for t in tokens[i]], [g for i in rows for g in gold[i]])

    xs, ys = [], []
    for fold in site_folds(pages, RANKER_INNER_FOLDS):
        held = set(fold)
        wording = wording_from([i for i in titled if i not in held])
        for i in (i for i in fold if i in lines):
            folded, belief, body, rows = lines[i]
            meta = probs[i][:, decode.META]
            xs.append(headline.candidate_features(rows, belief, meta, body, folded, wording))
            ys.extend(gold[i])
    x = np.vstack(xs)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=RANKER_C, max_iter=2000)
    model.fit((x - mean) / scale, np.asarray(ys))
    coef = model.coef_[0].astype(np.float64)
    return headline.Ranker(headline.NAMES, mean, scale, coef, wording_from(titled))


def decide(
    page: Page,
    models: tuple[lgb.Booster, lgb.Booster],
    ranker: headline.Ranker | None,
    with_template: bool = False,
) -> list[str]:
    """The package's own decision step (``zhengwen.decode.decide``), for CV scoring."""
    folded = folded_lines(page.lines)
    shares = np.asarray(TEMPLATES[page.name]) if with_template else None
    decision = decode.decide(folded, DEFAULT.threshold, models, shares, page.markup, ranker)
    return [lab.value for lab in decision.labels]


def link_gold(root: Path, names: Sequence[str], out: Path) -> Path:
    """A gold folder ``out`` holding links to the gold files of pages ``names``, whatever
    eval folder each comes from, so that score.py scores them as one set."""
    out.mkdir(parents=True, exist_ok=True)
    where = {p.stem: p for folder in SETS for p in (root / folder / "gold").glob("*.tsv")}
    for name in names:
        link = out / f"{name}.tsv"
        if not link.exists():
            link.symlink_to(where[name])
    return out


def score_template(root: Path, out: Path) -> None:
    """score.py on the site-template pages alone, decided without and with the template."""
    gold = link_gold(root, [path.stem for path in (out / "with").glob("*.tsv")], out / "gold")
    for sub in ("without", "with"):
        print(f"site template: {sub}", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(root / "score.py"), str(gold), str(out / sub)], check=True
        )


def score(root: Path, pages: Sequence[Page], pred: Path) -> dict[str, dict]:
    """score.py's figures for the predictions in ``pred``, for each eval folder the pages
    come from and, when there are several, for all of them together ("all").

    Each is printed under its name and kept in ``pred/score-<name>.json``. The
    seed page is not scored (it has no eval folder).
    """
    groups: dict[str, list[str]] = {}
    for page in pages:
        if page.folder in SETS:
            groups.setdefault(page.folder, []).append(page.name)
    if len(groups) > 1:
        groups["all"] = [name for names in groups.values() for name in names]
    reports = {}
    for group, names in groups.items():
        gold = root / group / "gold" if group in SETS else link_gold(root, names, pred / "gold-all")
        report = pred / f"score-{group}.json"
        print(f"== {group}: {len(names)} pages ==", flush=True)
        subprocess.run(
            [sys.executable, str(root / "score.py"), str(gold), str(pred), "--json", str(report)],
            check=True,
            stdout=sys.stdout,  # where this process's own output goes (audit_rules.py moves it)
        )
        reports[group] = json.loads(report.read_text(encoding="utf-8"))
    return reports


def check_floors(reports: dict[str, dict], floors: dict[str, dict[str, float]]) -> list[str]:
    """The figures below their floors, as readable lines; each floor names its group
    (``all``, ``dev``, ``train``), and a group the run did not score is an error."""
    below = []
    for group, figures in floors.items():
        if group not in reports:
            below.append(f"{group}: not scored in this run (scored: {sorted(reports)})")
            continue
        for key, floor in figures.items():
            got = reports[group][key]
            if got < floor:
                below.append(f"{group} {key}: {got:.4f} < floor {floor}")
    return below


def export_mlp(model: MLP | Student, names: Sequence[str], path: Path) -> None:
    """Write a network (classifier or distilled student) as the package's JSON format."""
    classes = getattr(model.net, "classes_", np.arange(len(CLASSES)))
    if list(classes) != list(range(len(CLASSES))):
        raise ValueError("every class must be present in the training data")
    data = {
        "format": MLP_FORMAT,
        "classes": list(CLASSES),
        "features": list(names),
        "mean": [round(v, 6) for v in model.mean.tolist()],
        "scale": [round(v, 6) for v in model.scale.tolist()],
        "layers": [
            {"weights": np.round(w, 6).tolist(), "bias": np.round(b, 6).tolist()}
            for w, b in zip(model.net.coefs_, model.net.intercepts_)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {path} (network {HIDDEN})", file=sys.stderr)


def flatten_tree(root: dict) -> dict:
    """One LightGBM tree as flat arrays; leaf j is referred to as ``-1 - j``."""
    out: dict = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}

    def walk(node: dict, depth: int) -> tuple[int, int]:
        if "split_index" not in node:
            out["value"].append(node.get("leaf_value", 0.0))
            return -len(out["value"]), depth
        if node["decision_type"] != "<=":
            raise ValueError(f"unsupported split {node['decision_type']}")
        me = len(out["feature"])
        out["feature"].append(node["split_feature"])
        out["threshold"].append(node["threshold"])
        out["left"].append(0)
        out["right"].append(0)
        lref, ldepth = walk(node["left_child"], depth + 1)
        rref, rdepth = walk(node["right_child"], depth + 1)
        out["left"][me], out["right"][me] = lref, rref
        return me, max(ldepth, rdepth)

    _, out["depth"] = walk(root, 0)
    return out


def export(booster, names: Sequence[str], path: Path) -> None:
    if isinstance(booster, (MLP, Student)):
        return export_mlp(booster, names, path)
    """Write a LightGBM multiclass booster as the package's JSON tree format."""
    dump = booster.dump_model()
    trees = [
        {"class": i % len(CLASSES), **flatten_tree(info["tree_structure"])}
        for i, info in enumerate(dump["tree_info"])
    ]
    data = {
        "format": FORMAT,
        "classes": list(CLASSES),
        "features": list(names),
        "trees": trees,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {path} ({len(trees)} trees)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--eval",
        type=Path,
        default=SHARED,
        help="the eval data's root (default ../shared/eval): its dev/ and train/ folders",
    )
    ap.add_argument(
        "--sets",
        default=",".join(SETS),
        help="the labelled folders to train and measure on, comma-separated (default: "
        f"{','.join(SETS)}); figures are reported for each and for all together",
    )
    ap.add_argument("--cv", action="store_true", help="site-grouped cross-validation")
    ap.add_argument("--pred", type=Path, default=ROOT / "out" / "cv")
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--export", action="store_true", help="fit on all dev pages, write the models")
    ap.add_argument(
        "--model-dir",
        type=Path,
        default=MODEL_DIR,
        help=f"where --export writes (default: the package's, {MODEL_DIR.relative_to(ROOT)})",
    )
    ap.add_argument(
        "--check",
        type=Path,
        metavar="FLOORS",
        help="with --cv: exit 1 when a figure falls below the floors in this JSON file",
    )
    ap.add_argument(
        "--template",
        action="store_true",
        help="with --cv: also decide the pages of sites with enough pages with and without "
        "site-template evidence, into PRED/site-template/{with,without}, and score both",
    )
    ap.add_argument(
        "--html",
        action="store_true",
        help="the HTML path: pages read with their dev/html facts; --export writes "
        "pass1-html.json and pass2-html.json",
    )
    ap.add_argument(
        "--export-title",
        action="store_true",
        help="fit the headline ranker on out-of-fold beliefs (this run's --cv, or fitted "
        "anew) and write title.json; --export includes it on the text path",
    )
    ap.add_argument(
        "--beliefs",
        type=Path,
        metavar="PRED",
        help="with --export or --export-title and no --cv: the out-of-fold beliefs for the "
        "ranker are PRED/<page>.npy, as an earlier --cv run with the same code wrote them",
    )
    ap.add_argument(
        "--keep-folds",
        action="store_true",
        help="with --cv: write each fold's models (package JSON) and held-out pages to "
        "PRED/folds/<k>/, for tools/redecide.py",
    )
    ap.add_argument("--model", choices=("gbt", "mlp", "distilled", "hybrid"), default=MODEL_KIND)
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a LightGBM parameter (or rounds1/rounds2, mlp_epochs, mlp_batch, crops, "
        "student_max_lines, kinds, fragments, fragment_share) "
        "for an experiment",
    )
    args = ap.parse_args(argv)
    globals()["MODEL_KIND"] = args.model
    globals()["HTML"] = args.html
    globals()["KEEP_FOLDS"] = args.keep_folds
    sets = tuple(s for s in args.sets.split(",") if s)
    unknown = set(sets) - set(SETS)
    if unknown or not sets:
        ap.error(f"--sets takes some of {','.join(SETS)}, got {args.sets!r}")
    if args.model == "distilled" and not args.html:
        UNLABELED.extend(load_unlabeled(args.eval / "unlabeled"))
    for item in args.param:
        key, _, value = item.partition("=")
        if key in ("rounds1", "rounds2"):
            rounds = list(ROUNDS)
            rounds[int(key[-1]) - 1] = int(value)
            globals()["ROUNDS"] = tuple(rounds)
        elif key == "hidden":  # the networks' hidden layers: hidden=256 or hidden=128x64
            globals()["HIDDEN"] = tuple(int(n) for n in value.split("x"))
        elif key in ("mlp_epochs", "mlp_batch", "crops", "student_max_lines", "kinds", "fragments"):
            globals()[key.upper()] = int(value)
        elif key == "fragment_share":
            globals()["FRAGMENT_SHARE"] = float(value)
        elif key in PARAMS:
            PARAMS[key] = type(PARAMS[key])(value)
        else:
            ap.error(f"unknown parameter {key!r}")
    t0 = time.time()
    pages = load_pages(args.eval, sets)
    DEV_SITES.update(p.site for p in pages)
    print(
        f"{len(pages)} pages, {sum(len(p.lines) for p in pages)} lines, "
        f"features {time.time() - t0:.1f}s",
        file=sys.stderr,
    )
    if args.cv:
        if args.template:
            TEMPLATES.update(site_tables(pages, args.eval))
            print(f"site-template shares for {len(TEMPLATES)} pages", file=sys.stderr)
        oof = cross_validate(pages, args.pred, args.folds)
        if args.template:
            score_template(args.eval, args.pred / "site-template")
        reports = score(args.eval, pages, args.pred)
        if args.check:
            below = check_floors(reports, json.loads(args.check.read_text(encoding="utf-8")))
            if below:
                print("site-grouped CV below its floors:", *below, sep="\n  ", file=sys.stderr)
                return 1
            print("site-grouped CV at or above its floors", file=sys.stderr)
    if (args.export or args.export_title) and not HTML:
        if args.beliefs is not None:
            oof = [np.load(args.beliefs / f"{p.name}.npy") for p in pages]
        elif not args.cv:
            oof = oof_beliefs(pages, fold_models(pages, args.folds))
        ranker = fit_ranker(pages, oof)
        text = json.dumps(ranker.to_dict(), indent=1) + "\n"
        (args.model_dir / "title.json").write_text(text, encoding="utf-8")
    if args.export:
        m1, m2 = fit_both(pages, args.folds)
        if MODEL_KIND in ("distilled", "hybrid"):
            m1, m2 = distill((m1, m2), pages)
        names = ALL_NAMES + HTML_NAMES if HTML else ALL_NAMES
        suffix = "-html" if HTML else ""
        export(m1, names, args.model_dir / f"pass1{suffix}.json")
        export(m2, names + STACK_NAMES, args.model_dir / f"pass2{suffix}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
