"""The core's reasons (rust/src/reasons.rs) against the Python ``reasons.explain`` they replaced.

Every line of every dev and train page, text (``extract``) and HTML
(``extract_html``), and the seed page: the reasons ``extract`` gives now
against the Python code at commit ef8785e (``src/zhengwen/reasons.py``, with
``lexicon.is_bare_name`` as it was: the ``regex`` module's ``\\p{Han}``) run on
the same decision (``decode.decide``, whose features it reads). Also checks
labels and scores against that decision, and the metadata against the
``regex``-module metadata of that commit.

    .venv/bin/python tools/check_core_reasons.py [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import sys
from functools import cache
from pathlib import Path
from types import ModuleType, SimpleNamespace

import regex
from module_at import module_at

import zhengwen
from zhengwen import core, decode, headline, lexicon
from zhengwen.engine import Markup
from zhengwen.html import html_to_page
from zhengwen.normalize import feature_text, split_lines
from zhengwen.options import DEFAULT

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "ef8785e"


def module_before(path: str, name: str, patch: dict[str, object] | None = None) -> ModuleType:
    """``path`` as it was at ``BEFORE``, imported as a module of its own."""
    module = module_at(BEFORE, path, name)
    for k, v in (patch or {}).items():
        setattr(module, k, v)
    return module


_HAN_NAME = regex.compile(r"\p{Han}{2,4}")


def is_bare_name_before(folded: str) -> bool:
    """``lexicon.is_bare_name`` at ``BEFORE``."""
    if not _HAN_NAME.fullmatch(folded):
        return False
    names = lexicon.surnames()
    return any(folded[:k] in names and 1 <= len(folded) - k <= 2 for k in (2, 1))


@cache
def before() -> SimpleNamespace:
    lex = SimpleNamespace(words=lexicon.words, is_bare_name=is_bare_name_before)
    reasons = module_before("src/zhengwen/reasons.py", "reasons_before", {"lexicon": lex})
    metadata = module_before("src/zhengwen/metadata.py", "metadata_before", {"lexicon": lex})
    return SimpleNamespace(reasons=reasons, metadata=metadata)


def check_page(raw: list[str], markup: Markup | None, where: str, diffs: list[str]) -> int:
    doc = core._extract(raw, DEFAULT, None, markup)
    folded = [feature_text(s, DEFAULT.max_line_chars) for s in raw]
    ranker = None if markup is not None else headline.load()
    models = core._models(markup is not None)
    page = decode.decide(folded, DEFAULT.threshold, models, None, markup, ranker)
    old = before().reasons.explain(folded, page)
    for i, line in enumerate(doc.lines):
        got = (line.reason, line.label, line.score)
        want = (old[i], page.labels[i], float(page.body_belief[i]))
        if got != want:
            diffs.append(f"{where}:{i}: {got} != {want}")
    meta = before().metadata.collect(doc.lines)
    got_meta = (doc.title, doc.date, doc.source, doc.authors, doc.editors)
    want_meta = (meta.title, meta.date, meta.source, meta.authors, meta.editors)
    if got_meta != want_meta:
        diffs.append(f"{where}: metadata {got_meta} != {want_meta}")
    return len(raw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    args = ap.parse_args()
    diffs: list[str] = []
    pages = lines = 0
    seed = (ROOT / "fixtures" / "seed.txt").read_text("utf-8")
    lines += check_page(split_lines(seed), None, "seed", diffs)
    pages += 1
    for folder in ("dev", "train"):
        for path in sorted((args.eval / folder / "text").glob("*.txt")):
            lines += check_page(split_lines(path.read_text("utf-8")), None, str(path), diffs)
            pages += 1
        for path in sorted((args.eval / folder / "html").glob("*.html")):
            page = html_to_page(path.read_bytes())
            markup = None  # as document_from_page: a page without links is read as text
            if any(page.link_chars):
                markup = Markup(page.link_chars, page.block, page.title, page.h1)
            raw = split_lines(page.text)
            lines += check_page(raw, markup, str(path), diffs)
            pages += 1
    print(f"{pages} pages, {lines} lines: {len(diffs)} differ")
    for d in diffs[:20]:
        print(d)
    assert zhengwen.__version__
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
