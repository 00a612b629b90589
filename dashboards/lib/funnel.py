"""The filter funnel from a curation run's ``OUT/report.json`` (written by ``filters/report.py``).

The parts read here::

    {"totals": {"input": 165, "emitted": 0, "kept": 158, "dropped": 7},
     "funnel": [{"step": "resolution", "op": "resolution", "total": 165, "kept": 162,
                 "dropped": 3, "dropped_too_small": 3, ...}, ...],
     "stats": {"resolution.width": {"unit": "px", "percentiles": {"p1": 24.0, ...}, ...}, ...}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

REPORT = "report.json"
DROPPED_PREFIX = "dropped_"


@st.cache_data(show_spinner=False)
def load_report(path: str, stamp: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def report_path(dataset: Path) -> Path | None:
    path = dataset / REPORT
    return path if path.is_file() else None


def funnel(report: dict[str, Any]) -> pl.DataFrame:
    """(step, operator, samples): the input, then what is left after each step."""
    rows = [{"step": 0, "operator": "input", "samples": report["totals"]["input"]}]
    rows += [
        {"step": i, "operator": step["step"], "samples": step["kept"]}
        for i, step in enumerate(report["funnel"], start=1)
    ]
    return pl.DataFrame(rows, schema={"step": pl.Int64, "operator": pl.String, "samples": pl.Int64})


def drops(report: dict[str, Any]) -> pl.DataFrame:
    """(operator, reason, dropped), largest first."""
    rows = [
        {"operator": step["step"], "reason": key.removeprefix(DROPPED_PREFIX), "dropped": n}
        for step in report["funnel"]
        for key, n in step.items()
        if key.startswith(DROPPED_PREFIX) and n
    ]
    schema = {"operator": pl.String, "reason": pl.String, "dropped": pl.Int64}
    return pl.DataFrame(rows, schema=schema).sort("dropped", descending=True)


def percentiles(report: dict[str, Any]) -> pl.DataFrame:
    """One row per (operator, stat) with its unit and recorded percentiles as columns."""
    rows = []
    for key, summary in report.get("stats", {}).items():
        operator, _, stat = key.partition(".")
        pct = {k: float(v) for k, v in (summary.get("percentiles") or {}).items()}
        rows.append({"operator": operator, "stat": stat, "unit": summary.get("unit"), **pct})
    return pl.DataFrame(rows) if rows else pl.DataFrame()
