"""Every regular expression in the package runs in linear time on worst-case input.

Timings, so a benchmark, not a test: its verdicts depend on how busy the
machine is. Run it on a quiet machine (about a minute) before a release and
after changing a pattern or a lexicon:

    python -m pytest -q -p no:cacheprovider benchmarks/regex_linearity.py

Patterns are collected, not listed: every module-level ``re``/``regex``
pattern of every ``zhengwen`` module, plus the patterns built from the
lexicons (``features._lexicon_patterns()`` where it exists, and every cached
zero-argument ``*pattern*`` builder), and the compiled core's features (its
ten line patterns and lexicon scan, ``rust/src/features/``, run on the input
as one page). Each is run (``finditer``, which tries every start position)
over inputs made to make a backtracking engine work:
long runs of digits, spaces and separators, 记者 over and over, 100 KB of one
character, two characters alternating.

Catastrophic backtracking is exponential and quadratic scanning grows 100x
for 10x the input, so the checks can be generous and still catch both:

* at 0.4, 1.6, 6.4, 25.6 and 102.4 thousand characters, a call must stay under
  ``ABSOLUTE_SECONDS``;
* each fourfold step may cost at most ``GROWTH`` times the step before (a
  linear pattern costs 4x, a quadratic one 16x) plus ``NOISE_SECONDS`` for
  timer and cache noise;
* a step that could break the bound within the growth allowed is not run:
  the pattern fails at the smaller size instead of burning minutes.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import regex

import zhengwen

ABSOLUTE_SECONDS = 2.0
SIZES = (400, 1_600, 6_400, 25_600, 102_400)  # each step 4x the one before
GROWTH = 10.0  # the most a 4x step may cost: linear is 4x, quadratic 16x
NOISE_SECONDS = 0.05
MAX_PROBLEMS = 1  # a broken pattern need not try every input

Pattern = re.Pattern[Any] | regex.Pattern[Any]  # str patterns, and bytes ones


def _patterns_in(value: Any) -> Iterator[Pattern]:
    if isinstance(value, (re.Pattern, regex.Pattern)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _patterns_in(item)


def collect() -> dict[str, Pattern]:
    """Every compiled pattern of the package, by ``module.name`` (and index)."""
    found: dict[str, Pattern] = {}
    names = [zhengwen.__name__] + [
        m.name
        for m in pkgutil.walk_packages(
            zhengwen.__path__, prefix="zhengwen.", onerror=lambda _: None
        )
        if not m.name.endswith("__main__")  # importing it runs the command line
    ]
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:  # an adapter whose optional dependency is not installed
            continue
        for attr, value in vars(module).items():
            if getattr(value, "__module__", name) != name and not isinstance(
                value, (re.Pattern, regex.Pattern)
            ):
                continue
            builders = callable(value) and hasattr(value, "cache_info") and "pattern" in attr
            if builders:
                try:
                    value = value()  # a cached builder that takes no arguments
                except TypeError:
                    continue
            single = isinstance(value, (re.Pattern, regex.Pattern))
            for i, pattern in enumerate(_patterns_in(value)):
                found.setdefault(f"{name}.{attr}" if single else f"{name}.{attr}[{i}]", pattern)
    # Keep one name per pattern object (a module may import another's).
    seen: set[int] = set()
    unique: dict[str, Pattern] = {}
    for key in sorted(found):
        if id(found[key]) not in seen:
            seen.add(id(found[key]))
            unique[key] = found[key]
    return unique


class _CoreFeatures:
    """The compiled core's features of a page, behind the ``finditer`` the checks call.

    Its patterns (regex crate, look-arounds emulated) and its lexicon scan
    (aho-corasick) are not Python patterns, so ``collect`` cannot see them.
    """

    pattern = "zhengwen._core features"

    def finditer(self, text: str) -> Iterator[None]:
        from zhengwen.features import line_features

        line_features(text.split("\n"))
        return iter(())


PATTERNS: dict[str, Any] = {**collect(), "zhengwen._core.Featurizer": _CoreFeatures()}

UNITS = [
    "1", "0", " ", "\u3000", "\t", "\n", "\xa0",
    "-", "|", "/", ">", "<", "·", "_", "=", "—", "*", "#", "[", "]", "(", "（", "【", "!", ".",
    ":", "：", "，", "。", "的", "a", "\ufffd",
    "1 ", "1-", "1:", "1：", "1年", "1月", "12-", "20", "2023-", "2023年", "a1", "的。",
    "![", "](", "**a", "> ", ">的", "# ", "qq", "QQ:1", "@a", "www.", "http", ".com",
    "记者", "（记者", "(记者 ", "来源：", "来源 ", "责任编辑", "©", "版权", "1条", "1 条",
    "<meta ", "<meta charset", "<a ", "<", "=\"", "charset=",
]  # fmt: skip


def worst_case(unit: str, size: int) -> str:
    """``unit`` repeated to ``size`` characters."""
    return (unit * (size // len(unit) + 1))[:size]


def _seconds(pattern: Pattern, text: str) -> float:
    subject: Any = text.encode("utf-8") if isinstance(pattern.pattern, bytes) else text
    started = time.perf_counter()
    for _ in pattern.finditer(subject):
        pass
    return time.perf_counter() - started


def slow_inputs(pattern: Pattern, units: list[str] = UNITS) -> list[str]:
    """The inputs (``units`` repeated) on which ``pattern`` is not linear, with their cost."""
    problems: list[str] = []
    for unit in units:
        if len(problems) >= MAX_PROBLEMS:
            break
        before = None
        for size in SIZES:
            if before is not None and before * GROWTH > ABSOLUTE_SECONDS:
                problems.append(f"{unit!r}: {before:.2f} s at {size // 4} chars already")
                break
            seconds = _seconds(pattern, worst_case(unit, size))
            if seconds > ABSOLUTE_SECONDS:
                problems.append(f"{unit!r}: {seconds:.2f} s at {size} chars")
                break
            if before is not None and seconds > GROWTH * before + NOISE_SECONDS:
                # Look again, best of three, before blaming the pattern for a busy machine.
                before = min(_seconds(pattern, worst_case(unit, size // 4)) for _ in range(3))
                seconds = min(_seconds(pattern, worst_case(unit, size)) for _ in range(3))
                if seconds > GROWTH * before + NOISE_SECONDS:
                    problems.append(
                        f"{unit!r}: {before:.4f} s at {size // 4} chars, {seconds:.4f} s at {size}"
                    )
                    break
            before = seconds
    return problems


# Patterns that are not linear today (strict: when one is fixed, its test passes
# and fails the run, so that the mark goes with the bug). Fixed since they were
# found here: features.AGO and _COUNT_WORD (a run of digits retried from every
# digit), _MARKDOWN (unbounded scans to the end of the line) and html._META_CHARSET
# (a scan from every <meta in a run of unclosed ones).
QUADRATIC: dict[str, str] = {}


def _params() -> list[Any]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=QUADRATIC[name])]
            if name in QUADRATIC
            else [],
        )
        for name in PATTERNS
    ]


def test_collection_finds_the_patterns() -> None:
    assert len(PATTERNS) >= 10, sorted(PATTERNS)
    modules = {name.rsplit(".", 1)[0].split("[")[0] for name in PATTERNS}
    assert {"zhengwen._core", "zhengwen.normalize", "zhengwen.metadata"} <= modules
    # the lexicon scan, whose size grows with the word lists, is the core's since
    # the features moved there
    assert "zhengwen._core.Featurizer" in PATTERNS


def test_the_check_catches_a_quadratic_pattern() -> None:
    digits = ["1"]
    assert slow_inputs(regex.compile(r"\d+\s*(?:x|yz)"), digits) != []  # the shape of AGO
    assert slow_inputs(regex.compile(r"(?<!\d)\d+\s*(?:x|yz)"), digits) == []  # from a run's start


@pytest.mark.parametrize("name", _params())
def test_pattern_is_linear_on_worst_case_input(name: str) -> None:
    assert slow_inputs(PATTERNS[name]) == []
