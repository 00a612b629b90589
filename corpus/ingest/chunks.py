"""One unit of ingest work: a chunk of raw records in, complete shards and rejections out.

A chunk is written into shards named `CHUNK-PART` (parts split by layout and size). It counts
as done only once its marker exists; a rerun deletes whatever an interrupted attempt left with
that chunk's prefix and redoes it, so retries are idempotent.
"""

from __future__ import annotations

import ctypes
import json
import signal
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from corpus.atomic import write_parquet_atomic, write_text_atomic
from corpus.ingest.build import BuildOptions, Rejection, build
from corpus.ingest.records import RawRecord
from corpus.shards import ShardRouter

REJECTS_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("origin", pa.string()),
        ("task", pa.string()),
        ("stage", pa.string()),
        ("kind", pa.string()),
        ("reason", pa.string()),
        ("chunk", pa.int64()),
    ]
)
_PR_SET_PDEATHSIG = 1


@dataclass
class ChunkTask:
    index: int
    records: list[RawRecord]
    options: BuildOptions


@dataclass(frozen=True)
class ChunkResult:
    index: int
    read: int
    kept: int
    rejected: int
    shards: list[str]


def chunk_prefix(index: int) -> str:
    return f"{index:06d}"


def marker_path(work: Path, index: int) -> Path:
    return work / "chunks" / f"{chunk_prefix(index)}.json"


def rejects_path(work: Path, index: int) -> Path:
    return work / "rejects" / f"{chunk_prefix(index)}.parquet"


def clear_chunk(shards_dir: Path, work: Path, index: int) -> None:
    """Remove every file an interrupted attempt at this chunk may have left: its shards and
    the temporaries of its rejects table and marker."""
    prefix = chunk_prefix(index)
    stale = [
        *shards_dir.glob(f"{prefix}-*"),
        *shards_dir.glob(f".{prefix}-*"),
        *rejects_path(work, index).parent.glob(f".{prefix}.*"),
        *marker_path(work, index).parent.glob(f".{prefix}.*"),
    ]
    for path in stale:
        path.unlink(missing_ok=True)  # a stale worker of a killed run may be clearing too


def process_chunk(
    task: ChunkTask,
    shards_dir: Path,
    work: Path,
    shard_format: str,
    max_bytes: int,
    durable: bool = False,
) -> ChunkResult:
    clear_chunk(shards_dir, work, task.index)
    prefix = chunk_prefix(task.index)
    router = ShardRouter(shards_dir, prefix, shard_format, max_bytes, durable)
    rejects = []
    for record in task.records:
        result = build(record, task.options)
        if isinstance(result, Rejection):
            rejects.append(_reject_row(task, record, result))
        else:
            router.add(result)
    shards = router.commit_all()
    write_parquet_atomic(
        pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA), rejects_path(work, task.index)
    )
    result = ChunkResult(
        task.index, len(task.records), len(task.records) - len(rejects), len(rejects), shards
    )
    write_text_atomic(json.dumps(result.__dict__) + "\n", marker_path(work, task.index))
    return result


def _reject_row(task: ChunkTask, record: RawRecord, rejection: Rejection) -> dict:
    return {
        "source": task.options.source,
        "origin": record.origin,
        "task": record.task,
        "stage": "ingest",
        "kind": rejection.kind,
        "reason": rejection.reason,
        "chunk": task.index,
    }


def load_result(work: Path, index: int) -> ChunkResult | None:
    marker = marker_path(work, index)
    return ChunkResult(**json.loads(marker.read_text())) if marker.exists() else None


def die_with_parent() -> None:
    """Worker initializer: on Linux, die when the ingest process dies (e.g. SIGKILL), so an
    orphaned worker never writes into a directory a resumed run is using."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
