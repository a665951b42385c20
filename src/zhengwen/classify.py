"""Evaluate the line classifiers stored as readable JSON files (no pickle).

Two kinds, both written by ``tools/train.py``:

* ``zhengwen-mlp/1``: a small neural network (scikit-learn's MLP) as weight
  matrices. Its cost is two matrix products per page, which is why the
  package ships it.
* ``zhengwen-trees/1``: a LightGBM tree ensemble as flat arrays of split
  feature, threshold, children and leaf values. ``Ensemble.predict`` walks all
  trees for all lines at once, one numpy gather per tree level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = "zhengwen-trees/1"
ROW_BLOCK = 256  # lines walked through the trees at once (working memory ~ ROW_BLOCK × trees)
MLP_FORMAT = "zhengwen-mlp/1"
NET_ROW_BLOCK = 1024  # lines through a network at once (working memory ~ NET_ROW_BLOCK × width)


@dataclass(frozen=True)
class Network:
    """A feed-forward network with ReLU hidden layers and a softmax output.

    Inputs are squashed (``sign(x)·log1p(|x|)``: counts and lengths span
    orders of magnitude) and standardised with the training set's mean and
    scale before the first layer.
    """

    classes: tuple[str, ...]
    features: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    weights: tuple[npt.NDArray[np.float64], ...]
    biases: tuple[npt.NDArray[np.float64], ...]

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Class probabilities: ``(rows, classes)``.

        Rows go through in blocks of ``NET_ROW_BLOCK``: the working arrays then
        stay in the CPU cache, so a page of 100,000 lines costs per line what a
        page of 300 does.
        """
        if x.shape[0] <= NET_ROW_BLOCK:
            return self._predict(x)
        out = np.empty((x.shape[0], len(self.classes)))
        for start in range(0, x.shape[0], NET_ROW_BLOCK):
            out[start : start + NET_ROW_BLOCK] = self._predict(x[start : start + NET_ROW_BLOCK])
        return out

    def _predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        h = (np.sign(x) * np.log1p(np.abs(x)) - self.mean) / self.scale
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w + b
            if i < last:
                np.maximum(h, 0.0, out=h)
        h -= h.max(axis=1, keepdims=True)
        e = np.exp(h)
        out: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
        return out


def network_from_dict(data: dict[str, Any]) -> Network:
    """Build a Network from its JSON structure; reject inconsistent shapes."""
    if data.get("format") != MLP_FORMAT:
        raise ValueError(f"not a {MLP_FORMAT} model: format={data.get('format')!r}")
    classes = tuple(str(c) for c in data["classes"])
    features = tuple(str(f) for f in data["features"])
    mean = np.asarray(data["mean"], dtype=np.float64)
    scale = np.asarray(data["scale"], dtype=np.float64)
    weights = tuple(np.asarray(layer["weights"], dtype=np.float64) for layer in data["layers"])
    biases = tuple(np.asarray(layer["bias"], dtype=np.float64) for layer in data["layers"])
    width = len(features)
    if mean.shape != (width,) or scale.shape != (width,) or not (scale > 0).all():
        raise ValueError("mean/scale do not match the feature list")
    for w, b in zip(weights, biases, strict=True):
        if w.ndim != 2 or w.shape[0] != width or b.shape != (w.shape[1],):
            raise ValueError(f"layer shape {w.shape} does not follow width {width}")
        width = w.shape[1]
    if width != len(classes):
        raise ValueError(f"output width {width} != {len(classes)} classes")
    return Network(classes, features, mean, scale, weights, biases)


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
        """Summed leaf values per class: ``(rows, classes)``.

        Rows go through in blocks of ``ROW_BLOCK``, so the working arrays
        (rows × trees) stay the same size however long the page is.
        """
        n = x.shape[0]
        out = np.tile(self.base, (n, 1))
        if n == 0 or self.feature.shape[0] == 0:
            return out
        for start in range(0, n, ROW_BLOCK):
            block = x[start : start + ROW_BLOCK]
            out[start : start + len(block)] += self._leaves(block)
        return out

    def _leaves(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        n = x.shape[0]
        n_trees, width = self.feature.shape
        # Every (line, tree) pair walks one level per step through the flat
        # node arrays; 1-D take is about twice as fast as 2-D fancy indexing.
        feature, threshold = self.feature.ravel(), self.threshold.ravel()
        left, right = self._children
        cells = np.ascontiguousarray(x).ravel()
        row_start = (np.arange(n) * x.shape[1])[:, None]
        node = np.tile(np.arange(n_trees) * width, (n, 1))
        for _ in range(self.depth):
            go_left = cells.take(row_start + feature.take(node)) <= threshold.take(node)
            node = np.where(go_left, left.take(node), right.take(node))
        leaf = self.value.ravel().take(node)
        sums = np.zeros((n, len(self.classes)))
        for k in range(len(self.classes)):
            sums[:, k] = leaf[:, self.tree_class == k].sum(axis=1)
        return sums

    @cached_property
    def _children(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Left and right children as indices into the flattened node arrays."""
        offset = (np.arange(self.feature.shape[0]) * self.feature.shape[1])[:, None]
        return (self.left + offset).ravel(), (self.right + offset).ravel()

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Class probabilities: ``(rows, classes)`` (sigmoid for one class, softmax else)."""
        raw = self.raw(x)
        out: npt.NDArray[np.float64]
        if len(self.classes) == 1:
            out = 1.0 / (1.0 + np.exp(-raw))
            return out
        raw -= raw.max(axis=1, keepdims=True)
        e = np.exp(raw)
        out = e / e.sum(axis=1, keepdims=True)
        return out


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


Classifier = Ensemble | Network


@cache
def load(name: str) -> Classifier:
    """The packaged model ``model/<name>.json``, parsed once, of either kind."""
    text = resources.files("zhengwen").joinpath("model", f"{name}.json").read_text("utf-8")
    return parse(json.loads(text))


def parse(data: dict[str, Any]) -> Classifier:
    """A model of either kind from its JSON structure (see ``load``)."""
    if data.get("format") == MLP_FORMAT:
        return network_from_dict(data)
    return from_dict(data)
