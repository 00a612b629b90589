"""`filters apply`: new thresholds over stored stats; no operator measures anything again."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from corpus.dataset import Dataset
from filters.finalize import STATS_FILE, decide_all, write_outputs
from filters.recipe import parse_recipe, with_overrides
from filters.stats import RunStats
from filters.workdir import WorkDir


def apply(out: Path, sets: list[str]) -> dict:
    """Re-decide a finished run in `out` with `STEP.PARAM=VALUE` overrides; rewrite its outputs."""
    out = Path(out)
    run_file = WorkDir(out).root / "run.json"
    if not (out / STATS_FILE).exists() or not run_file.exists():
        raise FileNotFoundError(f"{out}: no finished `filters run` here ({STATS_FILE} missing)")
    run = json.loads(run_file.read_text())
    recipe = with_overrides(parse_recipe(run["recipe"], str(run_file)), sets)
    rows = pl.read_parquet(out / STATS_FILE).to_dicts()
    rows, funnel = decide_all(recipe, rows, check=False)
    return write_outputs(recipe, Dataset.open(run["input"]), out, rows, funnel, task_counters(out))


def task_counters(out: Path) -> RunStats:
    """The counters the run's tasks stored (measurement time and counts per step)."""
    files = sorted(WorkDir(out).root.glob("s*/*.json"))
    return sum((RunStats.from_dict(json.loads(p.read_text())) for p in files), RunStats())
