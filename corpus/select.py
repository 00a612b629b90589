"""Curated manifests: the rows of one or more datasets that match a SQL condition.

A curated manifest is a Parquet file with every manifest column plus `dataset` (the absolute
dataset directory), so training reads each sample from its original shard by offset.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from corpus.atomic import write_parquet_atomic
from corpus.dataset import Dataset


def select(datasets: list[Path], where: str | None, out: Path) -> int:
    """Write the curated manifest of rows matching `where` (SQL over manifest columns)."""
    frames = []
    for root in datasets:
        ds = Dataset.open(root)
        lf = ds.manifest().with_columns(pl.lit(str(ds.root.resolve())).alias("dataset"))
        frames.append(lf)
    lf = pl.concat(frames, how="vertical")
    if where:
        try:
            lf = pl.SQLContext(manifest=lf).execute(f"SELECT * FROM manifest WHERE {where}")
            df = lf.collect()
        except (pl.exceptions.PolarsError, ValueError) as e:
            raise ValueError(f"--where {where!r}: {e}") from None
    else:
        df = lf.collect()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_parquet_atomic(df.to_arrow(), out)
    return df.height
