"""`filters apply`: new thresholds over stored stats; no operator measures anything again.

A run made with `--materialize` is materialized again (on dask, like `run`): the kept set and
the verdicts stored in the shards change with the thresholds, and the manifest points at them.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from corpus.dataset import Dataset
from filters.executor import dask_client
from filters.finalize import STATS_FILE, decide_all, write_outputs
from filters.materialize import clear_materialized, materialize
from filters.recipe import parse_recipe, with_overrides
from filters.stats import RunStats
from filters.workdir import WorkDir


def apply(out: Path, sets: list[str], scheduler: str | None = None, workers: int = 2) -> dict:
    """Re-decide a finished run in `out` with `STEP.PARAM=VALUE` overrides; rewrite its outputs.

    `scheduler` and `workers` are used only to materialize a run made with `--materialize`.
    """
    out = Path(out)
    run_file = WorkDir(out).root / "run.json"
    if not (out / STATS_FILE).exists() or not run_file.exists():
        raise FileNotFoundError(f"{out}: no finished `filters run` here ({STATS_FILE} missing)")
    run = json.loads(run_file.read_text())
    recipe = with_overrides(parse_recipe(run["recipe"], str(run_file)), sets)
    rows = pl.read_parquet(out / STATS_FILE).to_dicts()
    rows, funnel = decide_all(recipe, rows, check=False)
    dataset, tasks = Dataset.open(run["input"]), task_counters(out)
    manifest = None
    if run.get("materialize"):
        clear_materialized(out)
        with dask_client(scheduler, workers) as client:
            manifest = materialize(client, recipe, dataset, out, rows, progress=False)
    return write_outputs(recipe, dataset, out, rows, funnel, tasks, manifest)


def task_counters(out: Path) -> RunStats:
    """The counters the run's tasks stored (measurement time and counts per step)."""
    files = sorted(WorkDir(out).root.glob("s*/*.json"))
    return sum((RunStats.from_dict(json.loads(p.read_text())) for p in files), RunStats())
