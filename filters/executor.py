"""Running filter tasks on dask: the client (from `corpus.cluster`) and `map_tasks`.

The only module that schedules work; the runner, materialization and `filters apply` map their
tasks through it, so none of them needs another's import.
"""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from corpus.cluster import TASK_RETRIES, dask_client
from filters.pipeline import ShardTask, run_shard_stage
from filters.stats import RunStats
from filters.workdir import WorkDir

__all__ = ["dask_client", "map_tasks"]


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
