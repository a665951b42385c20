"""Evaluate the line classifiers stored as readable JSON files (no pickle).

Two kinds, both written by ``tools/train.py`` and evaluated by the compiled
core (``zhengwen._core.Model``, ``rust/src/nets.rs``):

* ``zhengwen-mlp/1``: a small neural network (scikit-learn's MLP) as weight
  matrices. Its cost is two matrix products per page, which is why the
  package ships it.
* ``zhengwen-trees/1``: a LightGBM tree ensemble as flat arrays of split
  feature, threshold, children and leaf values, walked for a block of lines
  at once.

Both are parsed and checked once, from their JSON text; a model built from a
dict (``network_from_dict``, ``from_dict``) goes through the same JSON text.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from zhengwen import _core, engine

FORMAT: str = _core.TREES_FORMAT
MLP_FORMAT: str = _core.MLP_FORMAT
ROW_BLOCK = 64  # lines walked through the trees at once (rust/src/nets.rs TREE_ROW_BLOCK)
NET_ROW_BLOCK = 1024  # lines that callers hand a network at once (decode.beliefs' fallback)


def _doubles(x: npt.ArrayLike, width: int) -> tuple[bytes, int]:
    """``x`` as a ``(rows, width)`` matrix of native doubles, and its rows."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"expected a (rows, {width}) matrix, got shape {a.shape}")
    return a.tobytes(), a.shape[0]


def _matrix(data: bytearray, rows: int, width: int) -> npt.NDArray[np.float64]:
    """A core result (``rows × width`` doubles) as a numpy matrix, without a copy."""
    return np.frombuffer(data, dtype=np.float64).reshape(rows, width)


class _Model:
    """A model held by the compiled core: its classes, features and ``predict``."""

    __slots__ = ("_core", "classes", "features")

    def __init__(self, core: _core.Model) -> None:
        self._core = core
        self.classes: tuple[str, ...] = tuple(core.classes)
        self.features: tuple[str, ...] = tuple(core.features)

    def predict(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Class probabilities: ``(rows, classes)``."""
        data, rows = _doubles(x, len(self.features))
        return _matrix(self._core.predict(data, rows), rows, len(self.classes))


class Network(_Model):
    """A feed-forward network with ReLU hidden layers and a softmax output.

    Inputs are squashed (``sign(x)·log1p(|x|)``: counts and lengths span
    orders of magnitude) and standardised with the training set's mean and
    scale before the first layer. The products run in single precision (it
    changes no label on the dev and train pages: ``tools/check_core_models.py``);
    ``predict(x, precision="f64")`` runs them in double.
    """

    __slots__ = ()

    def predict(self, x: npt.ArrayLike, precision: str | None = None) -> npt.NDArray[np.float64]:
        """Class probabilities: ``(rows, classes)``."""
        data, rows = _doubles(x, len(self.features))
        return _matrix(self._core.predict(data, rows, precision), rows, len(self.classes))


class Ensemble(_Model):
    """A multiclass (or binary, one class) additive tree model.

    ``predict`` gives the sigmoid of the summed leaf values for one class,
    their softmax else; ``raw`` the sums themselves (plus the base).
    """

    __slots__ = ()

    def raw(self, x: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Summed leaf values per class: ``(rows, classes)``."""
        data, rows = _doubles(x, len(self.features))
        return _matrix(self._core.raw(data, rows), rows, len(self.classes))


Classifier = Ensemble | Network


def _json(data: dict[str, Any]) -> str:
    """A model's dict as JSON text (numpy arrays and numbers as lists and floats)."""

    def plain(v: Any) -> Any:
        if isinstance(v, (np.ndarray, np.generic)):
            return v.tolist()
        raise TypeError(f"{type(v).__name__} is not a model value")

    try:
        return json.dumps(data, default=plain, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"not a model: {e}") from e


def network_from_dict(data: dict[str, Any]) -> Network:
    """Build a Network from its JSON structure; reject inconsistent shapes (ValueError)."""
    if data.get("format") != MLP_FORMAT:
        raise ValueError(f"not a {MLP_FORMAT} model: format={data.get('format')!r}")
    return Network(_core.Model(_json(data), MLP_FORMAT))


def from_dict(data: dict[str, Any]) -> Ensemble:
    """Build an Ensemble from the JSON structure; reject anything unexpected (ValueError)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} model: format={data.get('format')!r}")
    return Ensemble(_core.Model(_json(data), FORMAT))


def _wrap(core: _core.Model) -> Classifier:
    return Network(core) if core.format == MLP_FORMAT else Ensemble(core)


@cache
def load(name: str) -> Classifier:
    """The packaged model ``model/<name>.json``, parsed once (``engine.model``), of either kind."""
    return _wrap(engine.model(name))


def parse(data: dict[str, Any]) -> Classifier:
    """A model of either kind from its JSON structure (see ``load``)."""
    if data.get("format") == MLP_FORMAT:
        return network_from_dict(data)
    return from_dict(data)
