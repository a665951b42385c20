#!/usr/bin/env python3
"""Benchmark zhengwen against other body extractors on the shared dev set.

    python benchmarks/compare.py --out out/bench                 # every system
    python benchmarks/compare.py --systems zhengwen,lineblock --limit 20
    python benchmarks/compare.py --speed-only --out out/speed    # zhengwen's speed alone
    python benchmarks/compare.py --list                          # the systems

Every system runs on every page of ``EVAL/dev/text`` (or ``EVAL/dev/html``
for the ``*-html`` systems); predictions go to ``OUT/pred/<system>/`` as
``<page>.tsv`` (line labels) or ``<page>.txt`` (kept text), with
``<page>.json`` ``{"title": ...}`` where the system gives a title, and are
scored by the shared ``EVAL/score.py --json`` in a subprocess, so the numbers
are the ones everybody else gets.  A Markdown table goes to stdout and to
``OUT/table.md``; all numbers go to ``OUT/results.json``.

Timing: wall time (``time.perf_counter``) of the extraction call alone, in
this one process, one page at a time.  Outside it: reading input, wrapping
text as HTML, decoding HTML bytes for jusText and boilerpy3 (trafilatura
gets the bytes and decodes them itself, inside), peers' title look-ups,
writing and scoring.  Inside it: jieba segmentation for jusText (and, there,
wrapping the segmented lines, a fraction of a millisecond).  Pages are
interleaved (page 1 through every system, then page 2, ...) so that load from
other processes on a shared machine falls on all systems alike; the
"÷ zhengwen" column is each system's total time over zhengwen's on the pages
both extracted, from the same run.  Every system is called once on the first
page before timing (lazy loads: zhengwen's model, jieba's dictionary,
trafilatura's settings).

The peers are optional: ``pip install 'zhengwen[bench]'``.  A peer that does
not import gives a "skipped" row; a page on which a system raises (or runs
over ``--timeout``) counts as a failure with an empty prediction.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
INSTALL_HINT = "skipped: not installed (pip install 'zhengwen[bench]')"
TIMEOUT_S = 60.0
"""Seconds one extraction call may take before it counts as a failure."""
STARTUP_RUNS = 10
"""Subprocess runs whose median gives the end-to-end and import times."""
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
"""Set to 1 (unless set) before any system is imported: one core per process."""


# --------------------------------------------------------------------------- inputs


@dataclass
class Page:
    """One page: its input text and lines, and (lazily) its original HTML bytes."""

    stem: str
    text: str
    lines: list[str]
    html_path: Path | None = None
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


def load_pages(text_dir: Path, html_dir: Path | None, limit: int | None) -> list[Page]:
    files = sorted(text_dir.glob("*.txt"))[:limit]
    pages = []
    for f in files:
        text = read_text_file(f)
        html = html_dir / f"{f.stem}.html" if html_dir else None
        pages.append(Page(f.stem, text, B.split_lines(text), html))
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


def check_against_gold(pages: Sequence[Page], gold_dir: Path) -> list[str]:
    """Pages whose line count differs from the gold's (their .tsv predictions would not score)."""
    bad = []
    for p in pages:
        rows = (gold_dir / f"{p.stem}.tsv").read_text(encoding="utf-8").split("\n")
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
            return B.decode_html(page.html)[0] if page.html is not None else None
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
            return B.decode_html(page.html)[0] if page.html is not None else None
        return B.wrap_lines(page.lines)

    def run(self, arg: str) -> Any:
        return self.extractor.get_content(arg)

    def finish(self, page: Page, arg: Any, raw: str) -> Prediction:
        return Prediction(text=raw or "")


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
    input: str  # "text" (dev/text) or "html" (dev/html)
    gives_title: bool
    description: str
    make: Callable[[], Runner]


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
    System("keep-all", "text", False, "every line kept", KeepAll),
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
                pred = runner.finish(page, arg, raw) if pred_root else None
            except Exception as e:  # a peer crashing on a page is a result, not a crash
                tally.failures[page.stem] = f"{type(e).__name__}: {e}"[:300]
                pred = Prediction(text="")
            else:
                tally.times[page.stem] = t1 - t0
                tally.cpu[page.stem] = c1 - c0
                if pred is not None and pred.empty:
                    tally.empty += 1
            if pred_root is not None and pred is not None:
                write_prediction(pred_root / name, page, pred, system.gives_title)
    return tallies


def warm_up(runners: dict[str, tuple[System, Runner]], page: Page, timeout: float) -> None:
    for system, runner in runners.values():
        if system.input == "html" and page.html is None:
            continue
        try:
            arg = runner.prepare(page)
            with time_limit(timeout):
                runner.finish(page, arg, runner.run(arg))
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


def gold_for(pages: Sequence[Page], gold_dir: Path, out: Path, limited: bool) -> Path:
    """The gold folder to score against: all of it, or the selected pages' files."""
    if not limited:
        return gold_dir
    subset = out / "gold-subset"
    if subset.exists():
        shutil.rmtree(subset)
    subset.mkdir(parents=True)
    for p in pages:
        shutil.copyfile(gold_dir / f"{p.stem}.tsv", subset / f"{p.stem}.tsv")
    return subset


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


def median_subprocess(cmd: list[str], runs: int) -> dict[str, Any]:
    """Median wall time of ``cmd`` from process start to exit (one untimed warm-up run)."""
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times: list[float] = []
    rc, err = 0, ""
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            rc, err = proc.returncode, (proc.stderr.strip().splitlines() or [""])[-1]
    out: dict[str, Any] = {
        "command": cmd,
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


def startup_timings(runs: int) -> dict[str, Any]:
    seed = ROOT / "fixtures" / "seed.txt"
    return {
        "end_to_end_seed": median_subprocess([*zhengwen_command(), str(seed)], runs),
        "import_zhengwen": import_time(runs),
    }


def startup_lines(st: dict[str, Any]) -> list[str]:
    e2e, imp = st["end_to_end_seed"], st["import_zhengwen"]
    line = (
        f"end to end, `zhengwen fixtures/seed.txt` (median of {e2e['runs']}): "
        f"{1000 * e2e['median_s']:.0f} ms"
    )
    if "exit_code" in e2e:
        line += f" — FAILED (exit {e2e['exit_code']}: {e2e['stderr_last_line']})"
    lines = [line]
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


COLUMNS = (
    "system",
    "input",
    "P",
    "R",
    "F1 mean",
    "F1 p10",
    "junk removed",
    "title acc",
    "pages/s dev",
    "pages/s unlabeled",
    "time/page ÷ zhengwen",
    "failures / empty",
)


def table(rows: list[dict[str, Any]]) -> str:
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        if "skipped" in r:
            cells = [r["system"], r["input"], r["skipped"]] + [""] * (len(COLUMNS) - 3)
        else:
            s, sp = r["score"], r["speed_dev"]
            if "error" in s:
                quality = [f"score.py failed: {s['error'][:60]}", "", "", "", "", ""]
            else:
                title = fmt(s.get("title_accuracy"), ".1%") if r["gives_title"] else "—"
                quality = [
                    fmt(s["body_precision_mean"]),
                    fmt(s["body_recall_mean"]),
                    fmt(s["body_f1_mean"]),
                    fmt(s["body_f1_p10"]),
                    fmt(s["junk_removed_mean"]),
                    title,
                ]
            un = r.get("speed_unlabeled")
            ratio = r.get("time_ratio_to_zhengwen")
            cells = [
                r["system"],
                r["input"],
                *quality,
                fmt(sp["pages_per_second"], ".1f"),
                fmt(un["pages_per_second"], ".1f") if un else "—",
                fmt(ratio, ".2f") if ratio is not None else "—",
                f"{sp['failures']} / {sp['empty_outputs']}",
            ]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(out)


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
    }


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


def speed_only(args: argparse.Namespace) -> int:
    pages = load_pages(args.eval / "dev" / "text", None, args.limit)
    unlabeled = load_unlabeled(args.eval / "unlabeled", args.limit)
    runners, skipped = build_runners(["zhengwen"])
    if skipped:
        print(skipped["zhengwen"])
        return 1
    warm_up(runners, pages[0], args.timeout)
    result: dict[str, Any] = {"machine": machine(), "versions": versions(), "git": git_describe()}
    for label, ps in (("dev", pages), ("unlabeled", unlabeled)):
        tally = run_pass(runners, ps, None, args.timeout, progress=False)["zhengwen"]
        j = tally.to_json()
        result[f"zhengwen_{label}"] = j
        print(
            f"zhengwen on {label} ({len(ps)} pages): {fmt(j['pages_per_second'], '.1f')} pages/s, "
            f"median {fmt(j['ms_per_page_median'], '.1f')} ms/page, {j['failures']} failures"
        )
        if j["wall_seconds_total"]:
            share = j["cpu_seconds_total"] / j["wall_seconds_total"]
            print(f"  ({share:.0%} of a core: process CPU time / wall time)")
        if tally.failures:
            print(f"  first failure: {next(iter(tally.failures.values()))}")
    result["startup"] = startup_timings(args.startup_runs)
    for line in startup_lines(result["startup"]):
        print(line)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "speed.json").write_text(
            json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return 0


def full(args: argparse.Namespace) -> int:
    names = (
        [s.name for s in SYSTEMS]
        if args.systems == "all"
        else [n.strip() for n in args.systems.split(",") if n.strip()]
    )
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        sys.exit(f"unknown system(s): {', '.join(unknown)}; --list shows them")
    dev = args.eval / "dev"
    gold_dir, score_py = dev / "gold", args.eval / "score.py"
    pages = load_pages(dev / "text", dev / "html", args.limit)
    if not pages:
        sys.exit(f"no pages in {dev / 'text'}")
    for msg in check_against_gold(pages, gold_dir):
        print(f"warning: {msg}", file=sys.stderr)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    runners, skipped = build_runners(names)
    for name in runners:
        pred_dir = out / "pred" / name
        if pred_dir.exists():
            shutil.rmtree(pred_dir)
        pred_dir.mkdir(parents=True)

    print(f"dev: {len(pages)} pages through {len(runners)} systems", file=sys.stderr)
    warm_up(runners, pages[0], args.timeout)
    dev_tallies = run_pass(runners, pages, out / "pred", args.timeout, progress=True)

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

    gold = gold_for(pages, gold_dir, out, args.limit is not None)
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
            row["score"] = score(
                score_py, gold, out / "pred" / name, out / "scores" / f"{name}.json"
            )
            row["speed_dev"] = dev_tallies[name].to_json()
            row["time_ratio_to_zhengwen"] = ratio_to(dev_tallies, name, "zhengwen")
            if name in un_tallies:
                row["speed_unlabeled"] = un_tallies[name].to_json()
                row["time_ratio_to_zhengwen_unlabeled"] = ratio_to(un_tallies, name, "zhengwen")
        rows.append(row)

    md = table(rows)
    notes = [
        f"{len(pages)} dev pages, {n_unlabeled} unlabeled pages (speed of text systems); "
        f"git {git_describe()}; zhengwen from {versions()['zhengwen_source']}"
    ]
    wall = sum(sum(t.times.values()) for t in [*dev_tallies.values(), *un_tallies.values()])
    cpu = sum(sum(t.cpu.values()) for t in [*dev_tallies.values(), *un_tallies.values()])
    if wall > 0:
        notes.append(
            f"timed calls got {cpu / wall:.0%} of a core (process CPU time / wall time): "
            "the rest went to other processes on the machine"
        )
    for name, tally in dev_tallies.items():
        if tally.failures:
            first = next(iter(tally.failures.items()))
            notes.append(f"{name}: {len(tally.failures)} failures; first: {first[0]}: {first[1]}")
    result: dict[str, Any] = {
        "command": sys.argv,
        "machine": machine(),
        "versions": versions(),
        "git": git_describe(),
        "pages": len(pages),
        "rows": rows,
    }
    if args.startup and "zhengwen" in runners:
        result["startup"] = startup_timings(args.startup_runs)
        notes += startup_lines(result["startup"])
    print(md)
    print()
    for n in notes:
        print(n)
    (out / "table.md").write_text(md + "\n\n" + "\n".join(notes) + "\n", encoding="utf-8")
    (out / "results.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(
        f"\nwrote {out / 'results.json'}, {out / 'table.md'} and predictions in {out / 'pred'}",
        file=sys.stderr,
    )
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
        "--systems",
        default="all",
        help="comma-separated system names, or 'all' (default); --list shows them",
    )
    ap.add_argument(
        "--limit",
        type=int,
        default=None,
        help="first N dev pages (and first N unlabeled pages) only",
    )
    ap.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_S,
        help=f"seconds per extraction call before it is a failure (default {TIMEOUT_S:g})",
    )
    ap.add_argument(
        "--no-unlabeled",
        dest="unlabeled",
        action="store_false",
        help="skip the speed pass over unlabeled/**/*.txt",
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
        help="time zhengwen alone (dev, unlabeled, CLI end to end, import)",
    )
    ap.add_argument("--list", action="store_true", help="list the systems and exit")
    args = ap.parse_args(argv)
    for var in ONE_THREAD:
        os.environ.setdefault(var, "1")
    if args.list:
        for s in SYSTEMS:
            print(f"{s.name:28} {s.input:5} {s.description}")
        return 0
    if args.speed_only:
        return speed_only(args)
    return full(args)


if __name__ == "__main__":
    sys.exit(main())
