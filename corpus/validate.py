"""Check every invariant of a dataset directory and report the first problems by shard and key.

Invariants: every data file has a sidecar and a done marker (and no marker lacks them); keys are
valid and unique across the dataset; a sample's members are adjacent and complete; every sample
of a shard has the same member set; each sidecar row matches its sample (id, offset, size,
image sizes); the manifest equals the concatenated sidecars; dataset.json counts agree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq

from corpus.dataset import DATASET_JSON, MANIFEST
from corpus.schema import SchemaError, validate_sample
from corpus.shards import (
    FORMATS,
    ShardError,
    complete_shards,
    data_path,
    format_of,
    sidecar_row,
)

CHECKED_COLUMNS = (
    "id",
    "task",
    "image_roles",
    "image_widths",
    "image_heights",
    "image_bytes",
    "image_sha256",
)


def validate(root: Path, max_problems: int = 20) -> list[str]:
    """Problems found (empty when the dataset is valid), each naming the shard and key."""
    problems: list[str] = []
    for problem in _problems(Path(root)):
        problems.append(problem)
        if len(problems) >= max_problems:
            break
    return problems


def _problems(root: Path) -> Iterator[str]:
    shards_dir = root / "shards"
    if not (root / DATASET_JSON).exists() or not (root / MANIFEST).exists():
        yield f"{root}: missing {DATASET_JSON} or {MANIFEST}"
        return
    yield from _marker_problems(shards_dir)
    seen: dict[str, str] = {}
    for name in complete_shards(shards_dir):
        yield from _shard_problems(shards_dir, name, seen)
    yield from _manifest_problems(root, shards_dir)


def _marker_problems(shards_dir: Path) -> Iterator[str]:
    done = set(complete_shards(shards_dir))
    data = {p.stem for f in FORMATS.values() for p in shards_dir.glob(f"[!.]*{f.suffix}")}
    for name in sorted(data - done):
        yield f"shard {name}: data file without a .done marker (incomplete shard)"
    for name in sorted(done):
        if not (shards_dir / f"{name}.parquet").exists():
            yield f"shard {name}: .done marker without a .parquet sidecar"


def _shard_problems(shards_dir: Path, name: str, seen: dict[str, str]) -> Iterator[str]:
    try:
        path = data_path(shards_dir, name)
        rows = pq.read_table(shards_dir / f"{name}.parquet").to_pylist()
        marker = json.loads((shards_dir / f"{name}.done").read_text() or "{}")
    except (ShardError, OSError, ValueError) as e:
        yield f"shard {name}: {e}"
        return
    count, first_layout, fmt = 0, None, format_of(path)
    try:
        for sample in fmt.iter(path):
            first_layout = first_layout or fmt.layout(sample)
            yield from _sample_problems(name, sample, rows, count, first_layout, path, seen)
            count += 1
    except ShardError as e:
        yield f"shard {name}: {e}"
        return
    if count != len(rows) or marker.get("samples", count) != count:
        yield f"shard {name}: {count} samples, sidecar {len(rows)} rows, marker {marker}"


def _sample_problems(name, sample, rows, index, first_layout, path, seen) -> Iterator[str]:
    key = sample.id
    try:
        validate_sample(sample)
    except SchemaError as e:
        yield f"shard {name}: {e}"
    for img in sample.images:
        if hashlib.sha256(img.data).hexdigest() != img.sha256:
            yield f"shard {name}: key {key}: {img.role} image bytes do not match their sha256"
    if key in seen:
        yield f"shard {name}: key {key} duplicated (also in shard {seen[key]})"
    seen[key] = name
    fmt = format_of(path)
    if fmt.layout(sample) != first_layout:
        got = fmt.layout(sample)
        yield f"shard {name}: key {key}: member set {got} differs from the shard's {first_layout}"
    if index >= len(rows):
        yield f"shard {name}: key {key}: no sidecar row"
        return
    row = rows[index]
    expected = sidecar_row(sample, name, row["offset"], row["size"])
    for col in CHECKED_COLUMNS:
        if row[col] != expected[col]:
            got, want = row[col], expected[col]
            yield f"shard {name}: key {key}: sidecar {col}={got!r}, shard has {want!r}"
    yield from _offset_problems(name, key, path, row)


def _offset_problems(name: str, key: str, path: Path, row: dict) -> Iterator[str]:
    try:
        if format_of(path).read(path, row["offset"], row["size"]).id != key:
            yield f"shard {name}: key {key}: offset {row['offset']} points at another sample"
    except ShardError as e:
        yield f"shard {name}: key {key}: offset/size do not frame the sample ({e})"


def _manifest_problems(root: Path, shards_dir: Path) -> Iterator[str]:
    manifest = pq.read_table(root / MANIFEST)
    sidecars = [pq.read_table(shards_dir / f"{n}.parquet") for n in complete_shards(shards_dir)]
    expected_rows = sum(t.num_rows for t in sidecars)
    if manifest.num_rows != expected_rows:
        yield f"{MANIFEST}: {manifest.num_rows} rows, shards hold {expected_rows}"
        return
    offset = 0
    for table in sidecars:
        if not manifest.slice(offset, table.num_rows).equals(table.cast(manifest.schema)):
            yield f"{MANIFEST}: rows of shard {table.column('shard')[0]} differ from its sidecar"
        offset += table.num_rows
    info = json.loads((root / DATASET_JSON).read_text())
    if info.get("samples") != manifest.num_rows:
        yield f"{DATASET_JSON}: samples={info.get('samples')}, manifest has {manifest.num_rows}"
