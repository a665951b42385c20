"""Types of the compiled core (rust/, built by maturin)."""

from collections.abc import Iterable, Sequence

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
