"""The ingest driver: stream raw records into chunks, run chunks on workers, finish the dataset.

Records are enumerated lazily in the main process and grouped into chunks of `shard_samples`.
Chunks run inline (one worker), on local forked processes (`workers`), or on the workers of a
dask scheduler (`scheduler`, tcp://HOST:PORT; they must see the inputs and the output at the same
paths). At most two chunks per worker are in flight, so memory stays bounded however large the
input; a chunk whose dask worker died is run again elsewhere (chunks are idempotent).
Chunks with a marker from an earlier attempt are skipped; the rest are (re)done; the manifest,
rejects table and dataset.json are rebuilt from the markers at the end. The same inputs and
options therefore always produce the same dataset, interrupted or not.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from corpus.atomic import write_parquet_atomic
from corpus.cluster import TASK_RETRIES, dask_client
from corpus.dataset import lineage, write_dataset_json, write_manifest
from corpus.images import DEFAULT_MAX_PIXELS
from corpus.ingest import readers
from corpus.ingest.build import BuildOptions
from corpus.ingest.chunks import (
    REJECTS_SCHEMA,
    ChunkResult,
    ChunkTask,
    die_with_parent,
    load_result,
    process_chunk,
    rejects_path,
)
from corpus.runs import same_run
from corpus.schema import source_name
from corpus.shards import DEFAULT_FORMAT

WORK_DIR = ".ingest"
# Version of what a chunk writes (shards, sidecar and rejects columns): a resume only reuses
# chunks written by the same version. Bump it whenever chunk outputs change.
CHUNK_FORMAT = 2


@dataclass(frozen=True)
class SourceSpec:
    """One input path, how to read it and the source name its keys get."""

    path: Path
    format: str = "auto"
    task: str | None = None
    name: str | None = None

    @property
    def source(self) -> str:
        """The given name, else the folder's name, else the file's folder and stem."""
        if self.name:
            return source_name(self.name)
        if self.path.is_dir() or not self.path.parent.name:
            return source_name(self.path.name)
        return source_name(f"{self.path.parent.name}_{self.path.stem}")


@dataclass(frozen=True)
class IngestConfig:
    out: Path
    shard_format: str = DEFAULT_FORMAT
    shard_samples: int = 5000  # input records per chunk, i.e. per unit of work
    shard_bytes: int = 1_000_000_000  # a shard part closes past this size
    workers: int = 1  # local worker processes when no scheduler is given
    scheduler: str | None = None  # tcp://HOST:PORT of a running dask scheduler
    max_pixels: int = DEFAULT_MAX_PIXELS
    verify: str = "header"
    reencode: str = "never"
    fsync: bool = False  # fsync each shard before marking it done (survives power loss)
    progress: bool = True


@dataclass
class IngestSummary:
    read: int = 0
    kept: int = 0
    rejected: int = 0
    chunks: int = 0
    skipped_chunks: int = 0
    shards: list[str] = field(default_factory=list)


def ingest(sources: list[SourceSpec], cfg: IngestConfig) -> IngestSummary:
    """Ingest raw inputs into the dataset directory `cfg.out` (resuming if it was started)."""
    work = cfg.out / WORK_DIR
    for d in (cfg.out / "shards", work / "chunks", work / "rejects"):
        d.mkdir(parents=True, exist_ok=True)
    with open(work / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"{cfg.out}: another ingest is writing here") from None
        _check_same_run(work, sources, cfg)
        summary = _run_chunks(_chunk_tasks(sources, cfg), cfg, work)
        _finish(cfg, work, sources, summary)
    return summary


def _check_same_run(work: Path, sources: list[SourceSpec], cfg: IngestConfig) -> None:
    """Resuming is only exact with the same inputs and options; refuse anything else."""
    run = {
        "chunk_format": CHUNK_FORMAT,
        "sources": [{**asdict(s), "path": str(s.path.resolve())} for s in sources],
        "config": {
            k: v
            for k, v in asdict(cfg).items()
            if k not in ("out", "workers", "scheduler", "progress", "fsync")
        },
    }
    path = work / "run.json"
    if not same_run(path, run):
        raise RuntimeError(
            f"{cfg.out} holds an ingest started with other inputs or options "
            f"(see {path}); use a new --out or delete it"
        )


def _chunk_tasks(sources: list[SourceSpec], cfg: IngestConfig) -> Iterator[ChunkTask]:
    index = 0
    for spec in sources:
        options = BuildOptions(spec.source, cfg.max_pixels, cfg.verify, cfg.reencode)
        records = readers.read(spec.path.resolve(), spec.format, spec.task)
        while chunk := list(islice(records, cfg.shard_samples)):
            yield ChunkTask(index, chunk, options)
            index += 1


def _run_chunks(tasks: Iterator[ChunkTask], cfg: IngestConfig, work: Path) -> IngestSummary:
    summary = IngestSummary()
    bar = tqdm(desc="ingest", unit=" samples", disable=not cfg.progress)
    # Absolute paths, here and in the records: a dask worker may run in another directory.
    shards = (cfg.out / "shards").resolve()
    args = (shards, work.resolve(), cfg.shard_format, cfg.shard_bytes, cfg.fsync)

    def account(result: ChunkResult, skipped: bool) -> None:
        summary.read += result.read
        summary.kept += result.kept
        summary.rejected += result.rejected
        summary.chunks += 1
        summary.skipped_chunks += skipped
        bar.update(result.read)
        bar.set_postfix(kept=summary.kept, rejected=summary.rejected)

    pending = (t for t in tasks if not _skip(t, work, account))
    if cfg.workers <= 1 and not cfg.scheduler:
        for task in pending:
            account(process_chunk(task, *args), False)
    else:
        with _executor(cfg) as (executor, max_in_flight):
            _run_parallel(pending, executor, max_in_flight, args, account)
    bar.close()
    return summary


def _skip(task: ChunkTask, work: Path, account) -> bool:
    done = load_result(work, task.index)
    if done is not None:
        account(done, True)
    return done is not None


@contextlib.contextmanager
def _executor(cfg: IngestConfig) -> Iterator[tuple[Executor, int]]:
    """Where chunks run, and how many may be in flight (two per worker thread): the workers of
    the dask scheduler, else local processes forked from this one (they start in milliseconds,
    where a LocalCluster takes seconds)."""
    if cfg.scheduler:
        with dask_client(cfg.scheduler, cfg.workers) as client:
            threads = max(1, sum(client.nthreads().values()))
            yield client.get_executor(retries=TASK_RETRIES, pure=False), 2 * threads
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(cfg.workers, mp_context=context, initializer=die_with_parent) as pool:
        yield pool, 2 * cfg.workers


def _run_parallel(
    tasks: Iterator[ChunkTask], executor: Executor, max_in_flight: int, args: tuple, account
) -> None:
    in_flight: set[Future] = set()
    for task in tasks:
        in_flight.add(executor.submit(process_chunk, task, *args))
        if len(in_flight) >= max_in_flight:
            in_flight = _drain(in_flight, account, FIRST_COMPLETED)
    _drain(in_flight, account, None)


def _drain(in_flight: set[Future], account, return_when) -> set[Future]:
    done, rest = wait(in_flight, return_when=return_when or "ALL_COMPLETED")
    for future in done:
        account(future.result(), False)
    return rest


def _finish(cfg: IngestConfig, work: Path, sources: list[SourceSpec], s: IngestSummary) -> None:
    manifest = write_manifest(cfg.out)
    rejects = [pq.read_table(rejects_path(work, i)) for i in range(s.chunks)]
    write_parquet_atomic(
        pa.concat_tables(rejects) if rejects else REJECTS_SCHEMA.empty_table(),
        cfg.out / "rejects.parquet",
    )
    s.shards = sorted({row for row in manifest.column("shard").to_pylist()})
    if manifest.num_rows != s.kept:
        raise RuntimeError(
            f"{cfg.out}: manifest has {manifest.num_rows} rows, chunks kept {s.kept}"
        )
    write_dataset_json(
        cfg.out,
        manifest,
        lineage(
            "corpus ingest",
            sources=[
                {"path": str(x.path), "format": x.format, "source": x.source} for x in sources
            ],
        ),
        shard_format=cfg.shard_format,
        inputs={"read": s.read, "kept": s.kept, "rejected": s.rejected},
    )
