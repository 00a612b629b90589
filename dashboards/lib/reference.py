"""The paper's published rows (Tables 2-7) that the leaderboard places runs among.

Contract read here (``evaluation/reference_scores/*.json``, one file per paper table)::

    {"table": "Table 2", "title": "GenEval", "source": "arXiv:2511.18262",
     "rows": [{"model": "Mammoth2", "benchmark": "geneval", "overall": 0.87,
               "categories": {"single_object": 1.0, ...}}, ...]}

Benchmark names are the results store's directory names and scores use the same scales as
``scores.json``, so a run and a published row line up in one column.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import streamlit as st

from dashboards.lib.results import CATEGORY_SCHEMA
from dashboards.lib.roots import confine

REFERENCE_SCHEMA = {
    "model": pl.String,
    "benchmark": pl.String,
    "overall": pl.Float64,
    "table": pl.String,
    "source": pl.String,
}


@st.cache_data(show_spinner=False)
def _load(paths: tuple[str, ...], stamps: tuple[float, ...]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def _tables(roots: tuple[Path, ...]) -> list[dict]:
    files = sorted(confine(p, roots) for root in roots for p in root.glob("*.json"))
    return _load(tuple(map(str, files)), tuple(p.stat().st_mtime for p in files))


def reference_rows(roots: tuple[Path, ...]) -> pl.DataFrame:
    """Long table (model, benchmark, overall, table, source) of every published row."""
    rows = [
        {
            "model": r["model"],
            "benchmark": r["benchmark"],
            "overall": r.get("overall"),
            "table": t.get("table", ""),
            "source": t.get("source", ""),
        }
        for t in _tables(roots)
        for r in t.get("rows", [])
    ]
    return pl.DataFrame(rows, schema=REFERENCE_SCHEMA)


def reference_categories(roots: tuple[Path, ...], benchmark: str) -> pl.DataFrame:
    """Long table (model, category, score) of published per-category scores of one benchmark."""
    rows = [
        {"model": r["model"], "category": cat, "score": value}
        for t in _tables(roots)
        for r in t.get("rows", [])
        if r["benchmark"] == benchmark
        for cat, value in (r.get("categories") or {}).items()
    ]
    return pl.DataFrame(rows, schema=CATEGORY_SCHEMA)
