"""Evaluate a gradient-boosted tree ensemble stored as a readable JSON file.

The model files under ``model/`` are written by ``tools/train.py`` from
LightGBM (no pickle): every tree as flat arrays of split feature, threshold,
children and leaf values. ``Ensemble.predict`` walks all trees for all lines
at once, one numpy gather per tree level, so its cost is a few array
operations per page, not a Python loop per tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = "zhengwen-trees/1"


@dataclass(frozen=True)
class Ensemble:
    """A multiclass (or binary, one class) additive tree model.

    Node arrays are ``(trees, nodes)``; leaves point to themselves and hold
    ``threshold = +inf`` so that walking ``depth`` levels from the root lands
    every line on its leaf whatever the tree's own depth.
    """

    classes: tuple[str, ...]
    features: tuple[str, ...]
    tree_class: npt.NDArray[np.int64]
    feature: npt.NDArray[np.int64]
    threshold: npt.NDArray[np.float64]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    depth: int
    base: npt.NDArray[np.float64]

    def raw(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Summed leaf values per class: ``(rows, classes)``."""
        n = x.shape[0]
        n_trees = self.feature.shape[0]
        out = np.tile(self.base, (n, 1))
        if n == 0 or n_trees == 0:
            return out
        trees = np.arange(n_trees)[None, :]
        rows = np.arange(n)[:, None]
        node = np.zeros((n, n_trees), dtype=np.int64)
        for _ in range(self.depth):
            go_left = x[rows, self.feature[trees, node]] <= self.threshold[trees, node]
            node = np.where(go_left, self.left[trees, node], self.right[trees, node])
        leaf = self.value[trees, node]
        for k in range(len(self.classes)):
            out[:, k] += leaf[:, self.tree_class == k].sum(axis=1)
        return out

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Class probabilities: ``(rows, classes)`` (sigmoid for one class, softmax else)."""
        raw = self.raw(x)
        if len(self.classes) == 1:
            return 1.0 / (1.0 + np.exp(-raw))
        raw -= raw.max(axis=1, keepdims=True)
        e = np.exp(raw)
        return e / e.sum(axis=1, keepdims=True)


def from_dict(data: dict[str, Any]) -> Ensemble:
    """Build an Ensemble from the JSON structure; reject anything unexpected."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} model: format={data.get('format')!r}")
    classes = tuple(str(c) for c in data["classes"])
    features = tuple(str(f) for f in data["features"])
    trees = data["trees"]
    width = max((len(t["feature"]) + len(t["value"]) for t in trees), default=1)
    shape = (len(trees), width)
    feature = np.zeros(shape, dtype=np.int64)
    threshold = np.full(shape, np.inf)
    left = np.tile(np.arange(width), (len(trees), 1))
    right = left.copy()
    value = np.zeros(shape)
    depth = 1
    tree_class = np.zeros(len(trees), dtype=np.int64)
    for t, tree in enumerate(trees):
        n_inner = len(tree["feature"])
        tree_class[t] = int(tree["class"])
        if not 0 <= tree_class[t] < len(classes):
            raise ValueError(f"tree {t}: class {tree_class[t]} out of range")
        depth = max(depth, int(tree["depth"]))

        def node(ref: int, n_inner: int = n_inner) -> int:
            # Inner nodes keep their index; leaf j (stored as -1 - j) follows them.
            return ref if ref >= 0 else n_inner + (-1 - ref)

        for i in range(n_inner):
            f = int(tree["feature"][i])
            if not 0 <= f < len(features):
                raise ValueError(f"tree {t}: feature {f} out of range")
            feature[t, i] = f
            threshold[t, i] = float(tree["threshold"][i])
            left[t, i] = node(int(tree["left"][i]))
            right[t, i] = node(int(tree["right"][i]))
        for j, v in enumerate(tree["value"]):
            value[t, n_inner + j] = float(v)
    base = np.asarray(data.get("base", [0.0] * len(classes)), dtype=np.float64)
    return Ensemble(
        classes, features, tree_class, feature, threshold, left, right, value, depth, base
    )


@cache
def load(name: str) -> Ensemble:
    """The packaged model ``model/<name>.json``, parsed once."""
    text = resources.files("zhengwen").joinpath("model", f"{name}.json").read_text("utf-8")
    return from_dict(json.loads(text))
