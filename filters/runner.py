"""The recipe runner on dask.distributed: one task per input shard and stage.

A LocalCluster of single-threaded worker processes by default, or any scheduler given as
`tcp://HOST:PORT`. Stages are separated by dataset-level steps (dedup): after a stage's tasks,
the driver replays the decisions so far (cheap: stats only) and records who is still in; the
next stage's tasks read that. Finished tasks are skipped on restart, so a killed run resumes to
the output an uninterrupted run gives. `run` is the one orchestrator: tasks go through
`filters.executor`, decisions and outputs come from `filters.finalize`, which schedules nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from corpus.dataset import Dataset, code_version
from filters.decide import replay
from filters.executor import dask_client, map_tasks
from filters.finalize import decide_all, load_rows, write_outputs
from filters.materialize import materialize
from filters.pipeline import ShardTask
from filters.recipe import Recipe
from filters.stats import RunStats
from filters.tables import write_table_atomic
from filters.workdir import WorkDir

ALIVE_SCHEMA = pa.schema([("id", pa.string()), ("shard", pa.string()), ("alive", pa.bool_())])


@dataclass
class RunConfig:
    recipe: Recipe
    input: Path
    out: Path
    scheduler: str | None = None  # tcp://HOST:PORT of a running dask scheduler
    workers: int = 2  # LocalCluster worker processes when no scheduler is given
    materialize: bool = False
    measure_all: bool = False  # measure every step on every sample (for threshold sweeps)
    progress: bool = True


def run(cfg: RunConfig) -> dict:
    """Run the recipe over the dataset into `cfg.out`; returns the report (also on disk).

    Stages of shard tasks, then every sample's row, the decisions, (kept samples written as
    shards,) and the outputs.
    """
    dataset = Dataset.open(cfg.input)
    shards = dataset.shards()
    stages = cfg.recipe.stages()
    work = WorkDir(cfg.out)
    work.check_same_run(_run_identity(cfg))
    work.make(len(stages))
    with dask_client(cfg.scheduler, cfg.workers) as client:
        task_stats = RunStats()
        for k in range(len(stages)):
            tasks = [
                ShardTask(cfg.recipe, str(dataset.root), str(cfg.out), s, k, cfg.measure_all)
                for s in shards
            ]
            task_stats += map_tasks(client, tasks, f"stage {k + 1}/{len(stages)}", cfg.progress)
            if k < len(stages) - 1:
                record_alive(cfg.recipe, work, shards, k)
        rows = load_rows(work, shards, len(stages) - 1)
        rows, funnel = decide_all(cfg.recipe, rows, check=True)
        manifest = None
        if cfg.materialize:
            manifest = materialize(client, cfg.recipe, dataset, cfg.out, rows, cfg.progress)
    return write_outputs(cfg.recipe, dataset, cfg.out, rows, funnel, task_stats, manifest)


def _run_identity(cfg: RunConfig) -> dict:
    return {
        "recipe": cfg.recipe.to_dict(),
        "input": str(Path(cfg.input).resolve()),
        "measure_all": cfg.measure_all,
        "materialize": cfg.materialize,
    }


def record_alive(recipe: Recipe, work: WorkDir, shards: list[str], stage: int) -> None:
    """After a dataset-level step: replay decisions so far and record who is still in."""
    if work.alive_done(stage):
        return
    n_steps = sum(len(st) for st in recipe.stages()[: stage + 1])
    decided = replay(recipe, load_rows(work, shards, stage), n_steps)
    rows = [{"id": r["id"], "shard": r["shard"], "alive": r["kept"]} for r in decided.rows]
    write_table_atomic(rows, ALIVE_SCHEMA, work.alive_file(stage))
    (work.stage(stage) / "alive.done").write_text(json.dumps({"code": code_version()}) + "\n")
