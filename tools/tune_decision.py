#!/usr/bin/env python3
"""Score the package's decision step on saved cross-validation beliefs.

``tools/train.py --cv`` saves each page's second-pass beliefs as
``PRED/<page>.npy``. This replays ``zhengwen.core.labels_from_probs`` over
them for a grid of body thresholds and prints score.py's summary for each,
so the decision constants can be calibrated without retraining::

    python tools/tune_decision.py out/cv
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from zhengwen.decode import labels_from_probs

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval"


def load_score():
    spec = importlib.util.spec_from_file_location("score", SHARED / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def evaluate(pred: Path, threshold: float, score) -> dict[str, float]:
    f1s, junk, hits, n_title = [], [], 0, 0
    for gold_path in sorted((SHARED / "dev" / "gold").glob("*.tsv")):
        glabels, lines = score.read_gold(gold_path)
        probs = np.load(pred / f"{gold_path.stem}.npy")
        labels, _ = labels_from_probs(probs, threshold)
        plabels = [lab.value for lab in labels]
        s = score.score_page(glabels, plabels, lines)
        f1s.append(s["f1"])
        junk.append(s["junk_removed"])
        gt = "".join(score.norm(t) for t, g in zip(lines, glabels) if g == "title")
        pt = "".join(score.norm(t) for t, p in zip(lines, plabels) if p == "title")
        if gt:
            n_title += 1
            hits += gt == pt
    f1s.sort()
    return {
        "f1_mean": float(np.mean(f1s)),
        "f1_p10": f1s[int(0.1 * (len(f1s) - 1))],
        "junk": float(np.mean(junk)),
        "title": hits / max(n_title, 1),
    }


def main() -> int:
    pred = Path(sys.argv[1])
    score = load_score()
    for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        r = evaluate(pred, t, score)
        print(f"threshold {t:.2f}: " + "  ".join(f"{k} {v:.4f}" for k, v in r.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
