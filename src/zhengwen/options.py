"""Every tunable of the pipeline, in one frozen dataclass: the only place defaults live."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (6 ms of start-up)
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True, slots=True)
class Options:
    """Options for ``extract``.

    Attributes:
        body_threshold: probability (0..1) from which a line is body after
            decoding. Calibrated on the site-grouped cross-validation beliefs
            of the dev pages with ``tools/tune_decision.py``: among 0.30 to
            0.60, 0.50 gave the highest mean body F1 (0.882) and p10 (0.652).
        favor_precision: raise the threshold by ``precision_shift`` to let
            less junk through at some cost in recall.
        favor_recall: lower the threshold by ``precision_shift``.
        precision_shift: how far (probability units) the two ``favor_*``
            switches move the threshold.
        max_line_chars: lines longer than this many characters are cut to it
            for feature computation only (their text is kept whole), so one
            10 MB line costs time in proportion to this cap, not to its size.
    """

    body_threshold: float = 0.5
    favor_precision: bool = False
    favor_recall: bool = False
    precision_shift: float = 0.15
    max_line_chars: int = 20_000

    def __post_init__(self) -> None:
        if not 0.0 <= self.body_threshold <= 1.0:
            raise ValueError(f"body_threshold must be in [0, 1], got {self.body_threshold!r}")
        if self.favor_precision and self.favor_recall:
            raise ValueError("favor_precision and favor_recall exclude each other")
        if self.max_line_chars < 1:
            raise ValueError(f"max_line_chars must be positive, got {self.max_line_chars!r}")

    @property
    def threshold(self) -> float:
        """The body threshold after the ``favor_*`` switches."""
        if self.favor_precision:
            return min(1.0, self.body_threshold + self.precision_shift)
        if self.favor_recall:
            return max(0.0, self.body_threshold - self.precision_shift)
        return self.body_threshold

    def override(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied; unknown names raise ``TypeError``."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(sorted(unknown))}")
        return replace(self, **changes)


DEFAULT = Options()
