"""Column layout of the per-sample tables the runner writes (stats.parquet and the work files).

Base columns say which sample a row is and where it sits in the canonical order (input shard,
the stage it was born in, position). Each step adds `STEP.STAT` columns typed from the
operator's `STATS` (per-image stats are lists), plus `STEP.measured` (null: the sample never
reached the step; false: the operator does not apply to it), `STEP.error`, `STEP.verdict`
(null: not reached; "": kept; else the drop reason) and `STEP.detail`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from corpus.atomic import write_parquet_atomic
from filters.operator import ERROR_KEY, Operator, Stat

BASE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("task", pa.string()),
        ("shard", pa.string()),
        ("stage_born", pa.int32()),  # 0 for input samples; k + 1 for samples made in stage k
        ("seq", pa.int64()),  # position within (shard, stage_born)
        ("born", pa.string()),  # the step that made the sample (null: an input sample)
        ("parent", pa.string()),  # the sample it was made from
    ]
)
ARROW_TYPES = {
    "float": pa.float64(),
    "int": pa.int64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "floats": pa.list_(pa.float64()),
}
STEP_FIELDS = ("measured", ERROR_KEY, "verdict", "detail")
STEP_FIELD_TYPES = {"measured": pa.bool_(), ERROR_KEY: pa.string()}


def stat_type(stat: Stat) -> pa.DataType:
    t = ARROW_TYPES[stat.dtype]
    return pa.list_(t) if stat.per_image else t


def col(step: str, key: str) -> str:
    return f"{step}.{key}"


def step_schema(op: Operator) -> pa.Schema:
    fields = [(col(op.step, k), stat_type(s)) for k, s in op.STATS.items()]
    fields += [(col(op.step, k), STEP_FIELD_TYPES.get(k, pa.string())) for k in STEP_FIELDS]
    return pa.schema(fields)


def stats_schema(ops: list[Operator]) -> pa.Schema:
    fields = [pa.field("id", pa.string())]
    for op in ops:
        fields += list(step_schema(op))
    return pa.schema(fields)


def write_table_atomic(
    rows: list[dict[str, Any]] | pa.Table, schema: pa.Schema, path: Path
) -> None:
    """Write rows as Parquet atomically under a unique temporary name (``corpus.atomic``): an
    orphaned worker of a killed run may write the same file while the resumed run does; both
    produce the same bytes and each rename is atomic."""
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema)
    write_parquet_atomic(table, path)
