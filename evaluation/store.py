"""The results store of DESIGN.md section 7, read by the dashboard (a stable contract).

``results/RUN/BENCHMARK/`` holds ``run.json`` (what was evaluated, how, when), ``records.parquet``
(one row per scored item), ``scores.json`` (``{"overall": x, "categories": {...}}`` with the
official names and scales) and ``outputs/`` (generated images in the official layout).
Nested values in records (lists, dicts) are stored as JSON strings so every benchmark's table has
flat, polars/pyarrow-readable columns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from corpus.atomic import atomic_path, write_text_atomic

RUN_FILE = "run.json"
RECORDS_FILE = "records.parquet"
SCORES_FILE = "scores.json"
OUTPUTS_DIR = "outputs"
# Weights files are fingerprinted by name, size and their first and last MiB: exact hashing of
# multi-GB checkpoints would dominate a scoring run.
FINGERPRINT_BYTES = 1 << 20


@dataclass(frozen=True)
class RunDir:
    """Paths of one benchmark's results inside one run."""

    root: Path

    @classmethod
    def create(cls, out: str | Path, run: str, benchmark: str) -> RunDir:
        root = Path(out) / run / benchmark
        (root / OUTPUTS_DIR).mkdir(parents=True, exist_ok=True)
        return cls(root)

    @property
    def outputs(self) -> Path:
        return self.root / OUTPUTS_DIR

    def path(self, name: str) -> Path:
        return self.root / name


def _write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n", path)


def code_version() -> str:
    """Git commit of the code that scored (``+dirty`` when the tree has changes), or ``unknown``."""
    repo = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "evaluation", "models"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a whole file (benchmark data files; VLMEvalKit checks MD5s)."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def file_sha256(path: str | Path) -> str:
    return file_digest(path, "sha256")


def folder_sha256(path: str | Path) -> str:
    """SHA-256 over a folder's files: each relative path and its own SHA-256, sorted."""
    root = Path(path)
    lines = [
        f"{p.relative_to(root).as_posix()} {file_sha256(p)}\n"
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def data_identity(path: str | Path) -> dict[str, str]:
    """A benchmark data file (or dataset folder) as ``run.json`` names it: path and SHA-256."""
    digest = folder_sha256(path) if Path(path).is_dir() else file_sha256(path)
    return {"path": str(path), "sha256": digest}


def checkpoint_hash(path: str | Path | None) -> str | None:
    """Fingerprint of a checkpoint folder or file: names, sizes, first and last MiB of each file."""
    if path is None or not Path(path).exists():
        return None
    root = Path(path)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    h = hashlib.sha256()
    for p in files:
        size = p.stat().st_size
        h.update(f"{p.relative_to(root) if root.is_dir() else p.name}:{size}\n".encode())
        with p.open("rb") as f:
            h.update(f.read(FINGERPRINT_BYTES))
            if size > FINGERPRINT_BYTES:
                f.seek(max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES))
                h.update(f.read())
    return h.hexdigest()


def write_run_info(
    run_dir: RunDir,
    *,
    benchmark: str,
    checkpoint: str | None,
    data: dict[str, Any],
    judge: dict[str, Any] | None,
    seeds: list[int] | None,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """Write ``run.json``: checkpoint + hash, benchmark + data version, judge, seeds, code, time."""
    info = {
        "benchmark": benchmark,
        "checkpoint": checkpoint,
        "checkpoint_hash": checkpoint_hash(checkpoint),
        "data": data,
        "judge": judge,
        "seeds": seeds,
        "settings": settings,
        "code_version": code_version(),
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    _write_json_atomic(run_dir.path(RUN_FILE), info)
    return info


def _flatten(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_records(run_dir: RunDir, rows: list[dict[str, Any]]) -> Path:
    """Write ``records.parquet``; nested values become JSON strings, columns keep row order."""
    flat = [{k: _flatten(v) for k, v in row.items()} for row in rows]
    frame = pl.DataFrame(flat, infer_schema_length=None) if flat else pl.DataFrame()
    path = run_dir.path(RECORDS_FILE)
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp)
    return path


def write_scores(run_dir: RunDir, scores: dict[str, Any]) -> Path:
    """Write ``scores.json``; it must hold ``overall`` and ``categories``."""
    if "overall" not in scores or "categories" not in scores:
        raise ValueError("scores need 'overall' and 'categories'")
    path = run_dir.path(SCORES_FILE)
    _write_json_atomic(path, scores)
    return path


def write_results(
    run_dir: RunDir, rows: list[dict[str, Any]], scores: dict[str, Any], **run_info: Any
) -> None:
    """Write the whole store of one scoring: records, scores, then ``run.json`` from ``run_info``
    (the keywords of :func:`write_run_info`)."""
    write_records(run_dir, rows)
    write_scores(run_dir, scores)
    write_run_info(run_dir, **run_info)


def read_scores(run_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / SCORES_FILE).read_text())


def read_run_info(run_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / RUN_FILE).read_text())


def read_records(run_dir: str | Path) -> pl.DataFrame:
    return pl.read_parquet(Path(run_dir) / RECORDS_FILE)


def list_results(out: str | Path) -> list[tuple[str, str]]:
    """(run, benchmark) pairs under ``out`` that have a ``scores.json``, sorted."""
    return sorted(
        (p.parent.parent.name, p.parent.name) for p in Path(out).glob(f"*/*/{SCORES_FILE}")
    )
