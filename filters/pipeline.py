"""One unit of work: one stage of a recipe over one input shard (what a dask task runs).

The shard's samples stream through the stage's steps in chunks: each step measures the samples
still in (or every sample with `measure_all`), decides with the operator's own `judge`, and an
emitting step's new samples join the chunk for the later steps. Outputs go under unique
temporary names and are renamed; the done marker comes last, so a task killed at any point is
simply redone, and a finished one is skipped.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from corpus.schema import Sample
from corpus.shards import WEBDATASET, ShardRouter, complete_shards, data_path, iter_shard
from filters.operator import ERROR_KEY, Operator
from filters.recipe import Recipe
from filters.stats import RunStats
from filters.tables import BASE_SCHEMA, col, stats_schema, write_table_atomic
from filters.workdir import WorkDir

CHUNK_SAMPLES = 256  # samples that go through all steps together (bounds memory per task)
DERIVED_SHARD_BYTES = 500_000_000


@dataclass(frozen=True)
class ShardTask:
    recipe: Recipe
    input_root: str
    out: str
    shard: str
    stage: int
    measure_all: bool = False


@dataclass
class Entry:
    """A sample in flight with its base columns, its stats row and whether it is still in."""

    sample: Sample
    base: dict[str, Any]
    alive: bool = True
    row: dict[str, Any] = field(default_factory=dict)


def step_stats(op: Operator, row: dict[str, Any]) -> dict[str, Any]:
    """One step's stats of a row, unprefixed (what `decide` reads)."""
    keys = [*op.STATS, ERROR_KEY]
    return {k: row.get(col(op.step, k)) for k in keys}


def set_verdict(op: Operator, row: dict[str, Any], verdict: tuple[str, str] | None) -> None:
    row[col(op.step, "verdict")] = verdict[0] if verdict else ""
    row[col(op.step, "detail")] = verdict[1] if verdict else None


def run_shard_stage(task: ShardTask) -> dict[str, Any]:
    """Run the task unless its marker exists; return its counters (a RunStats dict)."""
    work = WorkDir(Path(task.out))
    if work.task_done(task.stage, task.shard):
        return work.counters(task.stage, task.shard)
    ops = [s.build() for s in task.recipe.stages()[task.stage]]
    for op in ops:
        op.setup()
    processed: list[Entry] = []
    seq = itertools.count()
    for chunk in _chunks(_entries(task, work)):
        processed += run_steps(ops, chunk, task, seq)
    _write_outputs(task, work, ops, processed)
    counters = sum((RunStats({op.step: op.take_counters()}) for op in ops), RunStats())
    work.mark_done(task.stage, task.shard, counters.to_dict())
    return counters.to_dict()


def run_steps(ops: list[Operator], entries: list[Entry], task: ShardTask, seq) -> list[Entry]:
    """Measure and decide every step for one chunk; returns the chunk plus emitted samples."""
    for op in ops:
        targets = [e for e in entries if e.alive or task.measure_all]
        applicable = [e for e in targets if op.applies(e.sample)]
        stats = op.run_measure([e.sample for e in applicable])
        for e in targets:
            e.row[col(op.step, "measured")] = False
        for e, s in zip(applicable, stats, strict=True):
            e.row.update({col(op.step, k): v for k, v in s.items()})
            e.row[col(op.step, "measured")] = True
        if not op.is_global:
            entries = entries + _decide(op, entries, task, seq)
    return entries


def _decide(op: Operator, entries: list[Entry], task: ShardTask, seq) -> list[Entry]:
    born = []
    for e in entries:
        if not e.alive:
            continue
        measured = e.row[col(op.step, "measured")]
        verdict = op.judge(step_stats(op, e.row)) if measured else op.pass_through()
        set_verdict(op, e.row, verdict)
        e.alive = verdict is None
        if e.alive and op.emits and measured:
            for child in op.run_emit(e.sample, step_stats(op, e.row)):
                base = _base(child, task.shard, task.stage + 1, next(seq), op.step, e.sample.id)
                born.append(Entry(child, base))
    return born


def _base(sample: Sample, shard: str, stage_born: int, seq: int, born=None, parent=None) -> dict:
    return {
        "id": sample.id,
        "task": sample.task,
        "shard": shard,
        "stage_born": stage_born,
        "seq": seq,
        "born": born,
        "parent": parent,
    }


def _entries(task: ShardTask, work: WorkDir) -> Iterator[Entry]:
    """The shard's input samples, then samples earlier stages made from them, with `alive`."""
    alive = _alive_ids(task, work)
    inputs = iter_shard(data_path(Path(task.input_root) / "shards", task.shard))
    for i, sample in enumerate(inputs):
        entry = Entry(sample, _base(sample, task.shard, 0, i))
        entry.alive = alive is None or sample.id in alive
        if entry.alive or task.measure_all:
            yield entry
    for k in range(task.stage):
        bases = pl.read_parquet(work.task_file(k, task.shard, "samples.parquet"))
        by_id = {r["id"]: r for r in bases.filter(pl.col("stage_born") > 0).to_dicts()}
        for sample in sorted(_derived(work, task.shard, k), key=lambda s: by_id[s.id]["seq"]):
            entry = Entry(sample, by_id[sample.id], alive=alive is None or sample.id in alive)
            if entry.alive or task.measure_all:
                yield entry


def _alive_ids(task: ShardTask, work: WorkDir) -> set[str] | None:
    if task.stage == 0:
        return None
    frame = pl.read_parquet(work.alive_file(task.stage - 1))
    return set(frame.filter((pl.col("shard") == task.shard) & pl.col("alive"))["id"].to_list())


def _derived(work: WorkDir, shard: str, stage: int) -> Iterator[Sample]:
    prefix = f"{shard}-s{stage}-"
    for name in complete_shards(work.derived_shards):
        if name.startswith(prefix):
            yield from iter_shard(data_path(work.derived_shards, name))


def _chunks(entries: Iterator[Entry]) -> Iterator[list[Entry]]:
    while chunk := list(itertools.islice(entries, CHUNK_SAMPLES)):
        yield chunk


def _write_outputs(task: ShardTask, work: WorkDir, ops: list[Operator], done: list[Entry]) -> None:
    born = [e for e in done if e.base["stage_born"] == task.stage + 1]
    _write_derived(work, f"{task.shard}-s{task.stage}", [e.sample for e in born])
    bases = [e.base for e in done if e.base["stage_born"] == 0 and task.stage == 0] + [
        e.base for e in born
    ]
    write_table_atomic(
        bases, BASE_SCHEMA, work.task_file(task.stage, task.shard, "samples.parquet")
    )
    rows = [{"id": e.base["id"], **e.row} for e in done]
    path = work.task_file(task.stage, task.shard, "stats.parquet")
    write_table_atomic(rows, stats_schema(ops), path)


def _write_derived(work: WorkDir, prefix: str, samples: list[Sample]) -> None:
    """Write samples as corpus shards PREFIX-NNN in a private folder, then move them in place."""
    if not samples:
        return
    tmp = work.tmp / f"{prefix}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    router = ShardRouter(tmp, prefix, WEBDATASET.name, DERIVED_SHARD_BYTES)
    for sample in samples:
        router.add(sample)
    for name in router.commit_all():
        for suffix in (WEBDATASET.suffix, ".parquet", ".done"):  # the done marker last
            os.replace(tmp / f"{name}{suffix}", work.derived_shards / f"{name}{suffix}")
    shutil.rmtree(tmp)
