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
