"""Atomic file writes: write beside the target under a unique temporary name, then rename.

The rename is atomic, so a reader (or a resumed run) sees the old file or the whole new one,
never a half-written one. The name is unique (process id and a random suffix), so two writers
of one file -- a stale worker of a killed run and the resumed run, say -- never write into the
same temporary file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# Parquet row groups of at most this many rows: a streaming reader (corpus select, polars'
# sinks) holds about one group of each file at a time, so its memory does not grow with the file.
ROW_GROUP_ROWS = 65_536


def temporary_name(path: Path) -> Path:
    """A hidden, unique name beside ``path`` (same filesystem, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write; it replaces ``path`` when the block succeeds and is removed
    when it raises."""
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(text: str, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS)
