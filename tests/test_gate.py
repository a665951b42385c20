"""The dev-set gate: the shipped models must not fall below the pinned floors.

Floors live in ``tests/gate_floors.json`` and are a ratchet: raise them when
the numbers improve; lowering one needs a reason in the commit message. The
figures are in-sample (the shipped models were fitted on these pages); the
honest, site-grouped cross-validation figures are gated by
``tools/train.py --cv --check tests/cv_floors.json`` in ``.ci/run``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import zhengwen
from conftest import ROOT, read_tsv

FLOORS = json.loads((ROOT / "tests" / "gate_floors.json").read_text(encoding="utf-8"))


def test_dev_set_gate(dev_dir: Path, tmp_path: Path) -> None:
    for gold in sorted((dev_dir / "gold").glob("*.tsv")):
        _, texts = read_tsv(gold)
        doc = zhengwen.extract("\n".join(texts))
        rows = "".join(f"{ln.label.value}\t{ln.text}\n" for ln in doc.lines)
        (tmp_path / f"{gold.stem}.tsv").write_text(rows, encoding="utf-8")
        (tmp_path / f"{gold.stem}.json").write_text(
            json.dumps({"title": doc.title}, ensure_ascii=False), encoding="utf-8"
        )
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
    below = {k: (got[k], floor) for k, floor in FLOORS.items() if got[k] < floor}
    assert below == {}, f"below the gate's floors (got, floor): {below}"
