"""Shared test fixtures: the seed page, and the dev set when ../shared is beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
DEV = SHARED / "eval" / "dev"


def read_tsv(path: Path) -> tuple[list[str], list[str]]:
    """Labels and texts of a ``LABEL<TAB>TEXT`` file (split on the first tab)."""
    labels, texts = [], []
    for row in path.read_text(encoding="utf-8").split("\n"):
        if not row:
            continue
        label, _, text = row.partition("\t")
        labels.append(label)
        texts.append(text)
    return labels, texts


@pytest.fixture(scope="session")
def seed_text() -> str:
    return (FIXTURES / "seed.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> tuple[list[str], list[str]]:
    return read_tsv(FIXTURES / "seed.tsv")


@pytest.fixture(scope="session")
def dev_dir() -> Path:
    if not (DEV / "gold").is_dir():
        pytest.skip(f"the dev set is not at {DEV} (../shared is absent in this clone)")
    return DEV
