"""Types of the compiled core (rust/): what Python calls."""

__version__: str

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
