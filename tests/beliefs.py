"""Hand-made class beliefs for decoder tests (no model involved)."""

from __future__ import annotations

import numpy as np

from zhengwen.decode import CLASSES


def beliefs(*rows: dict[str, float]) -> np.ndarray:
    """A belief matrix from per-line {class: probability}; the rest goes to 'other'."""
    out = np.zeros((len(rows), len(CLASSES)))
    for i, row in enumerate(rows):
        for name, p in row.items():
            out[i, CLASSES.index(name)] = p
        out[i, CLASSES.index("other")] += 1.0 - out[i].sum()
    return out
