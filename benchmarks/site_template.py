"""What ``--site-template`` does on one site: the 163.com dev pages scored with and without it.

Writes a JSON Lines file (in a temporary folder) of the 66 unlabeled 163.com
pages (``shared/eval/unlabeled/163.com/*.txt``) and the labelled ones
(``shared/eval/dev/text/cx163-*.txt``), each with the URL
``http://news.163.com/<name>`` so that all are one site. Runs the command line
on it twice, ``python -m zhengwen --jsonl --keep-labels`` without and with
``--site-template``, writes ``<pred>/{plain,template}/<page>.tsv`` for the
labelled pages, and scores both with ``shared/eval/score.py`` against a gold
folder holding only the cx163 gold pages (symlinks). Prints the two score
blocks side by side, then each labelled page's F1.

    .venv/bin/python benchmarks/site_template.py [--shared ../shared] [-j 2] [--pred DIR]

It reads ``../shared`` at run time and copies nothing into the repository.

Read the figures with care: the shipped models were trained on the dev pages,
the cx163 pages among them, so these are in-sample, and they are eight pages
of one site. The honest, site-grouped estimate of what templates give (every
page predicted by models fitted without any page of its site) comes from
``python tools/train.py --cv --template``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
HOST = "http://news.163.com/"
LABELLED = "cx163-*"

# score.py's summary keys shown, with the names printed for them.
FIGURES = (
    ("body_f1_mean", "body F1, mean"),
    ("body_f1_median", "body F1, median"),
    ("body_f1_p10", "body F1, 10th pct"),
    ("body_precision_mean", "precision, mean"),
    ("body_recall_mean", "recall, mean"),
    ("junk_removed_mean", "junk removed, mean"),
    ("title_accuracy", "title accuracy"),
)


def write_input(shared: Path, path: Path) -> list[str]:
    """The JSONL of every 163.com page; gives the names of the labelled ones."""
    eval_dir = shared / "eval"
    unlabeled = sorted((eval_dir / "unlabeled" / "163.com").glob("*.txt"))
    labelled = sorted((eval_dir / "dev" / "text").glob(f"{LABELLED}.txt"))
    labelled = [p for p in labelled if (eval_dir / "dev" / "gold" / f"{p.stem}.tsv").is_file()]
    with path.open("w", encoding="utf-8") as out:
        for page in [*unlabeled, *labelled]:
            # Names do not overlap between the two folders; the folder goes in the URL anyway.
            url = f"{HOST}{page.parent.name}/{page.stem}"
            text = page.read_text(encoding="utf-8")
            row = {"url": url, "page": page.stem, "labelled": page in labelled, "text": text}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return [p.stem for p in labelled]


def run_cli(source: Path, output: Path, jobs: int, template: bool) -> str:
    """Run the command line on ``source``; its stderr summary."""
    argv = [sys.executable, "-m", "zhengwen", "--jsonl", "--keep-labels", "-j", str(jobs)]
    if template:
        argv.append("--site-template")
    done = subprocess.run(
        [*argv, "-o", str(output), str(source)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"zhengwen failed ({done.returncode}):\n{done.stderr}")
    return done.stderr.strip()


def write_predictions(output: Path, pred: Path) -> None:
    """``pred/<page>.tsv`` (LABEL<TAB>TEXT per line) for each labelled record of ``output``."""
    pred.mkdir(parents=True, exist_ok=True)
    for line in output.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("labelled"):
            rows = "".join(f"{ln['label']}\t{ln['text']}\n" for ln in row["lines"])
            (pred / f"{row['page']}.tsv").write_text(rows, encoding="utf-8")


def score(shared: Path, gold: Path, pred: Path, report: Path) -> dict[str, object]:
    """score.py's summary (with ``per_page``) for ``pred`` against ``gold``."""
    script = shared / "eval" / "score.py"
    done = subprocess.run(
        [sys.executable, str(script), str(gold), str(pred), "--json", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"score.py failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--pred", type=Path, help="keep the predictions here (default: a temp dir)")
    args = parser.parse_args(argv)
    if not (args.shared / "eval" / "score.py").is_file():
        print(f"no eval set at {args.shared}", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="zhengwen-site-") as temp:
        work = Path(temp)
        source = work / "163.jsonl"
        names = write_input(args.shared, source)
        if not names:
            print("no labelled cx163 pages found", file=sys.stderr)
            return 1
        gold = work / "gold"
        gold.mkdir()
        for name in names:
            (gold / f"{name}.tsv").symlink_to(
                (args.shared / "eval" / "dev" / "gold" / f"{name}.tsv").resolve()
            )
        pred_root = args.pred or work / "pred"
        results: dict[str, dict[str, object]] = {}
        for kind, template in (("plain", False), ("template", True)):
            output = work / f"{kind}.jsonl"
            summary = run_cli(source, output, args.jobs, template)
            print(f"{kind}: {summary}")
            write_predictions(output, pred_root / kind)
            results[kind] = score(args.shared, gold, pred_root / kind, work / f"{kind}.json")

    plain, templ = results["plain"], results["template"]
    print(f"\n{len(names)} labelled 163.com pages (in-sample: the models saw them)")
    print(f"{'':22}{'without':>9}{'with':>9}")
    for key, label in FIGURES:
        before, after = plain.get(key), templ.get(key)
        if isinstance(before, float) and isinstance(after, float):
            print(f"{label:22}{before:9.4f}{after:9.4f}")
    print(f"\n{'page':22}{'F1 without':>11}{'F1 with':>9}")
    pages_before = {r["page"]: r for r in plain["per_page"]}  # type: ignore[attr-defined]
    for row in templ["per_page"]:  # type: ignore[attr-defined]
        before = pages_before[row["page"]]
        print(f"{row['page']:22}{before['f1']:11.4f}{row['f1']:9.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
