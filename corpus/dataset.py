"""A dataset directory (DESIGN.md section 3): open it, query its manifest, read its samples.

```
DATASET/
  dataset.json      schema version, counts, shard list, lineage
  shards/           NAME.tar|NAME.arrow + NAME.parquet + NAME.done
  manifest.parquet  every complete shard's sidecar rows, in shard order
  rejects.parquet   every input that was not kept, with the reason
```
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from corpus.atomic import write_parquet_atomic, write_text_atomic
from corpus.schema import SCHEMA_VERSION, Sample
from corpus.shards import SIDECAR_SCHEMA, complete_shards, data_path, iter_shard, read_sample

MANIFEST = "manifest.parquet"
REJECTS = "rejects.parquet"
DATASET_JSON = "dataset.json"


class DatasetError(ValueError):
    """The directory is not a (complete) dataset, or a key is not in it."""


@dataclass
class Dataset:
    """Read access to a dataset directory; nothing here scans a tar to find a key."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> Dataset:
        root = Path(root)
        if not (root / DATASET_JSON).exists() or not (root / MANIFEST).exists():
            raise DatasetError(f"{root}: not a dataset (no {DATASET_JSON} / {MANIFEST})")
        return cls(root)

    @property
    def shards_dir(self) -> Path:
        return self.root / "shards"

    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.root / DATASET_JSON).read_text())

    def manifest(self) -> pl.LazyFrame:
        """One row per sample (metadata, image sizes, shard, offset, size), lazily."""
        return pl.scan_parquet(self.root / MANIFEST)

    def rejects(self) -> pl.LazyFrame:
        return pl.scan_parquet(self.root / REJECTS)

    def shards(self) -> list[str]:
        return complete_shards(self.shards_dir)

    def __iter__(self) -> Iterator[Sample]:
        for name in self.shards():
            yield from iter_shard(data_path(self.shards_dir, name))

    def __len__(self) -> int:
        return self.manifest().select(pl.len()).collect().item()

    def locate(self, key: str) -> dict[str, Any]:
        """The manifest row of a key (shard, offset, size and metadata)."""
        rows = self.manifest().filter(pl.col("id") == key).collect()
        if rows.height == 0:
            raise DatasetError(f"{self.root}: no sample with key {key!r}")
        return rows.row(0, named=True)

    def get(self, key: str) -> Sample:
        """A sample by key: one manifest lookup, then a read of only that sample's bytes."""
        row = self.locate(key)
        return read_sample(data_path(self.shards_dir, row["shard"]), row["offset"], row["size"])


def read_manifest_row_sample(dataset_root: Path, row: dict[str, Any]) -> Sample:
    """A sample from a (possibly curated) manifest row naming its dataset, shard and offset."""
    shards_dir = Path(dataset_root) / "shards"
    return read_sample(data_path(shards_dir, row["shard"]), row["offset"], row["size"])


def write_manifest(root: Path) -> pa.Table:
    """Concatenate the sidecars of all complete shards into manifest.parquet."""
    shards_dir = root / "shards"
    tables = [pq.read_table(shards_dir / f"{n}.parquet") for n in complete_shards(shards_dir)]
    table = pa.concat_tables(tables) if tables else SIDECAR_SCHEMA.empty_table()
    write_parquet_atomic(table, root / MANIFEST)
    return table


def write_dataset_json(root: Path, manifest: pa.Table, lineage: dict[str, Any], **fields) -> dict:
    """dataset.json: schema version, counts per task/source/language, shards and lineage."""
    cols = manifest.select(["task", "source", "lang", "shard", "size"]).to_pydict()
    per_shard = Counter(cols["shard"])
    bytes_per_shard: Counter[str] = Counter()
    for shard, size in zip(cols["shard"], cols["size"], strict=True):
        bytes_per_shard[shard] += size
    info = {
        "schema_version": SCHEMA_VERSION,
        "samples": manifest.num_rows,
        "counts": {
            "task": dict(sorted(Counter(cols["task"]).items())),
            "source": dict(sorted(Counter(cols["source"]).items())),
            "lang": dict(sorted(Counter(str(x) for x in cols["lang"]).items())),
        },
        "shards": [
            {"name": n, "samples": per_shard[n], "bytes": bytes_per_shard[n]}
            for n in complete_shards(root / "shards")
        ],
        **fields,
        "lineage": lineage,
    }
    write_text_atomic(json.dumps(info, indent=2, ensure_ascii=False) + "\n", root / DATASET_JSON)
    return info


def lineage(tool: str, **extra: Any) -> dict[str, Any]:
    """Who made a dataset: the command line, the code version and when."""
    return {
        "tool": tool,
        "command": " ".join(sys.argv),
        "code_version": code_version(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
    }


def code_version() -> str:
    """The git commit of this checkout (with -dirty), or 'unknown' outside a git tree."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() or "unknown"
