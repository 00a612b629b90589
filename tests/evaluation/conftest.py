"""Shared paths of the official benchmark data (read-only, next to the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks"


@pytest.fixture(scope="session")
def benchmarks() -> Path:
    return BENCHMARKS.resolve()
