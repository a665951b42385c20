#!/usr/bin/env python3
"""Benchmark zhengwen against other body extractors on the labelled pages, on one core.

    python benchmarks/compare.py --out out/bench                 # every system, dev + train
    python benchmarks/compare.py --systems zhengwen,lineblock --limit 20
    python benchmarks/compare.py --speed-only --out out/speed    # zhengwen's speed alone
    python benchmarks/compare.py --parallel                      # and -j 1 / -j 2 (parallel.py)
    python benchmarks/compare.py --list                          # the systems

Every system runs on every page of ``EVAL/<set>/text`` (or ``EVAL/<set>/html``
for the ``*-html`` systems) of each set in ``--sets`` (default ``dev,train``);
predictions go to ``OUT/pred/<system>/`` as ``<page>.tsv`` (line labels) or
``<page>.txt`` (kept text), with ``<page>.json`` ``{"title": ...}`` where the
system gives a title, and are scored against the pages' ``EVAL/<set>/gold``
files (copied to ``OUT/gold-pages/``) by the shared ``EVAL/score.py --json`` in
a subprocess, so the numbers are the ones everybody else gets.  A Markdown
table goes to stdout and to ``OUT/table.md``; all numbers go to
``OUT/results.json``.

One core: before any system is imported, the process pins itself to one CPU
(``os.sched_setaffinity``; ``--cpu`` picks it, default the last one it may
use) and sets ``OMP_NUM_THREADS`` and its relatives to 1.  The subprocesses it
starts inherit both, except that ``zhengwen fixtures/seed.txt`` is timed on the
CPUs the process had before pinning (as a user's shell runs it) as well as on
the one CPU, and ``--parallel`` runs ``parallel.py`` on those CPUs.

Timing: wall time (``time.perf_counter``) of the extraction call alone, in
this one process, one page at a time.  Outside it: reading input, wrapping
text as HTML, decoding HTML bytes to ``str`` for jusText, boilerpy3 and
readability (trafilatura gets the bytes and decodes them itself, inside;
resiliparse gets the bytes and the encoding name, and decodes them inside),
peers' title look-ups, writing and scoring.  Inside it: jieba segmentation for
jusText (and, there, wrapping the segmented lines, a fraction of a
millisecond); readability's summary HTML turned into text lines.  Pages are
interleaved (page 1 through every system, then page 2, ...) so that load from
other processes on a shared machine falls on all systems alike; the
"÷ zhengwen" and "÷ zhengwen-html" columns are each system's total time over
that zhengwen system's on the pages both extracted, from the same run.  Every
system is called once on the first page before timing (lazy loads: zhengwen's
model, jieba's dictionary, trafilatura's settings).

``regex-pass`` and ``str-split`` are floors, not extractors: the cost of one
compiled regular-expression scan over a page's text, and of splitting it into
lines.  They are timed and not scored.

The peers are optional: ``pip install 'zhengwen[bench]'``.  A peer that does
not import gives a "skipped" row; a page on which a system raises (or runs
over ``--timeout``) counts as a failure with an empty prediction.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import baselines as B  # noqa: E402

DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_SETS = "dev,train"
INSTALL_HINT = "skipped: not installed (pip install 'zhengwen[bench]')"
TIMEOUT_S = 60.0
"""Seconds one extraction call may take before it counts as a failure."""
STARTUP_RUNS = 10
"""Subprocess runs whose median gives the end-to-end and import times."""
STARTUP_TARGET_MS = 80
"""Issue 23's target for ``zhengwen fixtures/seed.txt``, process start to exit (median)."""
ONE_THREAD = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
)
"""Set to 1 before any system is imported: one core per process."""
HEAVY_MODULES = ("numpy", "zhengwen", "lxml", "trafilatura", "resiliparse")
"""Modules that must not be imported before the process is pinned and its threads set."""


# --------------------------------------------------------------------------- one core


def one_core(cpu: int | None) -> dict[str, Any]:
    """Pin this process to one CPU and its libraries to one thread; what was done.

    Runs before any system is imported (``HEAVY_MODULES`` are checked), so thread
    pools sized at import (OpenBLAS, OpenMP, MKL, rayon) see 1.  ``cpu`` None picks
    the last CPU this process may use (CPU 0 often takes the machine's interrupts).
    Gives ``{"cpu", "allowed_before", "threads"}``; ``cpu`` is None where the OS has
    no affinity call (the run is then not pinned, and says so).
    """
    loaded = [m for m in HEAVY_MODULES if m in sys.modules]
    if loaded:
        raise RuntimeError(f"imported before pinning: {', '.join(loaded)}")
    for var in ONE_THREAD:
        os.environ[var] = "1"
    info: dict[str, Any] = {"threads": dict.fromkeys(ONE_THREAD, "1")}
    if not hasattr(os, "sched_setaffinity"):
        info["cpu"], info["allowed_before"] = None, None
        return info
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    if chosen not in allowed:
        sys.exit(f"--cpu {chosen}: this process may run on CPUs {allowed} only")
    os.sched_setaffinity(0, {chosen})
    info["cpu"], info["allowed_before"] = chosen, allowed
    return info


def pinning_note(info: dict[str, Any]) -> str:
    if info.get("cpu") is None:
        return "not pinned (no os.sched_setaffinity here); OMP/OPENBLAS/MKL threads 1"
    return (
        f"pinned to CPU {info['cpu']} (of {info['allowed_before']}) by os.sched_setaffinity; "
        "OMP/OPENBLAS/MKL/NUMEXPR/RAYON threads 1"
    )


# --------------------------------------------------------------------------- inputs


@dataclass
class Page:
    """One page: its input text and lines, and (lazily) its original HTML bytes."""

    stem: str
    text: str
    lines: list[str]
    html_path: Path | None = None
    gold_path: Path | None = None
    set_name: str = ""
    _html: bytes | None = field(default=None, repr=False)

    @property
    def html(self) -> bytes | None:
        if self._html is None and self.html_path is not None and self.html_path.exists():
            self._html = self.html_path.read_bytes()
        return self._html


def read_text_file(path: Path) -> str:
    """A page's text as given: UTF-8, line breaks untouched (CR and CRLF kept)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def parse_sets(spec: str) -> list[str]:
    """``"dev,train"`` -> ``["dev", "train"]`` (order kept, duplicates dropped)."""
    names: list[str] = []
    for name in spec.split(","):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    if not names:
        sys.exit("--sets: no set named")
    return names


def load_pages(eval_dir: Path, sets: Sequence[str], limit: int | None) -> list[Page]:
    """The pages of ``EVAL/<set>/text`` for each set (the first ``limit`` of each)."""
    pages: list[Page] = []
    seen: dict[str, str] = {}
    for name in sets:
        root = eval_dir / name
        files = sorted((root / "text").glob("*.txt"))[:limit]
        if not files:
            sys.exit(f"no pages in {root / 'text'}")
        for f in files:
            if f.stem in seen:
                sys.exit(f"page {f.stem} is in both {seen[f.stem]} and {name}")
            seen[f.stem] = name
            text = read_text_file(f)
            pages.append(
                Page(
                    f.stem,
                    text,
                    B.split_lines(text),
                    html_path=root / "html" / f"{f.stem}.html",
                    gold_path=root / "gold" / f"{f.stem}.tsv",
                    set_name=name,
                )
            )
    return pages


def load_unlabeled(unlabeled_dir: Path, limit: int | None) -> list[Page]:
    files = sorted(unlabeled_dir.glob("**/*.txt"))[:limit]
    out = []
    for f in files:
        text = read_text_file(f)
        out.append(
            Page(str(f.relative_to(unlabeled_dir).with_suffix("")), text, B.split_lines(text))
        )
    return out


def check_against_gold(pages: Sequence[Page]) -> list[str]:
    """Pages whose line count differs from the gold's (their .tsv predictions would not score)."""
    bad = []
    for p in pages:
        if p.gold_path is None:
            continue
        rows = p.gold_path.read_text(encoding="utf-8").split("\n")
        n = sum(1 for k, r in enumerate(rows) if r != "" or k == 0)
        if n != len(p.lines):
            bad.append(f"{p.stem}: {len(p.lines)} input lines, {n} gold lines")
    return bad


# --------------------------------------------------------------------------- predictions


@dataclass
class Prediction:
    """What a system gives for one page: line labels, or kept text; maybe a title."""

    labels: list[str] | None = None
    text: str | None = None
    title: str | None = None

    @property
    def empty(self) -> bool:
        if self.labels is not None:
            return "body" not in self.labels
        return not (self.text or "").strip()


def keep_to_labels(keep: Sequence[bool]) -> list[str]:
    return ["body" if k else "other" for k in keep]


def write_prediction(pred_dir: Path, page: Page, pred: Prediction, gives_title: bool) -> None:
    if pred.labels is not None:
        rows = [f"{label}\t{line}" for label, line in zip(pred.labels, page.lines)]
        (pred_dir / f"{page.stem}.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    else:
        (pred_dir / f"{page.stem}.txt").write_text((pred.text or "") + "\n", encoding="utf-8")
    if gives_title:
        (pred_dir / f"{page.stem}.json").write_text(
            json.dumps({"title": pred.title}, ensure_ascii=False), encoding="utf-8"
        )


# --------------------------------------------------------------------------- systems
#
# A runner has three steps: ``prepare`` (untimed: build the system's input),
# ``run`` (timed: the extraction call) and ``finish`` (untimed: turn the
# output into a Prediction, look up a title).  A runner's constructor
# imports its library, so an ImportError there means "not installed".


class Runner:
    def prepare(self, page: Page) -> Any:
        return page.text

    def run(self, arg: Any) -> Any:
        raise NotImplementedError

    def finish(self, page: Page, arg: Any, raw: Any) -> Prediction:
        raise NotImplementedError


class Zhengwen(Runner):
    def __init__(self) -> None:
        import zhengwen

        self.extract = zhengwen.extract

    def run(self, arg: str) -> Any:
        return self.extract(arg)

    def finish(self, page: Page, arg: str, doc: Any) -> Prediction:
        labels = [str(getattr(line.label, "value", line.label)) for line in doc.lines]
        if len(labels) != len(page.lines):
            # Lines split differently from the gold: fall back to the kept text.
            return Prediction(text=doc.body, title=doc.title)
        return Prediction(labels=labels, title=doc.title)


class ZhengwenHtml(Zhengwen):
    """zhengwen.extract_html on the original HTML bytes (link density and blocks as evidence)."""

    def __init__(self) -> None:
        from zhengwen.html import extract_html

        self.extract_html = extract_html

    def prepare(self, page: Page) -> Any:
        return page.html

    def run(self, arg: Any) -> Any:
        return self.extract_html(arg)


class Trafilatura(Runner):
    """trafilatura.extract, txt output; title from extract_metadata (untimed)."""

    def __init__(self, *, html: bool, favor_precision: bool) -> None:
        import trafilatura
        from trafilatura.utils import load_html

        self.t, self.load_html = trafilatura, load_html
        self.html, self.favor_precision = html, favor_precision

    def prepare(self, page: Page) -> Any:
        return page.html if self.html else B.wrap_lines(page.lines)

    def run(self, arg: Any) -> Any:
        return self.t.extract(arg, output_format="txt", favor_precision=self.favor_precision)

    def finish(self, page: Page, arg: Any, raw: str | None) -> Prediction:
        title = None
        tree = self.load_html(arg)
        if tree is not None:
            meta = self.t.extract_metadata(tree)
            title = getattr(meta, "title", None) if meta is not None else None
        return Prediction(text=raw or "", title=title)


class JusText(Runner):
    """jusText; ``zh``: jieba stoplist and jieba-segmented text, else language-independent."""

    def __init__(self, *, html: bool, zh: bool) -> None:
        import justext

        self.justext, self.html, self.zh = justext, html, zh
        if zh:
            B.init_jieba()
            self.stoplist = B.jieba_stoplist()
            self.params: dict[str, Any] = {}
        else:
            # jusText's language-independent mode, as its CLI sets it for an empty stoplist.
            self.stoplist = frozenset()
            self.params = {"stopwords_low": 0, "stopwords_high": 0}
        if html and zh:
            base = justext.core.preprocessor

            def segmenting(dom: Any) -> Any:
                dom = base(dom)
                for el in dom.iter():
                    if isinstance(el.text, str) and el.text.strip():
                        el.text = B.segment(el.text)
                    if isinstance(el.tail, str) and el.tail.strip():
                        el.tail = B.segment(el.tail)
                return dom

            self.params["preprocessor"] = segmenting

    def prepare(self, page: Page) -> Any:
        if self.html:
            return decoded_html(page)
        if self.zh:
            # Segmentation is part of the timed run (and so is wrapping its output,
            # under 1% of the call); the language-independent mode gets the
            # wrapped page ready-made, like trafilatura and boilerpy3.
            return page.lines
        return B.wrap_lines(page.lines)

    def run(self, arg: Any) -> Any:
        if not self.html and self.zh:
            arg = B.wrap_lines([B.segment(line) for line in arg])
        return self.justext.justext(arg, self.stoplist, **self.params)

    def finish(self, page: Page, arg: Any, paragraphs: Any) -> Prediction:
        good = [p for p in paragraphs if not p.is_boilerplate]
        if self.html:
            return Prediction(text="\n".join(p.text for p in good))
        keep = [False] * len(page.lines)
        for p in good:
            i = B.wrapped_line_index(p.xpath)
            if i is not None and 0 <= i < len(keep):
                keep[i] = True
        return Prediction(labels=keep_to_labels(keep))


class BoilerPy3(Runner):
    def __init__(self, *, html: bool) -> None:
        import logging

        from boilerpy3 import extractors

        # It logs a warning per page with nested <a> (common on these pages).
        logging.getLogger("boilerpy3").setLevel(logging.ERROR)
        self.extractor, self.html = extractors.ArticleExtractor(), html

    def prepare(self, page: Page) -> Any:
        if self.html:
            return decoded_html(page)
        return B.wrap_lines(page.lines)

    def run(self, arg: str) -> Any:
        return self.extractor.get_content(arg)

    def finish(self, page: Page, arg: Any, raw: str) -> Prediction:
        return Prediction(text=raw or "")


def decoded_html(page: Page) -> str | None:
    """The page's HTML as ``str`` (untimed, as for jusText and boilerpy3)."""
    return B.decode_html(page.html)[0] if page.html is not None else None


def fragment_text(markup: str) -> str:
    """The text of an HTML fragment, one text node a line (blank nodes dropped)."""
    import lxml.html

    if not markup.strip():
        return ""
    root = lxml.html.fromstring(markup)
    return "\n".join(t.strip() for t in root.itertext() if t.strip())


class Readability(Runner):
    """readability-lxml: ``Document(html).summary()`` as text lines; title ``short_title()``."""

    NO_TITLE = "[no-title]"
    """What readability's ``title()`` gives for a page without ``<title>``."""

    def __init__(self, *, html: bool) -> None:
        import logging

        import lxml.html  # noqa: F401  (fragment_text; imported here, not timed)
        from readability import Document

        logging.getLogger("readability").setLevel(logging.ERROR)
        self.document, self.html = Document, html

    def prepare(self, page: Page) -> Any:
        return decoded_html(page) if self.html else B.wrap_lines(page.lines)

    def run(self, arg: str) -> Any:
        doc = self.document(arg)
        return doc, fragment_text(doc.summary())

    def finish(self, page: Page, arg: Any, raw: tuple[Any, str]) -> Prediction:
        doc, text = raw
        title = doc.short_title() or doc.title()
        return Prediction(text=text, title=None if title in ("", self.NO_TITLE) else title)


class Resiliparse(Runner):
    """resiliparse ``extract_plain_text(tree, main_content=True)``.

    On HTML it gets the page's bytes and the encoding ``baselines.decode_html``
    found (untimed, as the other peers' decoding), and decodes and parses them
    inside the timed call with ``HTMLTree.parse_from_bytes``; on text, the
    wrapped text, parsed with ``HTMLTree.parse``.
    """

    def __init__(self, *, html: bool) -> None:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        self.tree, self.extract, self.html = HTMLTree, extract_plain_text, html

    def prepare(self, page: Page) -> Any:
        if not self.html:
            return B.wrap_lines(page.lines)
        if page.html is None:
            return None
        encoding = B.decode_html(page.html)[1].split("+")[0]
        return page.html, encoding

    def run(self, arg: Any) -> Any:
        if self.html:
            data, encoding = arg
            tree = self.tree.parse_from_bytes(data, encoding, "replace")
        else:
            tree = self.tree.parse(arg)
        return self.extract(tree, main_content=True)

    def finish(self, page: Page, arg: Any, raw: str) -> Prediction:
        return Prediction(text=raw or "")


HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
"""A run of Han characters: what ``regex-pass`` looks for."""


class RegexPass(Runner):
    """Floor: one compiled regular-expression scan over the page's text (Han runs counted)."""

    def run(self, arg: str) -> Any:
        return len(HAN_RUN.findall(arg))


class StrSplit(Runner):
    """Floor: the page's text split into lines (``str.split``)."""

    def run(self, arg: str) -> Any:
        return arg.split("\n")


class LineBlock(Runner):
    def __init__(self, *, largest_only: bool) -> None:
        self.largest_only = largest_only

    def prepare(self, page: Page) -> Any:
        return page.lines

    def run(self, arg: list[str]) -> Any:
        return B.lineblock_keep(arg, largest_only=self.largest_only)

    def finish(self, page: Page, arg: Any, keep: list[bool]) -> Prediction:
        return Prediction(labels=keep_to_labels(keep))


class KeepAll(Runner):
    def prepare(self, page: Page) -> Any:
        return page.lines

    def run(self, arg: list[str]) -> Any:
        return [True] * len(arg)

    def finish(self, page: Page, arg: Any, keep: list[bool]) -> Prediction:
        return Prediction(labels=keep_to_labels(keep))


@dataclass(frozen=True)
class System:
    name: str
    input: str  # "text" (<set>/text) or "html" (<set>/html)
    gives_title: bool
    description: str
    make: Callable[[], Runner]
    scored: bool = True  # False: a speed floor, not an extractor (no predictions)


SYSTEMS: tuple[System, ...] = (
    System(
        "zhengwen",
        "text",
        True,
        "zhengwen.extract(text); .tsv from doc.lines, title doc.title",
        Zhengwen,
    ),
    System(
        "trafilatura",
        "text",
        True,
        "trafilatura.extract(wrapped text), defaults",
        lambda: Trafilatura(html=False, favor_precision=False),
    ),
    System(
        "trafilatura-precision",
        "text",
        True,
        "trafilatura.extract(wrapped text, favor_precision=True)",
        lambda: Trafilatura(html=False, favor_precision=True),
    ),
    System(
        "justext",
        "text",
        False,
        "jusText, language-independent (empty stoplist, stopwords_low=stopwords_high=0)",
        lambda: JusText(html=False, zh=False),
    ),
    System(
        "justext-zh",
        "text",
        False,
        "jusText, jieba top-500 stoplist, lines pre-segmented by jieba (timed)",
        lambda: JusText(html=False, zh=True),
    ),
    System(
        "boilerpy3",
        "text",
        False,
        "boilerpy3 ArticleExtractor on wrapped text",
        lambda: BoilerPy3(html=False),
    ),
    System(
        "lineblock",
        "text",
        False,
        "line-block distribution (行块分布), k=3, threshold 86, all regions",
        lambda: LineBlock(largest_only=False),
    ),
    System(
        "lineblock-largest",
        "text",
        False,
        "line-block distribution, largest region only",
        lambda: LineBlock(largest_only=True),
    ),
    System(
        "readability",
        "text",
        True,
        "readability-lxml Document(wrapped text).summary() as text lines; title short_title()",
        lambda: Readability(html=False),
    ),
    System(
        "resiliparse",
        "text",
        False,
        "resiliparse extract_plain_text(HTMLTree.parse(wrapped text), main_content=True)",
        lambda: Resiliparse(html=False),
    ),
    System("keep-all", "text", False, "every line kept", KeepAll),
    System(
        "regex-pass",
        "text",
        False,
        "floor: one compiled regex scan of the page text (Han runs counted); not scored",
        RegexPass,
        scored=False,
    ),
    System(
        "str-split",
        "text",
        False,
        "floor: text.split('\\n'); not scored",
        StrSplit,
        scored=False,
    ),
    System(
        "zhengwen-html",
        "html",
        True,
        "zhengwen.extract_html(original HTML bytes); lines as labels when they match the gold's",
        ZhengwenHtml,
    ),
    System(
        "trafilatura-html",
        "html",
        True,
        "trafilatura.extract(original HTML bytes)",
        lambda: Trafilatura(html=True, favor_precision=False),
    ),
    System(
        "trafilatura-precision-html",
        "html",
        True,
        "trafilatura.extract(original HTML bytes, favor_precision=True)",
        lambda: Trafilatura(html=True, favor_precision=True),
    ),
    System(
        "justext-html",
        "html",
        False,
        "jusText language-independent on the original HTML",
        lambda: JusText(html=True, zh=False),
    ),
    System(
        "justext-zh-html",
        "html",
        False,
        "jusText, jieba stoplist, HTML text nodes segmented by jieba (timed)",
        lambda: JusText(html=True, zh=True),
    ),
    System(
        "boilerpy3-html",
        "html",
        False,
        "boilerpy3 ArticleExtractor on the original HTML",
        lambda: BoilerPy3(html=True),
    ),
    System(
        "readability-html",
        "html",
        True,
        "readability-lxml Document(decoded HTML).summary() as text lines; title short_title()",
        lambda: Readability(html=True),
    ),
    System(
        "resiliparse-html",
        "html",
        False,
        "resiliparse extract_plain_text(HTMLTree.parse_from_bytes(bytes, encoding), "
        "main_content=True)",
        lambda: Resiliparse(html=True),
    ),
)
BY_NAME = {s.name: s for s in SYSTEMS}


# --------------------------------------------------------------------------- timing


class CallTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise CallTimeout in the block after ``seconds`` (SIGALRM; main thread, POSIX)."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise CallTimeout(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Tally:
    """Per-system outcome of one pass over a set of pages."""

    times: dict[str, float] = field(default_factory=dict)  # successful calls: wall s
    cpu: dict[str, float] = field(default_factory=dict)  # successful calls: process CPU s
    failures: dict[str, str] = field(default_factory=dict)  # page -> error
    empty: int = 0
    no_input: int = 0

    def pages_per_second(self) -> float | None:
        total = sum(self.times.values())
        return len(self.times) / total if total > 0 else None

    def to_json(self) -> dict[str, Any]:
        wall = sorted(self.times.values())
        return {
            "pages_timed": len(self.times),
            "pages_per_second": self.pages_per_second(),
            "wall_seconds_total": sum(wall),
            "ms_per_page_mean": 1000 * statistics.fmean(wall) if wall else None,
            "ms_per_page_median": 1000 * statistics.median(wall) if wall else None,
            "cpu_seconds_total": sum(self.cpu.values()),
            "failures": len(self.failures),
            "failure_messages": self.failures,
            "empty_outputs": self.empty,
            "missing_input": self.no_input,
            "wall_ms_per_page": {k: round(1000 * v, 4) for k, v in self.times.items()},
        }


def run_pass(
    runners: dict[str, tuple[System, Runner]],
    pages: Sequence[Page],
    pred_root: Path | None,
    timeout: float,
    progress: bool,
) -> dict[str, Tally]:
    """Every page through every runner, interleaved; predictions written when ``pred_root``."""
    tallies = {name: Tally() for name in runners}
    for k, page in enumerate(pages, 1):
        if progress and (k % 10 == 0 or k == len(pages)):
            print(f"  {k}/{len(pages)} pages", file=sys.stderr, flush=True)
        for name, (system, runner) in runners.items():
            tally = tallies[name]
            if system.input == "html" and page.html is None:
                tally.no_input += 1
                continue
            arg = runner.prepare(page)
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                with time_limit(timeout):
                    raw = runner.run(arg)
                t1, c1 = time.perf_counter(), time.process_time()
                pred = runner.finish(page, arg, raw) if pred_root and system.scored else None
            except Exception as e:  # a peer crashing on a page is a result, not a crash
                tally.failures[page.stem] = f"{type(e).__name__}: {e}"[:300]
                pred = Prediction(text="")
            else:
                tally.times[page.stem] = t1 - t0
                tally.cpu[page.stem] = c1 - c0
                if pred is not None and pred.empty:
                    tally.empty += 1
            if pred_root is not None and system.scored and pred is not None:
                write_prediction(pred_root / name, page, pred, system.gives_title)
    return tallies


def warm_up(runners: dict[str, tuple[System, Runner]], page: Page, timeout: float) -> None:
    for system, runner in runners.values():
        if system.input == "html" and page.html is None:
            continue
        try:
            arg = runner.prepare(page)
            with time_limit(timeout):
                raw = runner.run(arg)
                if system.scored:
                    runner.finish(page, arg, raw)
        except Exception:
            pass  # counted when the page is run for real


def ratio_to(tallies: dict[str, Tally], name: str, ref: str) -> float | None:
    """Total time of ``name`` over ``ref``'s on the pages both extracted."""
    if ref not in tallies or name not in tallies:
        return None
    a, b = tallies[name].times, tallies[ref].times
    both = a.keys() & b.keys()
    ref_total = sum(b[p] for p in both)
    return sum(a[p] for p in both) / ref_total if both and ref_total > 0 else None


# --------------------------------------------------------------------------- scoring


def gold_for(pages: Sequence[Page], out: Path) -> Path:
    """A gold folder holding the selected pages' gold files (from every set), for score.py."""
    folder = out / "gold-pages"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for p in pages:
        if p.gold_path is not None:
            shutil.copyfile(p.gold_path, folder / f"{p.stem}.tsv")
    return folder


def score(score_py: Path, gold: Path, pred_dir: Path, out_json: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(score_py), str(gold), str(pred_dir), "--json", str(out_json)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not out_json.exists():
        return {"error": (proc.stderr or proc.stdout).strip()[-500:]}
    summary: dict[str, Any] = json.loads(out_json.read_text(encoding="utf-8"))
    summary.pop("per_page", None)
    summary.pop("confusion_chars", None)
    return summary


# --------------------------------------------------------------------------- startup timings


def zhengwen_command() -> list[str]:
    exe = Path(sys.executable).parent / "zhengwen"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("zhengwen")
    return [found] if found else [sys.executable, "-m", "zhengwen"]


def current_cpus() -> list[int] | None:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def affinity(cpus: Sequence[int] | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that puts the child on ``cpus`` (None: this process's own)."""
    if cpus is None or not hasattr(os, "sched_setaffinity"):
        return None
    chosen = set(cpus)
    return lambda: os.sched_setaffinity(0, chosen)


def median_subprocess(
    cmd: list[str], runs: int, cpus: Sequence[int] | None = None
) -> dict[str, Any]:
    """Median wall time of ``cmd`` from process start to exit (one untimed warm-up run)."""
    pre = affinity(cpus)
    subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pre
    )
    times: list[float] = []
    rc, err = 0, ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=pre,
        )
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            rc, err = proc.returncode, (proc.stderr.strip().splitlines() or [""])[-1]
    out: dict[str, Any] = {
        "command": cmd,
        "cpus": sorted(cpus) if cpus is not None else current_cpus(),
        "runs": runs,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }
    if rc:
        out["exit_code"], out["stderr_last_line"] = rc, err
    return out


def import_time(runs: int) -> dict[str, Any]:
    """Median time of ``import zhengwen`` in a fresh interpreter (measured inside it)."""
    code = "import time;t=time.perf_counter();import zhengwen;print(time.perf_counter()-t)"
    vals = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
        )
        if proc.returncode != 0:
            return {"error": proc.stderr.strip()[-300:]}
        vals.append(float(proc.stdout.strip()))
    return {"runs": runs, "median_s": statistics.median(vals), "min_s": min(vals)}


def startup_timings(runs: int, machine_cpus: Sequence[int] | None) -> dict[str, Any]:
    """``zhengwen fixtures/seed.txt`` from process start to exit, and ``import zhengwen``.

    The command runs as written, from the checkout (``cwd``); each figure is the
    median of ``runs`` runs after one untimed warm-up (which brings the files into
    the page cache).  It runs twice over: on ``machine_cpus`` (the CPUs this
    process had before pinning: what a user's shell gives it, and the CLI sizes
    its default ``-j`` by them) and on this process's one pinned CPU.
    """
    cmd = [*zhengwen_command(), "fixtures/seed.txt"]
    out: dict[str, Any] = {}
    if machine_cpus is not None:
        out["end_to_end_seed"] = median_subprocess(cmd, runs, machine_cpus)
        out["end_to_end_seed_one_cpu"] = median_subprocess(cmd, runs)
    else:
        out["end_to_end_seed"] = median_subprocess(cmd, runs)
    out["import_zhengwen"] = import_time(runs)
    return out


def e2e_line(e2e: dict[str, Any], what: str) -> str:
    cpus = e2e.get("cpus")
    on = f" on CPUs {cpus}" if cpus is not None else ""
    line = (
        f"{what}, `zhengwen fixtures/seed.txt`{on} (median of {e2e['runs']}): "
        f"{1000 * e2e['median_s']:.0f} ms (min {1000 * e2e['min_s']:.0f}, "
        f"max {1000 * e2e['max_s']:.0f}; target ≤ {STARTUP_TARGET_MS} ms)"
    )
    if "exit_code" in e2e:
        line += f" — FAILED (exit {e2e['exit_code']}: {e2e['stderr_last_line']})"
    return line


def startup_lines(st: dict[str, Any]) -> list[str]:
    lines = [e2e_line(st["end_to_end_seed"], "end to end")]
    if "end_to_end_seed_one_cpu" in st:
        lines.append(e2e_line(st["end_to_end_seed_one_cpu"], "end to end, pinned"))
    imp = st["import_zhengwen"]
    if "error" in imp:
        lines.append(f"`import zhengwen`: failed ({imp['error']})")
    else:
        lines.append(
            f"`import zhengwen` (median of {imp['runs']}): {1000 * imp['median_s']:.0f} ms"
        )
    return lines


# --------------------------------------------------------------------------- report


def fmt(x: float | None, spec: str = ".3f") -> str:
    return "—" if x is None else format(x, spec)


RATIO_REFS = ("zhengwen", "zhengwen-html")
"""The systems every row's time is divided by (a column each)."""

COLUMNS = (
    "system",
    "input",
    "pages/s",
    "ms/page median",
    "time ÷ zhengwen",
    "time ÷ zhengwen-html",
    "F1 mean",
    "F1 p10",
    "P",
    "R",
    "junk removed",
    "title acc",
    "failures / empty",
)


def quality_cells(row: dict[str, Any]) -> list[str]:
    """F1 mean, F1 p10, P, R, junk removed, title acc of a row ("—" where not scored)."""
    s = row.get("score")
    if s is None:
        return ["—"] * 6
    if "error" in s:
        return [f"score.py failed: {s['error'][:60]}", "", "", "", "", ""]
    title = fmt(s.get("title_accuracy"), ".1%") if row["gives_title"] else "—"
    return [
        fmt(s.get("body_f1_mean")),
        fmt(s.get("body_f1_p10")),
        fmt(s.get("body_precision_mean")),
        fmt(s.get("body_recall_mean")),
        fmt(s.get("junk_removed_mean")),
        title,
    ]


def pages_per_second_cell(pps: float | None) -> str:
    """Pages/s with as many digits as tell (floors run at 10^4-10^6 pages/s)."""
    if pps is None:
        return "—"
    return format(pps, ",.0f") if pps >= 1000 else format(pps, ".1f")


def small_cell(x: float | None) -> str:
    """Two decimals, or two significant digits under 0.1 (ms of the floors, their ratios)."""
    if x is None:
        return "—"
    return format(x, ".2f") if x >= 0.1 else format(x, ".2g")


def row_cells(row: dict[str, Any]) -> list[str]:
    """The table cells of one result row."""
    if "skipped" in row:
        return [row["system"], row["input"], row["skipped"]] + [""] * (len(COLUMNS) - 3)
    sp = row["speed"]
    ratios = row.get("time_ratio", {})
    return [
        row["system"],
        row["input"],
        pages_per_second_cell(sp["pages_per_second"]),
        small_cell(sp["ms_per_page_median"]),
        *(small_cell(ratios.get(ref)) for ref in RATIO_REFS),
        *quality_cells(row),
        f"{sp['failures']} / {sp['empty_outputs']}",
    ]


QUALITY = slice(6, 12)
"""The score columns of ``COLUMNS`` (left out of a table in which nothing was scored)."""


def table(rows: list[dict[str, Any]]) -> str:
    keep = list(range(len(COLUMNS)))
    if not any("score" in r for r in rows):
        keep = [k for k in keep if k not in range(len(COLUMNS))[QUALITY]]
    out = [
        "| " + " | ".join(COLUMNS[k] for k in keep) + " |",
        "|" + "---|" * len(keep),
    ]
    for r in rows:
        cells = row_cells(r)
        out.append("| " + " | ".join(str(cells[k]) for k in keep) + " |")
    return "\n".join(out)


TARGETS = (
    # (what, system, reference, the reference's time over the system's must reach)
    ("zhengwen text ≥ 20× trafilatura on the same text", "zhengwen", "trafilatura", 20.0),
    ("zhengwen-html faster than resiliparse-html", "zhengwen-html", "resiliparse-html", 1.0),
    ("zhengwen-html ≥ 10× trafilatura-html", "zhengwen-html", "trafilatura-html", 10.0),
)
TEXT_PAGES_PER_SECOND = 1000.0
"""Issue 23's target for ``extract`` on text: pages/s on one core."""


def target_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 23's speed targets, each with the measured figure and whether it is met."""
    by = {r["system"]: r for r in rows if "speed" in r}
    lines = []
    z = by.get("zhengwen")
    if z is not None and z["speed"]["pages_per_second"] is not None:
        pps = z["speed"]["pages_per_second"]
        ok = "met" if pps >= TEXT_PAGES_PER_SECOND else "not met"
        lines.append(
            f"target: zhengwen text ≥ {TEXT_PAGES_PER_SECOND:,.0f} pages/s on one core: "
            f"{pps:,.1f} ({ok})"
        )
    for what, name, ref, need in TARGETS:
        if name not in by or ref not in by:
            continue
        ratio = by[ref].get("time_ratio", {}).get(name)  # ref's time over name's
        if ratio is None:
            continue
        ok = "met" if ratio >= need else "not met"
        lines.append(f"target: {what}: {ratio:.2f}× ({ok})")
    return lines


def git_describe() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    import importlib.util
    from importlib import metadata

    out = {"python": platform.python_version()}
    spec = importlib.util.find_spec("zhengwen")
    out["zhengwen_source"] = str(Path(spec.origin).parent) if spec and spec.origin else "not found"
    for dist in (
        "zhengwen",
        "trafilatura",
        "justext",
        "boilerpy3",
        "readability-lxml",
        "resiliparse",
        "lxml",
        "lxml_html_clean",
        "jieba",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "niceness": os.nice(0),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


# --------------------------------------------------------------------------- parallel


def run_parallel(args: argparse.Namespace, allowed: list[int] | None) -> tuple[dict, list[str]]:
    """``parallel.py`` in a subprocess on the CPUs this process had before pinning."""
    out_json = args.out / "parallel.json"
    cmd = [
        sys.executable,
        str(HERE / "parallel.py"),
        "--eval",
        str(args.eval),
        "--sets",
        args.sets,
        "--json",
        str(out_json),
    ]
    if args.limit is not None:
        # A quick look, as --limit is for the table: a small batch, one run of each.
        cmd += ["--pages", str(4 * args.limit), "--runs", "1", "--baseline-seconds", "0.5"]
    if args.big:
        cmd.append("--big")

    def unpin() -> None:
        if allowed is not None:
            os.sched_setaffinity(0, set(allowed))

    print("parallel: " + " ".join(cmd[1:]), file=sys.stderr)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, preexec_fn=unpin)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0:
        lines.append(f"parallel.py failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
        return {"error": proc.stderr.strip()[-500:]}, lines
    return json.loads(out_json.read_text(encoding="utf-8")), lines


# --------------------------------------------------------------------------- modes


def build_runners(names: Sequence[str]) -> tuple[dict[str, tuple[System, Runner]], dict[str, str]]:
    runners, skipped = {}, {}
    for name in names:
        system = BY_NAME[name]
        try:
            runners[name] = (system, system.make())
        except ImportError as e:
            skipped[name] = INSTALL_HINT if name != "zhengwen" else f"skipped: {e}"
            print(f"{name}: {skipped[name]} ({e})", file=sys.stderr)
    return runners, skipped


def system_names(args: argparse.Namespace) -> list[str]:
    if args.systems is None:
        names = ["zhengwen", "zhengwen-html"] if args.speed_only else [s.name for s in SYSTEMS]
    elif args.systems == "all":
        names = [s.name for s in SYSTEMS]
    else:
        names = [n.strip() for n in args.systems.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        sys.exit(f"unknown system(s): {', '.join(unknown)}; --list shows them")
    return names


def time_ratios(tallies: dict[str, Tally], name: str) -> dict[str, float | None]:
    return {ref: ratio_to(tallies, name, ref) for ref in RATIO_REFS if ref in tallies}


def run(args: argparse.Namespace, pinning: dict[str, Any]) -> int:
    """Every selected system over the pages; scored unless ``--speed-only``."""
    names = system_names(args)
    sets = parse_sets(args.sets)
    scoring = not args.speed_only
    pages = load_pages(args.eval, sets, args.limit)
    for msg in check_against_gold(pages):
        print(f"warning: {msg}", file=sys.stderr)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    runners, skipped = build_runners(names)
    pred_root = out / "pred" if scoring else None
    if pred_root is not None:
        for name, (system, _) in runners.items():
            pred_dir = pred_root / name
            if pred_dir.exists():
                shutil.rmtree(pred_dir)
            if system.scored:
                pred_dir.mkdir(parents=True)

    counts = ", ".join(f"{sum(p.set_name == s for p in pages)} {s}" for s in sets)
    print(f"{len(pages)} pages ({counts}) through {len(runners)} systems", file=sys.stderr)
    print(pinning_note(pinning), file=sys.stderr)
    warm_up(runners, pages[0], args.timeout)
    tallies = run_pass(runners, pages, pred_root, args.timeout, progress=True)

    un_tallies: dict[str, Tally] = {}
    n_unlabeled = 0
    text_runners = {n: r for n, r in runners.items() if r[0].input == "text"}
    if args.unlabeled and text_runners:
        unlabeled = load_unlabeled(args.eval / "unlabeled", args.limit)
        print(
            f"unlabeled: {len(unlabeled)} pages through {len(text_runners)} text systems",
            file=sys.stderr,
        )
        un_tallies = run_pass(text_runners, unlabeled, None, args.timeout, progress=True)
        n_unlabeled = len(unlabeled)

    gold = gold_for(pages, out) if scoring else None
    if gold is not None:
        (out / "scores").mkdir(exist_ok=True)
    rows = []
    for name in names:
        system = BY_NAME[name]
        row: dict[str, Any] = {
            "system": name,
            "input": system.input,
            "description": system.description,
            "gives_title": system.gives_title,
        }
        if name in skipped:
            row["skipped"] = skipped[name]
        else:
            if gold is not None and pred_root is not None and system.scored:
                row["score"] = score(
                    args.eval / "score.py",
                    gold,
                    pred_root / name,
                    out / "scores" / f"{name}.json",
                )
            row["speed"] = tallies[name].to_json()
            row["time_ratio"] = time_ratios(tallies, name)
            if name in un_tallies:
                row["speed_unlabeled"] = un_tallies[name].to_json()
                row["time_ratio_unlabeled"] = time_ratios(un_tallies, name)
        rows.append(row)

    md = table(rows)
    notes = [
        f"{len(pages)} pages ({counts}); git {git_describe()}; "
        f"zhengwen from {versions()['zhengwen_source']}",
        pinning_note(pinning),
    ]
    all_tallies = [*tallies.values(), *un_tallies.values()]
    wall = sum(sum(t.times.values()) for t in all_tallies)
    cpu = sum(sum(t.cpu.values()) for t in all_tallies)
    if wall > 0:
        notes.append(
            f"timed calls got {cpu / wall:.0%} of a core (process CPU time / wall time): "
            "the rest went to other processes on the machine"
        )
    if un_tallies:
        speeds = ", ".join(
            f"{n} {pages_per_second_cell(t.pages_per_second())}" for n, t in un_tallies.items()
        )
        notes.append(f"unlabeled ({n_unlabeled} pages), pages/s: {speeds}")
    for name, tally in tallies.items():
        if tally.failures:
            first = next(iter(tally.failures.items()))
            notes.append(f"{name}: {len(tally.failures)} failures; first: {first[0]}: {first[1]}")
    notes += target_lines(rows)
    result: dict[str, Any] = {
        "command": sys.argv,
        "machine": machine(),
        "pinning": pinning,
        "versions": versions(),
        "git": git_describe(),
        "sets": sets,
        "pages": len(pages),
        "pages_per_set": {s: sum(p.set_name == s for p in pages) for s in sets},
        "rows": rows,
    }
    if args.startup and "zhengwen" in runners:
        result["startup"] = startup_timings(args.startup_runs, pinning.get("allowed_before"))
        notes += startup_lines(result["startup"])
    if args.parallel:
        result["parallel"], lines = run_parallel(args, pinning.get("allowed_before"))
        notes += lines
    print(md)
    print()
    for n in notes:
        print(n)
    (out / "table.md").write_text(md + "\n\n" + "\n".join(notes) + "\n", encoding="utf-8")
    name = "results.json" if scoring else "speed.json"
    (out / name).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    where = f" and predictions in {pred_root}" if pred_root is not None else ""
    print(f"\nwrote {out / name}, {out / 'table.md'}{where}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=Path("out/bench"),
        help="output folder: pred/, scores/, table.md, results.json (default out/bench)",
    )
    ap.add_argument(
        "--eval",
        type=Path,
        default=DEFAULT_EVAL,
        help=f"the shared eval folder (default {DEFAULT_EVAL})",
    )
    ap.add_argument(
        "--sets",
        default=DEFAULT_SETS,
        help=f"comma-separated sets of the eval folder (default {DEFAULT_SETS})",
    )
    ap.add_argument(
        "--systems",
        default=None,
        help="comma-separated system names, or 'all' (the default; with --speed-only: "
        "zhengwen,zhengwen-html); --list shows them",
    )
    ap.add_argument(
        "--limit",
        type=int,
        default=None,
        help="first N pages of each set (and first N unlabeled pages) only",
    )
    ap.add_argument(
        "--cpu",
        type=int,
        default=None,
        help="the CPU to pin this process to (default: the last one it may use)",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_S,
        help=f"seconds per extraction call before it is a failure (default {TIMEOUT_S:g})",
    )
    ap.add_argument(
        "--unlabeled",
        action="store_true",
        help="also time the text systems on unlabeled/**/*.txt (not scored)",
    )
    ap.add_argument(
        "--no-startup",
        dest="startup",
        action="store_false",
        help="skip the end-to-end CLI and import timings",
    )
    ap.add_argument(
        "--startup-runs",
        type=int,
        default=STARTUP_RUNS,
        help=f"runs for the startup medians (default {STARTUP_RUNS})",
    )
    ap.add_argument(
        "--speed-only",
        action="store_true",
        help="time without scoring (default systems zhengwen,zhengwen-html; writes speed.json)",
    )
    ap.add_argument(
        "--parallel",
        action="store_true",
        help="also run parallel.py (zhengwen --jsonl -j 1 / -j 2 on 1,000 pages, beside the "
        "machine's two-process baseline) on the CPUs the process had before pinning; with "
        "--limit N, a quick look (4N records, one run)",
    )
    ap.add_argument(
        "--big",
        action="store_true",
        help="with --parallel: also peak RSS on a ~1 GB JSONL (parallel.py --big; minutes)",
    )
    ap.add_argument("--list", action="store_true", help="list the systems and exit")
    args = ap.parse_args(argv)
    if args.list:
        for s in SYSTEMS:
            print(f"{s.name:28} {s.input:5} {s.description}")
        return 0
    pinning = one_core(args.cpu)
    return run(args, pinning)


if __name__ == "__main__":
    sys.exit(main())
