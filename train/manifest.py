"""The rows a run trains on: one or more curated manifests (or whole datasets), concatenated.

A curated manifest (``python -m corpus select ... --out M.parquet``) carries a ``dataset`` column
naming the dataset root of each row; a dataset directory (or its ``manifest.parquet``) is accepted
too and gets that column here. Samples are read by shard and byte offset, never by scanning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from corpus.dataset import MANIFEST, Dataset, read_manifest_row_sample
from corpus.schema import Sample

COLUMNS = (
    "id",
    "task",
    "text",
    "n_turns",
    "image_roles",
    "image_widths",
    "image_heights",
    "dataset",
    "shard",
    "offset",
    "size",
)


class ManifestError(ValueError):
    """A manifest path is unusable; the message names it."""


def _scan(path: Path) -> pl.LazyFrame:
    if path.is_dir():
        ds = Dataset.open(path)
        return ds.manifest().with_columns(pl.lit(str(ds.root.resolve())).alias("dataset"))
    if not path.exists():
        raise ManifestError(f"{path}: no such manifest")
    lf = pl.scan_parquet(path)
    if "dataset" in lf.collect_schema().names():
        return lf
    if path.name == MANIFEST:  # a dataset's own manifest: its directory is the dataset
        return lf.with_columns(pl.lit(str(path.parent.resolve())).alias("dataset"))
    raise ManifestError(f"{path}: no 'dataset' column; write it with `python -m corpus select`")


class ManifestTable:
    """Manifest rows by integer index, with the tasks a run uses."""

    def __init__(self, paths: list[str | Path], tasks: list[str]) -> None:
        if not paths:
            raise ManifestError("no manifest given (--manifest M.parquet [M2.parquet ...])")
        frames = [_scan(Path(p)).select(COLUMNS) for p in paths]
        df = pl.concat(frames, how="vertical").filter(pl.col("task").is_in(tasks)).collect()
        if df.height == 0:
            raise ManifestError(f"{', '.join(map(str, paths))}: no rows of tasks {tasks}")
        self.df = df

    def __len__(self) -> int:
        return self.df.height

    def row(self, index: int) -> dict[str, Any]:
        return self.df.row(index, named=True)

    def rows_by_task(self) -> dict[str, np.ndarray]:
        tasks = self.df["task"].to_numpy()
        return {str(t): np.flatnonzero(tasks == t) for t in np.unique(tasks)}

    def where(self, index: int) -> str:
        """Dataset, shard and key of a row, for error messages."""
        row = self.row(index)
        return f"{row['dataset']} shard {row['shard']} sample {row['id']}"

    def read(self, index: int) -> Sample:
        """The sample of row ``index``, read from its shard by byte offset."""
        row = self.row(index)
        try:
            return read_manifest_row_sample(Path(row["dataset"]), row)
        except (OSError, ValueError, KeyError) as e:
            raise ManifestError(f"{self.where(index)}: {e}") from e
