"""The dev-set gate: the shipped models must not fall below the pinned floors.

Floors live in ``tests/gate_floors.json`` (``text``: ``extract`` on the dev
texts; ``html``: ``extract_html`` on their original HTML) and are a ratchet: raise them when
the numbers improve; lowering one needs a reason in the commit message. The
figures are in-sample (the shipped models were fitted on these pages); the
honest, site-grouped cross-validation figures are gated by
``tools/train.py --cv --check tests/cv_floors.json`` (and ``--html`` with
``tests/cv_html_floors.json``) in ``.ci/run``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import zhengwen
from conftest import ROOT, read_tsv
from zhengwen.decode import never_headline
from zhengwen.features import page_features
from zhengwen.html import extract_html
from zhengwen.normalize import feature_text
from zhengwen.options import DEFAULT

FLOORS = json.loads((ROOT / "tests" / "gate_floors.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_dev_set_gate(dev_dir: Path, tmp_path: Path) -> None:
    for gold in sorted((dev_dir / "gold").glob("*.tsv")):
        _, texts = read_tsv(gold)
        write_prediction(tmp_path, gold.stem, zhengwen.extract("\n".join(texts), html=False))
    check(dev_dir, tmp_path, FLOORS["text"])


@pytest.mark.slow
def test_dev_set_gate_html(dev_dir: Path, tmp_path: Path) -> None:
    """The HTML path on each dev page's original HTML (its lines are the gold's)."""
    for gold in sorted((dev_dir / "gold").glob("*.tsv")):
        html = (dev_dir / "html" / f"{gold.stem}.html").read_bytes()
        doc = extract_html(html)
        _, texts = read_tsv(gold)
        if len(doc.lines) == len(texts):
            write_prediction(tmp_path, gold.stem, doc)
        else:  # the HTML reader split this page differently: score the kept text
            (tmp_path / f"{gold.stem}.txt").write_text(doc.body, encoding="utf-8")
            write_title(tmp_path, gold.stem, doc)
    check(dev_dir, tmp_path, FLOORS["html"])


def test_no_dev_headline_has_a_form_that_is_never_the_headline(dev_dir: Path) -> None:
    """``decode.never_headline`` rules out forms that no dev page's gold title has."""
    ruled_out_titles = {}
    for gold in sorted((dev_dir / "gold").glob("*.tsv")):
        labels, texts = read_tsv(gold)
        folded = [feature_text(t, DEFAULT.max_line_chars) for t in texts]
        out = never_headline(page_features(folded), folded)
        titles = [t for t, label, o in zip(texts, labels, out) if label == "title" and o]
        if titles:
            ruled_out_titles[gold.stem] = titles
    assert ruled_out_titles == {}


def write_prediction(out: Path, stem: str, doc: zhengwen.Document) -> None:
    rows = "".join(f"{ln.label.value}\t{ln.text}\n" for ln in doc.lines)
    (out / f"{stem}.tsv").write_text(rows, encoding="utf-8")
    write_title(out, stem, doc)


def write_title(out: Path, stem: str, doc: zhengwen.Document) -> None:
    (out / f"{stem}.json").write_text(
        json.dumps({"title": doc.title}, ensure_ascii=False), encoding="utf-8"
    )


def check(dev_dir: Path, tmp_path: Path, floors: dict[str, float]) -> None:
    report = tmp_path / "score.json"
    subprocess.run(
        [
            sys.executable,
            str(dev_dir.parent / "score.py"),
            str(dev_dir / "gold"),
            str(tmp_path),
            "--json",
            str(report),
        ],
        check=True,
        capture_output=True,
    )
    got = json.loads(report.read_text(encoding="utf-8"))
    assert got["missing"] == 0
    below = {k: (got[k], floor) for k, floor in floors.items() if got[k] < floor}
    assert below == {}, f"below the gate's floors (got, floor): {below}"
