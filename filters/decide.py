"""Decisions from stored stats: replay every step's `judge` over the whole dataset, in order.

This is the one place the final keep/drop of every sample is made, for `filters run` (after
the shard tasks) and for `filters apply` (with new thresholds, no model). Dataset-level steps
re-`resolve` over the samples that reach them, so a changed earlier threshold changes who is
a duplicate of whom. A sample made by an emitting step is in only while its parent is kept there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from filters.operator import ERROR_KEY, Operator
from filters.pipeline import set_verdict, step_stats
from filters.recipe import Recipe
from filters.stats import RunStats
from filters.tables import col

FINAL_COLUMNS = ("kept", "dropped_by", "reason", "detail")


@dataclass
class Replay:
    rows: list[dict[str, Any]]  # canonical order; verdict, resolved and final columns filled
    stats: RunStats


def replay(recipe: Recipe, rows: list[dict[str, Any]], n_steps: int | None = None) -> Replay:
    """Decide the first `n_steps` steps (default all) for `rows` (base + stats columns)."""
    ops = [s.build() for s in recipe.steps[:n_steps]]
    position = {op.step: i for i, op in enumerate(ops)}
    children: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["born"] is not None:
            children[(r["parent"], r["born"])].append(r)
    alive = {r["id"]: r["born"] is None for r in rows}
    for i, op in enumerate(ops):
        reached = [r for r in rows if alive[r["id"]] and _entered(r, i, position)]
        for r in rows:
            r[col(op.step, "verdict")] = r[col(op.step, "detail")] = None
        if op.is_global:
            _resolve(op, reached)
        for r in reached:
            verdict = _judge(op, r)
            set_verdict(op, r, verdict)
            alive[r["id"]] = verdict is None
            if verdict is None and op.emits:
                for child in children.get((r["id"], op.step), []):
                    alive[child["id"]] = True
                    op.counters.emitted += 1
    for r in rows:
        _final(r, ops, alive[r["id"]])
    return Replay(rows, sum((RunStats({op.step: op.take_counters()}) for op in ops), RunStats()))


def _entered(row: dict[str, Any], i: int, position: dict[str, int]) -> bool:
    return row["born"] is None or position.get(row["born"], len(position)) < i


def _judge(op: Operator, row: dict[str, Any]) -> tuple[str, str] | None:
    measured = row.get(col(op.step, "measured"))
    if measured is None:
        return op.not_measured()
    if not measured:
        return op.pass_through()
    return op.judge(step_stats(op, row))


def _resolve(op: Operator, reached: list[dict[str, Any]]) -> None:
    measured = [
        r for r in reached if r.get(col(op.step, "measured")) and not r.get(col(op.step, ERROR_KEY))
    ]
    inputs = [{"id": r["id"], "task": r["task"], **step_stats(op, r)} for r in measured]
    for r, resolved in zip(measured, op.resolve(inputs), strict=True):
        r.update({col(op.step, k): v for k, v in resolved.items()})


def _final(row: dict[str, Any], ops: list[Operator], kept: bool) -> None:
    row["kept"] = kept
    row["dropped_by"] = row["reason"] = row["detail"] = None
    for op in ops:
        reason = row.get(col(op.step, "verdict"))
        if reason:
            row["dropped_by"], row["reason"] = op.step, reason
            row["detail"] = row.get(col(op.step, "detail"))
            return
    if not kept and row["born"] is not None:  # its parent left before the emitting step
        row["dropped_by"], row["reason"] = row["born"], "parent_dropped"
