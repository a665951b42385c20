"""Types of the compiled core (rust/, built by maturin)."""

__version__: str

# rust/src/html.rs
HTML_PARSER: str

def read_html(
    text: str,
) -> tuple[list[str], list[int], list[str], str | None, str | None]: ...
