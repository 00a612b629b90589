"""After the tasks: the final decisions, stats.parquet, the curated manifest, rejects, report.

The curated manifest (OUT/manifest.parquet) has the input manifest's columns plus `dataset`, the
absolute dataset directory to read each sample from by offset: the input dataset, or OUT/derived
for samples an operator made. With --materialize, kept samples are written as new shards in OUT
(stats and verdicts in each sample's JSON), and the manifest points there.

Tables and files only: nothing here schedules tasks. The runner (and `filters apply`)
materialize first when asked and pass the materialized manifest in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from corpus.atomic import write_parquet_atomic
from corpus.dataset import (
    Dataset,
    lineage,
    write_dataset_json,
    write_manifest,
)
from filters.decide import replay
from filters.operator import get_operator
from filters.recipe import Recipe
from filters.report import write_report
from filters.stats import RunStats
from filters.tables import BASE_SCHEMA, col, stats_schema
from filters.workdir import WorkDir

STATS_FILE = "stats.parquet"
REJECTS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("origin", pa.string()),
        ("task", pa.string()),
        ("stage", pa.string()),
        ("step", pa.string()),
        ("kind", pa.string()),
        ("reason", pa.string()),
        ("shard", pa.string()),
    ]
)


def load_rows(work: WorkDir, shards: list[str], upto_stage: int) -> list[dict[str, Any]]:
    """Base and stats columns of every sample, stages 0..upto_stage, in canonical order."""
    samples = pl.concat(
        [
            pl.read_parquet(work.task_file(k, s, "samples.parquet"))
            for k in range(upto_stage + 1)
            for s in shards
        ],
        how="vertical",
    ).sort(["shard", "stage_born", "seq"], maintain_order=True)
    for k in range(upto_stage + 1):
        stats = pl.concat([pl.read_parquet(work.task_file(k, s, "stats.parquet")) for s in shards])
        samples = samples.join(stats, on="id", how="left", maintain_order="left")
    return samples.to_dicts()


def full_schema(recipe: Recipe) -> pa.Schema:
    ops = [s.build() for s in recipe.steps]
    final = [("kept", pa.bool_()), ("dropped_by", pa.string()), ("reason", pa.string())]
    return pa.schema([*BASE_SCHEMA, *list(stats_schema(ops))[1:], *final, ("detail", pa.string())])


def decide_all(recipe: Recipe, rows: list[dict[str, Any]], check: bool) -> tuple[list, RunStats]:
    """Replay every decision; with `check`, the in-task verdicts must agree with the replay."""
    local = [s.name for s in recipe.steps if not get_operator(s.op).is_global]
    before = [[r.get(col(s, "verdict")) for s in local] for r in rows] if check else None
    decided = replay(recipe, rows)
    if before is not None:
        for r, old in zip(decided.rows, before, strict=True):
            new = [r.get(col(s, "verdict")) for s in local]
            if old != new:
                raise RuntimeError(f"sample {r['id']}: in-task verdicts {old} != replayed {new}")
    return decided.rows, decided.stats


def write_outputs(
    recipe: Recipe, dataset: Dataset, out: Path, rows: list[dict[str, Any]], funnel: RunStats,
    tasks: RunStats, manifest: pa.Table | None = None,
) -> dict:  # fmt: skip
    """Write stats, manifest, rejects and the report; returns the report.

    `manifest` is the materialized shards' manifest when there is one; else the curated manifest
    points into the input dataset (and OUT/derived).
    """
    out = Path(out)
    schema = full_schema(recipe)
    write_parquet_atomic(
        pa.Table.from_pylist(_project(rows, schema), schema=schema), out / STATS_FILE
    )
    derived = _finish_derived(WorkDir(out))
    if manifest is None:
        manifest = _curated(rows, dataset, derived)
    write_parquet_atomic(manifest, out / "manifest.parquet")
    write_parquet_atomic(_rejects(rows, dataset, derived), out / "rejects.parquet")
    timing = {name: (s.time_s, s.measured) for name, s in tasks.steps.items()}
    for name, s in funnel.steps.items():
        s.time_s, s.measured = timing.get(name, (0.0, 0))
    return write_report(out, recipe, dataset.root, rows, funnel, lineage("filters"))


def _project(rows: list[dict[str, Any]], schema: pa.Schema) -> list[dict[str, Any]]:
    names = schema.names
    return [{n: r.get(n) for n in names} for r in rows]


def _finish_derived(work: WorkDir) -> Dataset | None:
    """OUT/derived as a dataset of its own (manifest, dataset.json), or None if empty."""
    if not any(work.derived_shards.glob("*.done")):
        return None
    manifest = write_manifest(work.derived)
    write_dataset_json(work.derived, manifest, lineage("filters (derived samples)"))
    return Dataset.open(work.derived)


def _source_rows(dataset: Dataset, derived: Dataset | None) -> pl.DataFrame:
    frames = [dataset.manifest().with_columns(pl.lit(str(dataset.root.resolve())).alias("dataset"))]
    if derived is not None:
        frames.append(
            derived.manifest().with_columns(pl.lit(str(derived.root.resolve())).alias("dataset"))
        )
    return pl.concat(frames, how="vertical").collect()


def _curated(rows: list[dict[str, Any]], dataset: Dataset, derived: Dataset | None) -> pa.Table:
    kept = pl.DataFrame({"id": [r["id"] for r in rows if r["kept"]]}, schema={"id": pl.String})
    table = kept.join(_source_rows(dataset, derived), on="id", how="left", maintain_order="left")
    return table.to_arrow()


def _rejects(rows: list[dict[str, Any]], dataset: Dataset, derived: Dataset | None) -> pa.Table:
    dropped = [r for r in rows if not r["kept"] and r["reason"] != "parent_dropped"]
    info = {
        r["id"]: r
        for r in _source_rows(dataset, derived)
        .filter(pl.col("id").is_in([r["id"] for r in dropped]))
        .select(["id", "source", "origin"])
        .to_dicts()
    }
    out = [
        {
            "id": r["id"],
            "source": info.get(r["id"], {}).get("source"),
            "origin": info.get(r["id"], {}).get("origin"),
            "task": r["task"],
            "stage": "filters",
            "step": r["dropped_by"],
            "kind": r["reason"],
            "reason": r["detail"],
            "shard": r["shard"],
        }
        for r in dropped
    ]
    return pa.Table.from_pylist(out, schema=REJECTS_SCHEMA)
