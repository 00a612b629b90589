"""Session fixtures (results, reference tables, corpus, logs) and an AppTest factory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import dash_fixtures as fixtures
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
TIMEOUT_S = 60


@pytest.fixture(scope="session")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dash")
    return {
        "base": base,
        "results": fixtures.write_results(base),
        "reference": fixtures.write_reference(base),
        "corpus": fixtures.write_corpus(base),
        "logs": fixtures.write_logs(base),
    }


@pytest.fixture(scope="session")
def argv(roots: dict[str, Path]) -> list[str]:
    """The app's command line (what follows ``--`` after ``streamlit run``)."""
    return [
        "--results", str(roots["results"]),
        "--corpus", str(roots["corpus"].parent),
        "--logs", str(roots["logs"]),
        "--reference", str(roots["reference"]),
    ]  # fmt: skip


@pytest.fixture
def app(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Runs one page of the app started on the fixture directories (query: URL parameters)."""
    monkeypatch.setattr(sys, "argv", [str(APP), *argv])

    def run(page: str, query: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        at.switch_page(f"views/{page}.py")
        for k, v in (query or {}).items():
            at.query_params[k] = v
        return at.run()

    return run
