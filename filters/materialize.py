"""`--materialize`: kept samples written as new corpus shards in OUT, stats and verdicts inside.

One task per input shard (its kept input samples, then the kept samples operators made from
them); shards are named after the input shard, so a rerun rewrites the same files. OUT then is
a dataset of its own (`Dataset.open(OUT)`), and OUT/manifest.parquet points into it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from corpus.atomic import write_text_atomic
from corpus.dataset import Dataset, lineage, write_dataset_json, write_manifest
from corpus.shards import WEBDATASET, ShardRouter, complete_shards, data_path, iter_shard
from filters.executor import map_tasks
from filters.operator import get_operator
from filters.recipe import Recipe
from filters.tables import col
from filters.workdir import WorkDir

SHARD_BYTES = 1_000_000_000
KEPT = "kept"


@dataclass(frozen=True)
class MaterializeTask:
    recipe: Recipe
    input_root: str
    out: str
    shard: str
    keep: dict[str, dict[str, Any]]  # id -> {"stats": {step: {...}}, "verdicts": {step: ...}}


def sample_record(recipe: Recipe, row: dict[str, Any]) -> dict[str, Any]:
    """A kept row's stats and verdicts as the sample JSON stores them (by step)."""
    stats, verdicts = {}, {}
    for step in recipe.steps:
        if not row.get(col(step.name, "measured")):
            continue
        keys = get_operator(step.op).STATS
        stats[step.name] = {k: row.get(col(step.name, k)) for k in keys}
        verdicts[step.name] = KEPT
    return {"stats": stats, "verdicts": verdicts}


def materialize_shard(task: MaterializeTask) -> dict[str, Any]:
    work = WorkDir(Path(task.out))
    marker = work.root / "materialize" / f"{task.shard}.done"
    if marker.exists():
        return {}
    ops = {s.name: s.build() for s in task.recipe.steps}
    tmp = work.tmp / f"m-{task.shard}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    router = ShardRouter(tmp, task.shard, WEBDATASET.name, SHARD_BYTES)
    for sample in _candidates(task, work):
        record = task.keep.get(sample.id)
        if record is None:
            continue
        sample.stats, sample.verdicts = record["stats"], record["verdicts"]
        for name, stats in record["stats"].items():
            ops[name].annotate(sample, stats)
        router.add(sample)
    shards_dir = Path(task.out) / "shards"
    for name in router.commit_all():
        for suffix in (WEBDATASET.suffix, ".parquet", ".done"):
            os.replace(tmp / f"{name}{suffix}", shards_dir / f"{name}{suffix}")
    shutil.rmtree(tmp)
    marker.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic("done\n", marker)
    return {}


def clear_materialized(out: Path) -> None:
    """Remove OUT's materialized shards and their markers, so they are written again."""
    work = WorkDir(out)
    shutil.rmtree(out / "shards", ignore_errors=True)
    shutil.rmtree(work.root / "materialize", ignore_errors=True)


def _candidates(task: MaterializeTask, work: WorkDir):
    yield from iter_shard(data_path(Path(task.input_root) / "shards", task.shard))
    for name in complete_shards(work.derived_shards):
        if name.startswith(f"{task.shard}-s"):
            yield from iter_shard(data_path(work.derived_shards, name))


def materialize(
    client, recipe: Recipe, dataset: Dataset, out: Path, rows: list[dict[str, Any]], progress: bool
) -> pa.Table:
    """Write the kept samples of every shard on dask; return OUT's manifest (with `dataset`)."""
    keep: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        if r["kept"]:
            keep[r["shard"]][r["id"]] = sample_record(recipe, r)
    out = Path(out)
    (out / "shards").mkdir(exist_ok=True)
    tasks = [
        MaterializeTask(recipe, str(dataset.root), str(out), shard, keep.get(shard, {}))
        for shard in dataset.shards()
    ]
    map_tasks(client, tasks, "materialize", progress, fn=materialize_shard)
    manifest = write_manifest(out)
    write_dataset_json(out, manifest, lineage("filters run --materialize", recipe=recipe.name))
    frame = pl.from_arrow(manifest).with_columns(pl.lit(str(out.resolve())).alias("dataset"))
    return frame.to_arrow()
