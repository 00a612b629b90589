"""The recipe runner on dask.distributed: one task per input shard and stage.

A LocalCluster of single-threaded worker processes by default, or any scheduler given as
`tcp://HOST:PORT`. Stages are separated by dataset-level steps (dedup): after a stage's tasks,
the driver replays the decisions so far (cheap: stats only) and records who is still in; the
next stage's tasks read that. Finished tasks are skipped on restart, so a killed run resumes to
the output an uninterrupted run gives. The runner only maps tasks and sums their counters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from corpus.cluster import TASK_RETRIES, dask_client
from corpus.dataset import Dataset, code_version
from filters.decide import replay
from filters.finalize import finalize, load_rows
from filters.pipeline import ShardTask, run_shard_stage
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
    """Run the recipe over the dataset into `cfg.out`; returns the report (also on disk)."""
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
        return finalize(cfg, dataset, work, shards, task_stats, client)


def _run_identity(cfg: RunConfig) -> dict:
    return {
        "recipe": cfg.recipe.to_dict(),
        "input": str(Path(cfg.input).resolve()),
        "measure_all": cfg.measure_all,
        "materialize": cfg.materialize,
    }


def map_tasks(client, tasks: list, desc: str, progress: bool, fn=run_shard_stage) -> RunStats:
    """Submit every task not yet done, wait for all, and sum the counters."""
    from dask.distributed import as_completed

    total = RunStats()
    todo = []
    for t in tasks:
        work = WorkDir(Path(t.out))
        if isinstance(t, ShardTask) and work.task_done(t.stage, t.shard):
            total += RunStats.from_dict(work.counters(t.stage, t.shard))
        else:
            todo.append(t)
    keys = [f"filters-{_task_name(t)}-{t.recipe.digest()[:12]}" for t in todo]
    futures = client.map(fn, todo, key=keys, retries=TASK_RETRIES, pure=False)
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=desc, unit="shard",
               disable=not progress)  # fmt: skip
    for future in as_completed(futures):
        total += RunStats.from_dict(future.result())
        bar.update()
    bar.close()
    return total


def _task_name(task) -> str:
    return f"s{getattr(task, 'stage', 'm')}-{task.shard}"


def record_alive(recipe: Recipe, work: WorkDir, shards: list[str], stage: int) -> None:
    """After a dataset-level step: replay decisions so far and record who is still in."""
    if work.alive_done(stage):
        return
    n_steps = sum(len(st) for st in recipe.stages()[: stage + 1])
    decided = replay(recipe, load_rows(work, shards, stage), n_steps)
    rows = [{"id": r["id"], "shard": r["shard"], "alive": r["kept"]} for r in decided.rows]
    write_table_atomic(rows, ALIVE_SCHEMA, work.alive_file(stage))
    (work.stage(stage) / "alive.done").write_text(json.dumps({"code": code_version()}) + "\n")
