"""Curated manifests: the rows of one or more datasets that match a SQL condition.

A curated manifest is a Parquet file with every manifest column plus `dataset` (the absolute
dataset directory), so training reads each sample from its original shard by offset. The
selection is streamed from the manifests to the output file (polars' streaming sink), so memory
is bounded by a batch of rows, not by the size of the corpus.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from corpus.atomic import ROW_GROUP_ROWS, atomic_path
from corpus.dataset import Dataset


def select(datasets: list[Path], where: str | None, out: Path) -> int:
    """Write the curated manifest of rows matching `where` (SQL over manifest columns); returns
    the number of rows written."""
    frames = []
    for root in datasets:
        ds = Dataset.open(root)
        frames.append(ds.manifest().with_columns(pl.lit(str(ds.root.resolve())).alias("dataset")))
    lf = pl.concat(frames, how="vertical")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if where:
            lf = pl.SQLContext(manifest=lf).execute(f"SELECT * FROM manifest WHERE {where}")
        with atomic_path(out) as tmp:
            lf.sink_parquet(tmp, row_group_size=ROW_GROUP_ROWS)
    except (pl.exceptions.PolarsError, ValueError) as e:
        first_line = str(e).strip().splitlines()[0]  # polars appends the query plan
        raise ValueError(f"--where {where!r}: {first_line}") from None
    return pq.ParquetFile(out).metadata.num_rows
