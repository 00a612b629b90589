"""Tables that list samples: JSON lines, CSV and Parquet, with image paths or bytes per row.

Paths in a row are relative to the table's directory. The task comes from `--task`, else from
the columns (source + target columns make an edit table, `conversations` an understanding one).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from corpus.ingest.records import (
    SOURCE_COLUMNS,
    TARGET_COLUMNS,
    RawRecord,
    first,
    record_from_row,
)

PARQUET_BATCH_ROWS = 256


def task_of(row: dict[str, Any]) -> str:
    if first(row, SOURCE_COLUMNS)[0] and first(row, TARGET_COLUMNS)[0]:
        return "it2i"
    if "conversations" in row or "messages" in row:
        return "it2t"
    if "cot" in row:
        return "a2a"
    return "t2i"


def _records(src: Path, rows: Iterator[tuple[str, Any]], task: str | None) -> Iterator[RawRecord]:
    for origin, row in rows:
        if isinstance(row, Exception) or not isinstance(row, dict):
            reason = row if isinstance(row, Exception) else f"row is {type(row).__name__}"
            yield RawRecord(origin, task or "t2i", error=f"{origin}: unreadable row ({reason})")
            continue
        yield record_from_row(row, task or task_of(row), src.parent, origin)


def _jsonl_rows(src: Path) -> Iterator[tuple[str, Any]]:
    with open(src, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            origin = f"{src.name}:{number}"
            try:
                yield origin, json.loads(line)
            except json.JSONDecodeError as e:
                yield origin, e


def _csv_rows(src: Path) -> Iterator[tuple[str, Any]]:
    with open(src, encoding="utf-8", errors="replace", newline="") as f:
        for number, row in enumerate(csv.DictReader(f), start=2):
            yield f"{src.name}:{number}", row


def _parquet_rows(src: Path) -> Iterator[tuple[str, Any]]:
    index = 0
    for batch in pq.ParquetFile(src).iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for row in batch.to_pylist():
            yield f"{src.name}#{index}", row
            index += 1


def read_jsonl(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    return _records(src, _jsonl_rows(src), task)


def read_csv(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    return _records(src, _csv_rows(src), task)


def read_parquet(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    return _records(src, _parquet_rows(src), task)


_ROWS = {".jsonl": _jsonl_rows, ".csv": _csv_rows, ".parquet": _parquet_rows}


def read_edits(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    """Edit triplets (source, target, instruction[, inverse_instruction, edit_type]) per row."""
    if (task or "it2i") != "it2i":
        raise ValueError(f"{src}: an edits table holds it2i samples, not {task}")
    return _records(src, _ROWS[src.suffix.lower()](src), "it2i")


def looks_like_edits(src: Path) -> bool:
    """Whether the table's first row has both a source and a target image column."""
    for _, row in _ROWS[src.suffix.lower()](src):
        return isinstance(row, dict) and task_of(row) == "it2i"
    return False
