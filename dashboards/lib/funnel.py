"""The filter funnel from a curation run's ``OUT/report.json`` (issue 3's report contract).

Read shape (per operator, in recipe order)::

    {"input": 1000, "kept": 640,
     "operators": [{"name": "resolution", "in": 1000, "kept": 900,
                    "dropped": {"min_side < 256": 80, "aspect > 3": 20},
                    "stats": {"min_side": {"p5": 180, "p50": 512, "p95": 1024}}}, ...]}

``operators`` may also be a mapping from operator name to the same fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

REPORT = "report.json"


def _operators(report: dict[str, Any]) -> list[dict[str, Any]]:
    ops = report.get("operators") or []
    if isinstance(ops, dict):
        return [{"name": name, **fields} for name, fields in ops.items()]
    return list(ops)


@st.cache_data(show_spinner=False)
def load_report(path: str, stamp: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def report_path(dataset: Path) -> Path | None:
    path = dataset / REPORT
    return path if path.is_file() else None


def funnel(report: dict[str, Any]) -> pl.DataFrame:
    """(step, operator, samples): the input, then what is left after each operator."""
    ops = _operators(report)
    first = report.get("input", ops[0].get("in") if ops else 0)
    rows = [{"step": 0, "operator": "input", "samples": first}]
    rows += [
        {"step": i, "operator": op["name"], "samples": op.get("kept", 0)}
        for i, op in enumerate(ops, start=1)
    ]
    return pl.DataFrame(rows, schema={"step": pl.Int64, "operator": pl.String, "samples": pl.Int64})


def drops(report: dict[str, Any]) -> pl.DataFrame:
    """(operator, reason, dropped), largest first."""
    rows = [
        {"operator": op["name"], "reason": reason, "dropped": n}
        for op in _operators(report)
        for reason, n in (op.get("dropped") or {}).items()
    ]
    schema = {"operator": pl.String, "reason": pl.String, "dropped": pl.Int64}
    return pl.DataFrame(rows, schema=schema).sort("dropped", descending=True)


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if isinstance(v, int | float)}


def percentiles(report: dict[str, Any]) -> pl.DataFrame:
    """One row per (operator, stat) with its recorded percentiles as columns."""
    rows = [
        {"operator": op["name"], "stat": stat, **_numbers(pct)}
        for op in _operators(report)
        for stat, pct in (op.get("stats") or {}).items()
        if isinstance(pct, dict)
    ]
    return pl.DataFrame(rows) if rows else pl.DataFrame()
