"""Types of the compiled core (rust/, built by maturin)."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")

__version__: str

# --- features (rust/src/features/) ---------------------------------------

AGO_SOURCE: str
EDGE_CHARS: str
PROSE_HAN: float
PROSE_PUNCT: float

class Featurizer:
    """Computes a page's features; built once from the lexicons."""

    def __init__(
        self, exact_index: dict[str, int], function_chars: str, kinds: list[str]
    ) -> None: ...
    @property
    def n_base(self) -> int: ...
    def line_features(self, folded: Iterable[str]) -> bytearray: ...
    def page_features(
        self,
        folded: Iterable[str],
        markup: tuple[Sequence[int], Sequence[str], str | None, str | None] | None = None,
    ) -> bytearray: ...

def html_features(
    folded: Iterable[str],
    link_chars: Sequence[int],
    block: Sequence[str],
    title: str | None,
    h1: str | None,
) -> bytearray: ...
def feature_names(kinds: list[str]) -> tuple[list[str], list[str], list[str]]: ...

# rust/src/fold.rs
def fold_lines(lines: Iterable[str], max_chars: int) -> list[str]: ...

# rust/src/nets.rs
MLP_FORMAT: str
TREES_FORMAT: str

class Model:
    def __init__(self, text: str, expect: str | None = None) -> None: ...
    @property
    def format(self) -> str: ...
    @property
    def classes(self) -> list[str]: ...
    @property
    def features(self) -> list[str]: ...
    def predict(self, data: bytes, rows: int, precision: str | None = None) -> bytearray: ...
    def raw(self, data: bytes, rows: int) -> bytearray: ...

# rust/src/stack.rs
CLASSES: list[str]
STACK_NAMES: list[str]

def stack_features(
    x1: bytes, rows: int, cols: int, probs: bytes, han: int, latin_ratio: int, chars: int
) -> bytearray: ...
def beliefs(
    x1: bytes,
    rows: int,
    cols: int,
    first: Model,
    second: Model,
    han: int,
    latin_ratio: int,
    chars: int,
    precision: str | None = None,
) -> bytearray: ...
def heaviest_run(gain: bytes) -> tuple[int, int]: ...

# rust/src/html.rs
HTML_PARSER: str

def read_html(
    text: str,
) -> tuple[list[str], list[int], list[str], str | None, str | None]: ...

# rust/src/reasons.rs
REASONS_PROSE_HAN: float

class Reasons:
    """The reason codes of a page's lines (``reasons.explain``), built from the lexicons."""

    def __init__(self, kinds: list[str], words: list[list[str]], surnames: list[str]) -> None: ...
    def explain(
        self,
        decoder: Any,
        folded: Iterable[str],
        labels: list[int],
        features: bytes,
        cols: int,
        title_rows: list[int],
        dropped: list[int],
        section_header: int | None,
    ) -> list[str]: ...

# rust/src/engine.rs: a page decided in the core from end to end
# featurizer, both models, the decoder for their columns, and the stacking's
# base columns (han, latin_ratio, chars): zhengwen.engine.parts.
_PageParts = tuple[Featurizer, Model, Model, Any, tuple[int, int, int]]
_Markup = tuple[Sequence[int], Sequence[str], str | None, str | None]

def decide_page(
    parts: _PageParts,
    folded: Iterable[str],
    threshold: float,
    template: Sequence[float] | None = None,
    markup: _Markup | None = None,
    ranker: Any | None = None,
    rules: Any | None = None,
) -> tuple[bytes, bytearray, list[int], list[int], int | None, bytearray]: ...
def extract_page(
    parts: _PageParts,
    reasons: Reasons,
    folded: Iterable[str],
    threshold: float,
    template: Sequence[float] | None = None,
    markup: _Markup | None = None,
    ranker: Any | None = None,
    rules: Any | None = None,
) -> tuple[bytes, list[float], list[int], list[str]]: ...
def new_lines(
    cls: type[_T],
    fields: tuple[str, str, str, str, str],
    texts: list[str],
    labels: tuple[Any, ...],
    codes: Sequence[int],
    scores: list[float],
    reasons: list[str],
) -> list[_T]: ...
