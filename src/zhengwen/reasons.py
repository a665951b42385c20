"""Name the evidence behind each line's label: a short reason code a line.

The label comes from the models and the decode; the reason names the
strongest piece of evidence that agrees with it, so ``--explain`` and the
``reasons`` counter say *why* in terms a person can check
(``section_header:为你推荐``, ``icp_pattern``, ``sentence_prose``). When no
single rule stands out the code is ``model:<label>``.

The codes are computed in the compiled core (``rust/src/reasons.rs``), which
gives ``zhengwen.extract`` a page's reasons with its labels; ``explain`` here
asks it for a ``PageDecision`` (the training tools' and tests' decisions).
"""

from __future__ import annotations

import numpy as np

from zhengwen import _core, engine
from zhengwen.decode import PageDecision, _codes

PROSE_HAN: float = _core.REASONS_PROSE_HAN  # Han characters from which a punctuated line is prose


def explain(folded: list[str], page: PageDecision) -> list[str]:
    """One reason code per line, from the page's features and final labels."""
    x = np.ascontiguousarray(page.features, dtype=np.float64)
    cols = x.shape[1] if x.ndim == 2 else 0
    reasons: list[str] = engine.reasons().explain(
        engine.decoder(),
        folded,
        _codes(page.labels),
        x.tobytes(),
        cols,
        list(page.title_rows),
        list(page.dropped),
        page.section_header,
    )
    return reasons
