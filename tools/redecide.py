#!/usr/bin/env python3
"""Decide the labelled pages again from a site-grouped CV run's fold models, without training.

``tools/train.py --cv --keep-folds --pred RUN`` writes each fold's two models
(the package's JSON format) and the pages it held out to ``RUN/folds/<k>/``,
and every page's out-of-fold beliefs to ``RUN/<page>.npy``. This script
decides every page again with the code as it is now: each page by its own
fold's models, the headline ranker fitted on the other folds' saved beliefs,
exactly as ``--cv`` does. So a change to the decoder or the ranker (anything
after the two networks) is measured in seconds instead of a CV run's 25
minutes. A change to the features or the training needs a new CV run.

Usage::

    python tools/train.py --cv --keep-folds --pred out/cv
    python tools/redecide.py out/cv --pred out/cv-again
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import train

from zhengwen import classify


def load_folds(run: Path, pages: list[train.Page]) -> list[tuple[list[int], tuple]]:
    """The folds a ``--keep-folds`` run wrote: held-out page indices and their two models."""
    index = {p.name: i for i, p in enumerate(pages)}
    if not (run / "folds").is_dir():
        raise SystemExit(f"{run}/folds is absent: run train.py --cv --keep-folds --pred {run}")
    folds = []
    for where in sorted((run / "folds").iterdir(), key=lambda d: int(d.name)):
        held = json.loads((where / "pages.json").read_text(encoding="utf-8"))
        missing = [name for name in held if name not in index]
        if missing:
            raise SystemExit(f"{where}: pages not among the labelled pages: {missing[:3]}")
        models = tuple(
            classify.parse(json.loads((where / f"pass{k}.json").read_text(encoding="utf-8")))
            for k in (1, 2)
        )
        folds.append(([index[name] for name in held], models))
    held = sorted(i for fold, _ in folds for i in fold)
    if held != list(range(len(pages))):
        raise SystemExit(f"{run}/folds does not hold out every page exactly once")
    return folds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path, help="the PRED folder of a --cv --keep-folds run")
    ap.add_argument("--pred", type=Path, help="where to write (default RUN/redecided)")
    ap.add_argument("--eval", type=Path, default=train.SHARED, help="the eval data's root")
    ap.add_argument("--sets", default=",".join(train.SETS), help="as the run had them")
    ap.add_argument("--html", action="store_true", help="the run was an --html one")
    args = ap.parse_args(argv)
    train.HTML = args.html
    pages = train.load_pages(args.eval, tuple(args.sets.split(",")))
    folds = load_folds(args.run, pages)
    oof = [np.load(args.run / f"{p.name}.npy") for p in pages]
    pred = args.pred or args.run / "redecided"
    pred.mkdir(parents=True, exist_ok=True)
    train.decide_folds(pages, folds, oof, pred)
    train.score(args.eval, pages, pred)
    return 0


if __name__ == "__main__":
    sys.exit(main())
