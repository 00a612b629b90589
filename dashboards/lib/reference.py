"""The paper's published rows that the leaderboard places runs among.

Read from ``evaluation/reference_scores/paper_tables.json`` (or every ``*.json`` in the
directories given with ``--reference``), in the evaluation package's format::

    {"tables": [{"benchmark": "geneval", "scale": "0-1", "source": "...",
                 "rows": [{"model": "MammothModa2 (Dev)", "overall": 0.87,
                           "variant": "direct", "categories": {...}}, ...]}, ...]}

Benchmark names are the results store's directory names, so a run and a published row share a
column; each table's scale and source are shown with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboards.lib.results import CATEGORY_SCHEMA
from dashboards.lib.roots import confine

REFERENCE_SCHEMA = {"model": pl.String, "benchmark": pl.String, "overall": pl.Float64}
SOURCE_SCHEMA = {"benchmark": pl.String, "scale": pl.String, "source": pl.String}


@st.cache_data(show_spinner=False)
def _load(paths: tuple[str, ...], stamps: tuple[float, ...]) -> list[dict[str, Any]]:
    return [t for p in paths for t in json.loads(Path(p).read_text()).get("tables", [])]


def _tables(roots: tuple[Path, ...]) -> list[dict[str, Any]]:
    files = sorted(confine(p, roots) for root in roots for p in root.glob("*.json"))
    return _load(tuple(map(str, files)), tuple(p.stat().st_mtime for p in files))


def _name(row: dict[str, Any]) -> str:
    """The model, with its variant when a table lists several (RealUnify direct / stepwise)."""
    return f"{row['model']} [{row['variant']}]" if row.get("variant") else row["model"]


def reference_rows(roots: tuple[Path, ...]) -> pl.DataFrame:
    """Long table (model, benchmark, overall) of every published row."""
    rows = [
        {"model": _name(r), "benchmark": t["benchmark"], "overall": r.get("overall")}
        for t in _tables(roots)
        for r in t.get("rows", [])
    ]
    return pl.DataFrame(rows, schema=REFERENCE_SCHEMA)


def sources(roots: tuple[Path, ...]) -> pl.DataFrame:
    """(benchmark, scale, source) of each published table."""
    rows = [{k: str(t.get(k, "")) for k in SOURCE_SCHEMA} for t in _tables(roots)]
    return pl.DataFrame(rows, schema=SOURCE_SCHEMA)


def reference_categories(roots: tuple[Path, ...], benchmark: str) -> pl.DataFrame:
    """Long table (model, category, score) of published per-category scores of one benchmark."""
    rows = [
        {"model": _name(r), "category": cat, "score": value}
        for t in _tables(roots)
        if t["benchmark"] == benchmark
        for r in t.get("rows", [])
        for cat, value in (r.get("categories") or {}).items()
    ]
    return pl.DataFrame(rows, schema=CATEGORY_SCHEMA)
