"""Corpus explorer queries: lazy polars over a dataset's manifest, and samples read by offset.

Every query is a lazy scan with the filters pushed down, cached by (manifest path, modification
time, arguments), so a 1,000,000-row manifest answers counts, histograms and a page of the grid
without materialising the table.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st
from PIL import Image as PILImage
from PIL import ImageOps

from corpus.dataset import DATASET_JSON, MANIFEST, REJECTS
from corpus.shards import data_path, read_sample
from dashboards.lib.roots import child, confine, inside

GROUPS = ("task", "source", "lang")
# Columns that are bookkeeping, not measurements worth a histogram.
NOT_STATS = {"offset", "size", "n_images"}
THUMB_SIDE = 256
DETAIL_SIDE = 768
GRID_COLUMNS = ("id", "task", "lang", "source", "text", "width", "height")
LOCATION = ("shard", "offset", "size")
SEARCH_DEPTH = 2


@dataclass(frozen=True)
class Filters:
    """Selections of the explorer's sidebar; an empty tuple means everything."""

    task: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    lang: tuple[str, ...] = ()

    def apply(self, lf: pl.LazyFrame) -> pl.LazyFrame:
        for column in GROUPS:
            chosen = getattr(self, column)
            if chosen:
                lf = lf.filter(pl.col(column).is_in(list(chosen)))
        return lf


def find_datasets(roots: tuple[Path, ...]) -> list[Path]:
    """Directories at most two levels under a corpus root that hold a manifest."""
    found = []
    for root in roots:
        for depth in range(SEARCH_DEPTH + 1):
            pattern = "/".join(["*"] * depth + [MANIFEST])
            found += [p.parent for p in sorted(root.glob(pattern))]
    return inside(list(dict.fromkeys(found)), roots)


def stamp(dataset: Path) -> float:
    """Modification time of the manifest: the cache key that notices a rewritten dataset."""
    return (dataset / MANIFEST).stat().st_mtime


def _scan(dataset: str) -> pl.LazyFrame:
    return pl.scan_parquet(Path(dataset) / MANIFEST)


@st.cache_data(show_spinner=False)
def schema(dataset: str, stamp: float) -> dict[str, str]:
    return {k: str(v) for k, v in _scan(dataset).collect_schema().items()}


@st.cache_data(show_spinner=False)
def distinct(dataset: str, stamp: float, column: str) -> list[str]:
    values = _scan(dataset).select(pl.col(column).cast(pl.String).unique()).collect()
    return sorted(v for v in values.get_column(column).to_list() if v is not None)


@st.cache_data(show_spinner=False)
def counts(dataset: str, stamp: float, filters: Filters, by: str) -> pl.DataFrame:
    """Sample counts per value of ``by`` under the filters, largest first."""
    lf = filters.apply(_scan(dataset))
    return lf.group_by(pl.col(by).cast(pl.String)).len("samples").sort("samples", by).collect()


def stat_columns(types: dict[str, str]) -> list[str]:
    """Numeric manifest columns that are measurements (sizes, pixels, stats of filters)."""
    numeric = ("Int", "UInt", "Float")
    return [c for c, t in types.items() if t.startswith(numeric) and c not in NOT_STATS]


@st.cache_data(show_spinner=False)
def histogram(dataset: str, stamp: float, filters: Filters, column: str, bins: int) -> pl.DataFrame:
    """(bin start, samples) of ``column`` in ``bins`` equal-width bins under the filters."""
    lf = filters.apply(_scan(dataset)).select(pl.col(column).cast(pl.Float64)).drop_nulls()
    lo, hi = (
        lf.select(pl.col(column).min().alias("lo"), pl.col(column).max().alias("hi"))
        .collect()
        .row(0)
    )
    if lo is None:
        return pl.DataFrame(schema={column: pl.Float64, "samples": pl.UInt32})
    width = (hi - lo) / bins or 1.0
    index = ((pl.col(column) - lo) / width).floor().clip(0, bins - 1)
    return (
        lf.group_by(index.alias("bin"))
        .len("samples")
        .with_columns((pl.col("bin") * width + lo).alias(column))
        .sort(column)
        .select(column, "samples")
        .collect()
    )


@st.cache_data(show_spinner=False)
def page(dataset: str, stamp: float, filters: Filters, start: int, size: int) -> pl.DataFrame:
    """Rows ``start:start+size`` of the filtered manifest (the sample grid's page)."""
    lf = filters.apply(_scan(dataset))
    return lf.select(*GRID_COLUMNS, *LOCATION).slice(start, size).collect()


@st.cache_data(show_spinner=False)
def total(dataset: str, stamp: float, filters: Filters) -> int:
    return filters.apply(_scan(dataset)).select(pl.len()).collect().item()


@st.cache_data(show_spinner=False)
def rejects(dataset: str, stamp: float) -> pl.DataFrame:
    """Rejected inputs per stage and reason kind (the text before the first ':' of a reason)."""
    path = Path(dataset) / REJECTS
    if not path.exists():
        return pl.DataFrame()
    lf = pl.scan_parquet(path)
    cols = lf.collect_schema().names()
    group = [c for c in ("stage", "task") if c in cols]
    return lf.group_by(group).len("rejected").sort("rejected", descending=True).collect()


def shard_file(dataset: Path, shard: str, roots: tuple[Path, ...]) -> Path:
    """The data file of a shard named by a manifest row, confined to the corpus roots."""
    shards_dir = confine(dataset / "shards", roots)
    child(shards_dir, shard)  # a shard is a plain name; "../x" from a manifest is refused
    return confine(data_path(shards_dir, shard), roots)


@st.cache_data(show_spinner=False, max_entries=2048)
def thumbnail(path: str, offset: int, size: int, role_index: int = 0) -> bytes | None:
    """A PNG thumbnail of one image of the sample at ``offset`` (None when it has no image)."""
    sample = read_sample(Path(path), offset, size)
    if len(sample.images) <= role_index:
        return None
    return to_png(sample.images[role_index].data, THUMB_SIDE)


def to_png(data: bytes, max_side: int = DETAIL_SIDE) -> bytes:
    """Any stored image format as an upright PNG a browser shows, at most ``max_side`` pixels."""
    with PILImage.open(io.BytesIO(data)) as im:
        shown = ImageOps.exif_transpose(im)
        shown.thumbnail((max_side, max_side))
        buf = io.BytesIO()
        shown.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def sample_detail(path: Path, offset: int, size: int) -> tuple[dict, list[tuple[str, bytes]]]:
    """The sample's non-image fields and (role, bytes) of its images."""
    sample = read_sample(path, offset, size)
    meta = {k: v for k, v in sample.__dict__.items() if k != "images"}
    meta["pair"] = sample.pair.__dict__ if sample.pair else None
    meta["images"] = [im.header() for im in sample.images]
    return meta, [(im.role, im.data) for im in sample.images]


def is_dataset(path: Path) -> bool:
    """A full dataset (with shards) rather than a curated manifest alone."""
    return (path / DATASET_JSON).exists() and (path / "shards").is_dir()
