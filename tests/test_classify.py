"""The JSON model formats: hand-built models give hand-computed beliefs; bad files are refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from zhengwen.classify import FORMAT, MLP_FORMAT, from_dict, network_from_dict


def tree_model() -> dict[str, object]:
    # Class 0's tree: x0 <= 1 ? (x1 <= 5 ? 1.0 : 2.0) : 3.0 ; class 1's tree: a single leaf 0.5.
    return {
        "format": FORMAT,
        "classes": ["a", "b"],
        "features": ["x0", "x1"],
        "trees": [
            {
                "class": 0,
                "depth": 2,
                "feature": [0, 1],
                "threshold": [1.0, 5.0],
                "left": [1, -1],
                "right": [-3, -2],
                "value": [1.0, 2.0, 3.0],
            },
            {
                "class": 1,
                "depth": 0,
                "feature": [],
                "threshold": [],
                "left": [],
                "right": [],
                "value": [0.5],
            },
        ],
    }


def test_trees_walk_to_the_right_leaves() -> None:
    model = from_dict(tree_model())
    raw = model.raw(np.array([[0.0, 4.0], [0.0, 6.0], [2.0, 0.0]]))
    assert raw[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert raw[:, 1].tolist() == [0.5, 0.5, 0.5]
    probs = model.predict(np.array([[0.0, 4.0]]))
    assert probs[0, 0] == pytest.approx(np.exp(1.0) / (np.exp(1.0) + np.exp(0.5)))


def test_trees_refuse_bad_files() -> None:
    bad = tree_model()
    bad["format"] = "pickle"
    with pytest.raises(ValueError):
        from_dict(bad)
    bad = tree_model()
    bad["trees"][0]["feature"] = [0, 7]  # type: ignore[index]
    with pytest.raises(ValueError):
        from_dict(bad)


def test_network_matches_a_hand_computation() -> None:
    data = {
        "format": MLP_FORMAT,
        "classes": ["a", "b"],
        "features": ["x"],
        "mean": [0.0],
        "scale": [1.0],
        "layers": [
            {"weights": [[1.0, -1.0]], "bias": [0.0, 0.0]},
            {"weights": [[1.0, 0.0], [0.0, 1.0]], "bias": [0.0, 0.0]},
        ],
    }
    net = network_from_dict(data)
    x = np.array([[np.e - 1.0]])  # squashed to log1p(e-1) = 1
    hidden = np.maximum(np.array([1.0, -1.0]), 0.0)
    expected = np.exp(hidden) / np.exp(hidden).sum()
    assert net.predict(x)[0] == pytest.approx(expected)


def test_network_refuses_inconsistent_shapes() -> None:
    data = {
        "format": MLP_FORMAT,
        "classes": ["a", "b"],
        "features": ["x", "y"],
        "mean": [0.0, 0.0],
        "scale": [1.0, 1.0],
        "layers": [{"weights": [[1.0, 0.0, 0.0]], "bias": [0.0, 0.0, 0.0]}],
    }
    with pytest.raises(ValueError):
        network_from_dict(data)


def network_like(name: str, seed: int) -> object:
    """A network of random weights with the inputs and classes of the package's model ``name``
    (124 or 177 features, 128 hidden units): the package ships trees, and networks of the size
    ``tools/train.py --model distilled`` exports are still read (``classify.Network``)."""
    from zhengwen.classify import Network, load

    shipped = load(name)
    n, hidden, k = len(shipped.features), 128, len(shipped.classes)
    rng = np.random.default_rng(seed)
    data = {
        "format": MLP_FORMAT,
        "classes": list(shipped.classes),
        "features": list(shipped.features),
        "mean": rng.normal(0.0, 1.0, n).tolist(),
        "scale": rng.uniform(0.5, 2.0, n).tolist(),
        "layers": [
            {
                "weights": rng.normal(0.0, n**-0.5, (n, hidden)).tolist(),
                "bias": rng.normal(0.0, 0.1, hidden).tolist(),
            },
            {
                "weights": rng.normal(0.0, hidden**-0.5, (hidden, k)).tolist(),
                "bias": np.zeros(k).tolist(),
            },
        ],
    }
    model = network_from_dict(data)
    assert isinstance(model, Network)
    return model


def test_networks_give_the_same_beliefs_in_blocks() -> None:
    """A long page goes through the network in row blocks; every row's belief is unchanged."""
    from zhengwen.classify import NET_ROW_BLOCK

    model: Any = network_like("pass1", 1)
    rng = np.random.default_rng(3)
    x = rng.gamma(1.0, 5.0, size=(2 * NET_ROW_BLOCK + 17, len(model.features)))
    whole = model.predict(x)
    rows = np.vstack([model.predict(x[i : i + 1]) for i in range(0, len(x), 97)])
    assert whole.shape == (len(x), len(model.classes))
    assert np.allclose(whole[::97], rows, rtol=1e-9, atol=1e-12)
    assert np.allclose(whole.sum(axis=1), 1.0)


def test_trees_refuse_walks_that_could_loop_or_leave_the_tree() -> None:
    for key, value in (
        ("left", [0, -1]),  # node 0 is its own child
        ("left", [1, -7]),  # no leaf 6
        ("right", [-1, -2]),  # leaf 0 has two parents
        ("threshold", [1.0]),  # arrays of different lengths
    ):
        bad = tree_model()
        bad["trees"][0][key] = value  # type: ignore[index]
        with pytest.raises(ValueError):
            from_dict(bad)


def test_models_refuse_inputs_of_another_width() -> None:
    model = from_dict(tree_model())
    with pytest.raises(ValueError):
        model.predict(np.zeros((3, 5)))
    assert model.predict(np.zeros((0, 2))).shape == (0, 2)


def test_models_from_dicts_of_numpy_values() -> None:
    data = tree_model()
    data["trees"][0]["threshold"] = np.array([1.0, 5.0])  # type: ignore[index]
    model = from_dict(data)
    assert model.raw(np.array([[0.0, 6.0]]))[0, 0] == 2.0
    data["trees"][0]["threshold"] = [1.0, float("nan")]  # type: ignore[index]
    with pytest.raises(ValueError):
        from_dict(data)


def test_network_in_single_precision_stays_close_to_double() -> None:
    model: Any = network_like("pass2", 2)
    rng = np.random.default_rng(5)
    x = rng.gamma(1.0, 5.0, size=(700, len(model.features)))
    x[::3] = 0.0
    single, double = model.predict(x), model.predict(x, precision="f64")
    assert np.abs(single - double).max() < 1e-5
    assert np.allclose(double.sum(axis=1), 1.0)


# 8300 rows: above rust/src/stack.rs's SQUASH_PAGE_ROWS (8192), where the core
# squashes a block of rows at a time instead of the whole page.
@pytest.mark.parametrize(
    ("suffix", "rows", "kind"),
    [
        ("", 1500, "shipped"),
        ("-html", 1500, "shipped"),
        ("", 1500, "networks"),
        ("", 8300, "shipped"),
        ("", 8300, "networks"),
    ],
)
def test_core_beliefs_equal_the_passes_composed_in_python(
    suffix: str, rows: int, kind: str
) -> None:
    """decode.beliefs runs both passes and the stacking in the core for the package's
    models (the shipped trees, or networks of their inputs); composed in Python (any
    other model takes that way) they give the same."""
    from zhengwen import decode
    from zhengwen.classify import load

    if kind == "networks":
        first, second = network_like("pass1", 3), network_like("pass2", 4)
    else:
        first, second = load("pass1" + suffix), load("pass2" + suffix)

    class Wrapped:
        def __init__(self, model: object) -> None:
            self.model = model

        def predict(self, x: np.ndarray) -> np.ndarray:
            return self.model.predict(x)  # type: ignore[attr-defined, no-any-return]

    rng = np.random.default_rng(11)
    x = rng.gamma(0.7, 4.0, size=(rows, len(first.features)))
    x[rng.random(x.shape) < 0.5] = 0.0
    core = decode.beliefs(x, (first, second))
    python = decode.beliefs(x, (Wrapped(first), Wrapped(second)))
    assert core.shape == (len(x), len(decode.CLASSES))
    assert np.allclose(core, python, rtol=0.0, atol=1e-12)
    assert decode.beliefs(x[:0], (first, second)).shape == (0, len(decode.CLASSES))
