"""Titles and dates: zhengwen's against trafilatura's metadata extraction (issue 5).

Runs both on every dev page ``EVAL/dev/html/<page>.html`` and measures:

* **Title.** zhengwen's ``zhengwen.html.extract_html(html_bytes).title`` and
  trafilatura's ``trafilatura.extract_metadata(trafilatura.utils.load_html(html_bytes)).title``,
  each scored against the gold title with the rule of the shared
  ``EVAL/score.py``. That file is *imported* (by path), not copied: its
  ``read_gold`` reads the gold ``LABEL<TAB>TEXT`` lines (split on the first
  tab) and its ``norm`` (NFKC, all whitespace removed) is applied the way
  ``score.py main`` does: the gold title is ``"".join(norm(line))`` over the
  ``title``-labelled lines; a prediction is right when ``norm(pred or "")``
  equals it; pages whose gold has no title line are left out of the accuracy.
  Reported: the accuracy of each, the pages where one is right and the other
  wrong, and that of two combined rules:

  - ``fallback``: ours, or trafilatura's when ours is ``None``;
  - ``prefer_trafilatura``: trafilatura's, or ours when trafilatura's is ``None``.

* **Date.** There is no gold date. The "gold-meta" date of a page is the
  first date ``zhengwen.metadata.parse_date`` finds in the gold's
  ``meta``-labelled lines, in order (pages with none are left out of the
  agreement figures). Reported for zhengwen's ``doc.date`` (ISO 8601, maybe with
  a time), trafilatura's ``metadata.date`` (YYYY-MM-DD) and the ``fallback``
  rule (ours, else trafilatura's): coverage (share of all pages with a date);
  agreement with the gold-meta date on the calendar day (first 10
  characters), both over the pages with a gold-meta date (a missing date
  counts as a miss) and over those where the system also gave a date; and the
  pages where ours and trafilatura's disagree (both present, days differ) or
  only one has a date; and how many of trafilatura's dates are a 1 January
  (htmldate's guess from a year alone). Up to 10 disagreements are printed:
  page, ours, trafilatura's, the gold-meta line.

  The gold-meta date is read with zhengwen's own ``parse_date`` from lines
  that zhengwen, when it labels them ``meta``, also reads its date from: it
  favours zhengwen, so read its agreement as "finds the date the page shows
  in its byline", and judge the printed disagreements by eye.

* **Time.** Wall-clock ms/page for each call. zhengwen's figure is the whole
  ``extract_html`` (body, title and all metadata come out of one call);
  trafilatura's is ``load_html`` plus ``extract_metadata`` (no body extraction).

Usage (from the checkout; needs the ``bench`` extra for trafilatura)::

    nice -n 10 .venv/bin/python benchmarks/metadata.py [--eval ../shared/eval] [--out out/metadata]
        [--limit N]

Prints a Markdown table and the sample of date disagreements; writes
``OUT/metadata.json`` (summary, table, per-page rows: gold title, both
titles and their verdicts, both dates, the gold-meta date and its line, both
timings) and ``OUT/table.md``. If zhengwen's model files are being
re-exported during a run, ``extract_html`` may raise ``RuntimeError``; that
page is retried after a minute (three tries), with a note on stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_OUT = ROOT / "out" / "metadata"
SAMPLE = 10
"""Date disagreements printed."""
RETRIES, RETRY_WAIT_S = 3, 60.0
"""Tries of ``extract_html`` on a RuntimeError (models being re-exported), and the wait between."""


def load_score(eval_dir: Path) -> ModuleType:
    """The shared ``score.py``, imported by path (its ``norm`` and ``read_gold`` are used)."""
    path = eval_dir / "score.py"
    spec = importlib.util.spec_from_file_location("eval_score", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(html: bytes) -> tuple[Any, float]:
    """zhengwen's Document for ``html`` and the seconds it took (retried on RuntimeError)."""
    from zhengwen.html import extract_html

    for attempt in range(1, RETRIES + 1):
        try:
            t0 = time.perf_counter()
            doc = extract_html(html)
            return doc, time.perf_counter() - t0
        except RuntimeError as e:
            if attempt == RETRIES:
                raise
            print(f"extract_html: {e}; retrying in {RETRY_WAIT_S:.0f}s", file=sys.stderr)
            time.sleep(RETRY_WAIT_S)
    raise AssertionError("unreachable")


def theirs(html: bytes) -> tuple[Any, float, str | None]:
    """trafilatura's metadata for ``html``, the seconds it took, and any error."""
    import trafilatura
    from trafilatura.utils import load_html

    t0 = time.perf_counter()
    try:
        tree = load_html(html)
        meta = trafilatura.extract_metadata(tree) if tree is not None else None
        err = None if tree is not None else "load_html gave None"
    except Exception as e:  # a failure is a result here
        meta, err = None, f"{type(e).__name__}: {e}"
    return meta, time.perf_counter() - t0, err


def gold_meta_date(labels: list[str], lines: list[str]) -> tuple[str | None, str | None]:
    """The first date ``parse_date`` finds in the gold ``meta`` lines, and that line."""
    from zhengwen.metadata import parse_date

    for label, line in zip(labels, lines):
        if label == "meta":
            date = parse_date(line)
            if date is not None:
                return date, line
    return None, None


def day(date: str | None) -> str | None:
    return date[:10] if date else None


def share(n: int, d: int) -> float | None:
    return n / d if d else None


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def run(eval_dir: Path, limit: int | None) -> list[dict[str, Any]]:
    score = load_score(eval_dir)
    html_dir, gold_dir = eval_dir / "dev" / "html", eval_dir / "dev" / "gold"
    pages = sorted(html_dir.glob("*.html"))[:limit]
    if not pages:
        sys.exit(f"no *.html pages in {html_dir}")
    rows = []
    for n, path in enumerate(pages, 1):
        html = path.read_bytes()
        labels, lines = score.read_gold(gold_dir / f"{path.stem}.tsv")
        gold_title = "".join(score.norm(t) for t, g in zip(lines, labels) if g == "title")
        doc, t_ours = ours(html)
        meta, t_theirs, err = theirs(html)
        o_title, t_title = doc.title, getattr(meta, "title", None)
        g_date, g_line = gold_meta_date(labels, lines)
        row = {
            "page": path.stem,
            "gold_title": gold_title or None,
            "ours_title": o_title,
            "trafilatura_title": t_title,
            "ours_date": doc.date,
            "trafilatura_date": getattr(meta, "date", None),
            "gold_meta_date": g_date,
            "gold_meta_line": g_line,
            "ours_ms": 1000 * t_ours,
            "trafilatura_ms": 1000 * t_theirs,
            "trafilatura_error": err,
        }
        if gold_title:
            fallback = o_title if o_title is not None else t_title
            prefer_theirs = t_title if t_title is not None else o_title
            for key, title in (
                ("ours", o_title),
                ("trafilatura", t_title),
                ("fallback", fallback),
                ("prefer_trafilatura", prefer_theirs),
            ):
                row[f"{key}_title_ok"] = score.norm(title or "") == gold_title  # score.py's rule
        rows.append(row)
        if n % 20 == 0:
            print(f"{n}/{len(pages)} pages", file=sys.stderr)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    titled = [r for r in rows if r["gold_title"]]
    t = {
        k: share(sum(r[f"{k}_title_ok"] for r in titled), len(titled))
        for k in ("ours", "trafilatura", "fallback", "prefer_trafilatura")
    }
    dated = [r for r in rows if r["gold_meta_date"]]
    dates = {
        "ours": lambda r: r["ours_date"],
        "trafilatura": lambda r: r["trafilatura_date"],
        "fallback": lambda r: r["ours_date"] or r["trafilatura_date"],
    }
    d = {}
    for k, get in dates.items():
        both = [r for r in dated if get(r)]
        agree = sum(day(get(r)) == day(r["gold_meta_date"]) for r in both)
        d[k] = {
            "coverage": share(sum(bool(get(r)) for r in rows), len(rows)),
            "agree_of_gold_dated": share(agree, len(dated)),
            "agree_when_both": share(agree, len(both)),
            "both": len(both),
        }
    disagree = [
        r
        for r in rows
        if r["ours_date"]
        and r["trafilatura_date"]
        and day(r["ours_date"]) != day(r["trafilatura_date"])
    ]
    ours_only = sum(r["ours_title_ok"] and not r["trafilatura_title_ok"] for r in titled)
    theirs_only = sum(r["trafilatura_title_ok"] and not r["ours_title_ok"] for r in titled)
    ms = {k: [r[f"{k}_ms"] for r in rows] for k in ("ours", "trafilatura")}
    return {
        "pages": len(rows),
        "pages_with_gold_title": len(titled),
        "title_accuracy": t,
        "title_ours_right_trafilatura_wrong": ours_only,
        "title_trafilatura_right_ours_wrong": theirs_only,
        "title_ours_none": sum(r["ours_title"] is None for r in rows),
        "title_trafilatura_none": sum(r["trafilatura_title"] is None for r in rows),
        "pages_with_gold_meta_date": len(dated),
        "date": d,
        "date_disagree_pages": [r["page"] for r in disagree],
        "date_only_ours": sum(bool(r["ours_date"]) and not r["trafilatura_date"] for r in rows),
        "date_only_trafilatura": sum(
            bool(r["trafilatura_date"]) and not r["ours_date"] for r in rows
        ),
        "ms_per_page": {k: statistics.fmean(v) for k, v in ms.items()},
        "ms_median": {k: statistics.median(v) for k, v in ms.items()},
        "trafilatura_errors": sum(r["trafilatura_error"] is not None for r in rows),
        "trafilatura_jan1_dates": sum(
            (r["trafilatura_date"] or "").endswith("-01-01") for r in rows
        ),
    }


def table(s: dict[str, Any]) -> str:
    """The summary as a Markdown table, with a line of extras under it."""
    t, d, ms, med = s["title_accuracy"], s["date"], s["ms_per_page"], s["ms_median"]

    def agree(k: str) -> str:
        of_dated, both = pct(d[k]["agree_of_gold_dated"]), pct(d[k]["agree_when_both"])
        return f"{of_dated} ({both} of {d[k]['both']})"

    def row(name: str, *cells: object) -> str:
        return "| " + " | ".join([name, *map(str, cells)]) + " |"

    lines = [
        row(f"{s['pages']} dev pages", "zhengwen", "trafilatura", "fallback (ours, else theirs)"),
        row("---", "---", "---", "---"),
        row(f"title accuracy ({s['pages_with_gold_title']} with gold title)",
            pct(t["ours"]), pct(t["trafilatura"]), pct(t["fallback"])),
        row("title right, other wrong", s["title_ours_right_trafilatura_wrong"],
            s["title_trafilatura_right_ours_wrong"], ""),
        row("title None", s["title_ours_none"], s["title_trafilatura_none"], ""),
        row("date coverage", *(pct(d[k]["coverage"]) for k in ("ours", "trafilatura", "fallback"))),
        row(f"day = gold-meta ({s['pages_with_gold_meta_date']} pages; of those dated)",
            *(agree(k) for k in ("ours", "trafilatura", "fallback"))),
        row("date only this one", s["date_only_ours"], s["date_only_trafilatura"], ""),
        row("ms/page mean (median)", f"{ms['ours']:.1f} ({med['ours']:.1f})",
            f"{ms['trafilatura']:.1f} ({med['trafilatura']:.1f})", ""),
    ]  # fmt: skip
    extra = (
        f"\nBoth dated, days differ: {len(s['date_disagree_pages'])} pages. "
        f"Title rule prefer_trafilatura (theirs, else ours): {pct(t['prefer_trafilatura'])}. "
        f"trafilatura errors: {s['trafilatura_errors']}; "
        f"its dates on 1 January (year-only guesses): {s['trafilatura_jan1_dates']}.\n"
    )
    return "\n".join(lines) + "\n" + extra


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="the shared eval folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    ap.add_argument("--limit", type=int, default=None, help="only the first N dev pages")
    args = ap.parse_args(argv)

    rows = run(args.eval, args.limit)
    s = summarise(rows)
    md = table(s)
    print(md)
    by_page = {r["page"]: r for r in rows}
    print(f"Date disagreements (up to {SAMPLE}): page | ours | trafilatura | gold-meta line")
    for page in s["date_disagree_pages"][:SAMPLE]:
        r = by_page[page]
        line = (r["gold_meta_line"] or "–")[:80]
        print(f"  {page} | {r['ours_date']} | {r['trafilatura_date']} | {line}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(md, encoding="utf-8")
    report = {"summary": s, "table_markdown": md, "per_page": rows}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    (args.out / "metadata.json").write_text(text, encoding="utf-8")
    print(f"wrote {args.out / 'metadata.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
