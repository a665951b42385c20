"""Fuzz ``zhengwen.extract`` on arbitrary text.

The bytes libFuzzer makes become a ``str`` (surrogates included, as
``surrogateescape`` and JSON input can leave them). Checked on every input:
no exception; one line out per input line, in order, each kept exactly;
the body is an in-order subsequence of the lines and ``Document.body`` is
their join; the same input gives the same result.

    python fuzz/fuzz_extract.py -max_total_time=600 out/fuzz/extract fuzz/seeds/extract
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import is_subsequence, run

# Not classify: atheris keeps a reference to the result of every instrumented
# comparison that is not a bool, and its tree walk compares whole numpy arrays
# (``x <= threshold``), which leaks ~1.5 MB per input and ends the run out of
# memory within minutes. Its branches are numeric, nothing for coverage to learn.
with atheris.instrument_imports(include=["zhengwen"], exclude=["zhengwen.classify"]):
    import zhengwen
    from zhengwen.normalize import split_lines


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    if fdp.ConsumeBool():
        text = fdp.ConsumeUnicode(len(data))  # any code point, surrogates too
    else:
        text = data.decode("utf-8", errors="replace")  # the common shape: UTF-8 text
    doc = zhengwen.extract(text)
    raw = split_lines(text)
    assert [ln.text for ln in doc.lines] == raw, "lines are not the input lines"
    assert [ln.index for ln in doc.lines] == list(range(len(raw)))
    body = [ln.text for ln in doc.lines if ln.label is zhengwen.Label.BODY]
    assert is_subsequence(body, raw), "body is not an in-order subsequence"
    assert doc.body == "\n".join(body)
    if len(text) < 2000:  # determinism, on the inputs that are cheap to run twice
        assert zhengwen.extract(text) == doc, "not deterministic"


if __name__ == "__main__":
    run(test_one_input)
