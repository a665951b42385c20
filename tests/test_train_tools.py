"""tools/train.py's bookkeeping: folds keep a site whole across eval folders, floors name groups."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "lightgbm", reason="tools/train.py needs the train extra (pip install -e '.[train]')"
)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import train


def page(name: str, site: str, folder: str, lines: int = 10) -> train.Page:
    return train.Page(
        name, site, ["x"] * lines, ["body"] * lines, np.zeros((lines, 1)), None, folder
    )


def test_a_site_in_both_folders_is_one_fold() -> None:
    pages = [
        page("d1", "sina", "dev"),
        page("t1", "sina", "train"),
        page("t2", "sina", "train"),
        *(page(f"o{i}", f"site{i}", "train" if i % 2 else "dev") for i in range(9)),
    ]
    folds = train.site_folds(pages, 4)
    assert sorted(i for fold in folds for i in fold) == list(range(len(pages)))
    home = {i: f for f, fold in enumerate(folds) for i in fold}
    assert home[0] == home[1] == home[2]


def test_floors_name_their_group_and_a_missing_group_fails() -> None:
    figures = {"body_f1_mean": 0.90, "body_f1_p10": 0.70}
    reports = {"dev": figures, "train": {"body_f1_mean": 0.80, "body_f1_p10": 0.40}}
    assert train.check_floors(reports, {"dev": {"body_f1_mean": 0.9}}) == []
    below = train.check_floors(
        reports, {"train": {"body_f1_mean": 0.85, "body_f1_p10": 0.4}, "all": {"body_f1_mean": 0.5}}
    )
    assert below == [
        "train body_f1_mean: 0.8000 < floor 0.85",
        "all: not scored in this run (scored: ['dev', 'train'])",
    ]


def test_fold_models_need_three_folds() -> None:
    with pytest.raises(ValueError, match="at least 3 folds"):
        train.fold_models([page("a", "a", "dev")], 2)
