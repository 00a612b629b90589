"""The results store (DESIGN.md section 7) as tables: which runs exist, their scores and records.

Reads go through ``evaluation.store``'s readers; what is read is cached by path and modification
time so a finished benchmark shows up on the next rerun without restarting the app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboards.lib.roots import child
from evaluation.store import (
    RECORDS_FILE,
    RUN_FILE,
    SCORES_FILE,
    list_results,
    read_records,
    read_run_info,
    read_scores,
)

RESULTS_SCHEMA = {
    "root": pl.String,
    "run": pl.String,
    "benchmark": pl.String,
    "overall": pl.Float64,
    "checkpoint": pl.String,
    "time": pl.String,
}
CATEGORY_SCHEMA = {"model": pl.String, "category": pl.String, "score": pl.Float64}


@dataclass(frozen=True)
class RunRef:
    """One benchmark of one run: ``root/run/benchmark``."""

    root: Path
    run: str
    benchmark: str

    @property
    def path(self) -> Path:
        """The run's benchmark directory; the names are checked to stay inside ``root``."""
        return child(self.root, self.run, self.benchmark)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


def _number(value: Any) -> float | None:
    """A finite float, or None for missing / NaN scores (benchmarks record NaN when empty)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@st.cache_data(show_spinner=False)
def _summary(run_dir: str, stamp: float) -> dict[str, Any]:
    """Overall score, categories and run info of one benchmark directory (stamp: scores mtime)."""
    scores = read_scores(run_dir)
    info = read_run_info(run_dir) if (Path(run_dir) / RUN_FILE).exists() else {}
    return {
        "overall": _number(scores.get("overall")),
        "categories": {k: _number(v) for k, v in (scores.get("categories") or {}).items()},
        "checkpoint": info.get("checkpoint"),
        "time": info.get("time"),
    }


def summary(ref: RunRef) -> dict[str, Any]:
    path = ref.path
    return _summary(str(path), _mtime(path / SCORES_FILE))


def runs_table(roots: tuple[Path, ...]) -> pl.DataFrame:
    """One row per (run, benchmark) with a ``scores.json`` under any of the results roots."""
    rows = []
    for root in roots:
        for run, bench in list_results(root):
            s = summary(RunRef(root, run, bench))
            rows.append({"root": str(root), "run": run, "benchmark": bench, **_pick(s)})
    return pl.DataFrame(rows, schema=RESULTS_SCHEMA)


def _pick(s: dict[str, Any]) -> dict[str, Any]:
    return {"overall": s["overall"], "checkpoint": s["checkpoint"], "time": s["time"]}


def category_table(refs: list[RunRef]) -> pl.DataFrame:
    """Long table (run, category, score) of the per-category scores of the given runs."""
    rows = [
        {"model": ref.run, "category": cat, "score": value}
        for ref in refs
        for cat, value in summary(ref)["categories"].items()
    ]
    return pl.DataFrame(rows, schema=CATEGORY_SCHEMA)


@st.cache_data(show_spinner=False)
def _records(run_dir: str, stamp: float) -> pl.DataFrame:
    return read_records(run_dir)


def records(ref: RunRef) -> pl.DataFrame:
    """The per-item records of one benchmark of one run (empty when there are none)."""
    path = ref.path
    if not (path / RECORDS_FILE).exists():
        return pl.DataFrame()
    return _records(str(path), _mtime(path / RECORDS_FILE))


def find_ref(roots: tuple[Path, ...], run: str, benchmark: str) -> RunRef | None:
    """The first root holding ``run/benchmark/scores.json`` (names from user input are confined)."""
    for root in roots:
        ref = RunRef(root, run, benchmark)
        if (ref.path / SCORES_FILE).exists():
            return ref
    return None


def refs_for(runs: pl.DataFrame, benchmark: str, names: list[str]) -> list[RunRef]:
    """RunRefs of the named runs on one benchmark, in the order of ``names``."""
    rows = runs.filter((pl.col("benchmark") == benchmark) & pl.col("run").is_in(names))
    by_name = {r["run"]: RunRef(Path(r["root"]), r["run"], benchmark) for r in rows.to_dicts()}
    return [by_name[n] for n in names if n in by_name]


def benchmarks(runs: pl.DataFrame) -> list[str]:
    """Benchmarks with results, the one most runs were scored on first."""
    counts = runs.group_by("benchmark").len().sort(["len", "benchmark"], descending=[True, False])
    return counts.get_column("benchmark").to_list()
