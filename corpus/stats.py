"""Summary statistics of a dataset from its manifest: counts and size/aspect histograms."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from corpus.dataset import Dataset

SIDE_BINS = (0, 64, 128, 256, 512, 768, 1024, 1536, 2048, 4096)
ASPECT_BINS = (0.0, 0.33, 0.5, 0.75, 0.9, 1.1, 1.33, 2.0, 3.0)
HISTOGRAMS = {"max_side_hist": SIDE_BINS, "aspect_hist": ASPECT_BINS}
BAR_WIDTH = 40


def dataset_stats(ds: Dataset) -> dict[str, Any]:
    """Counts per task/source/language, rejections per reason kind, and image histograms, as
    streaming aggregations over the manifest (memory does not grow with the dataset)."""
    lf, rejects = ds.manifest(), ds.rejects()
    images = lf.select(w="image_widths", h="image_heights").explode(["w", "h"]).drop_nulls()
    queries = {
        "samples": lf.select(pl.len()),
        "images": images.select(pl.len()),
        "bytes": lf.select(pl.col("size").sum()),
        "by_task": _count_query(lf, "task"),
        "by_source": _count_query(lf, "source"),
        "by_lang": _count_query(lf, "lang"),
        "rejected": rejects.select(pl.len()),
        "rejected_by_kind": _count_query(rejects, "kind"),
        "max_side_hist": _histogram_query(images, pl.max_horizontal("w", "h"), SIDE_BINS),
        "aspect_hist": _histogram_query(images, pl.col("w") / pl.col("h"), ASPECT_BINS),
    }
    frames = pl.collect_all(queries.values(), engine="streaming")
    return {key: _value(key, frame) for key, frame in zip(queries, frames, strict=True)}


def _value(key: str, frame: pl.DataFrame) -> Any:
    """A total (one cell), or counts by value; a histogram lists every bin, empty ones as 0."""
    if frame.width == 1:
        return frame.item() or 0
    counts = {str(k): n for k, n in frame.iter_rows()}
    if key not in HISTOGRAMS:
        return counts
    return {label: counts.get(label, 0) for label in _bin_labels(HISTOGRAMS[key])}


def _count_query(lf: pl.LazyFrame, column: str) -> pl.LazyFrame:
    return lf.group_by(column).len().sort(column, nulls_last=True)


def _bin_labels(edges: tuple[float, ...]) -> list[str]:
    """``lo-hi`` for each bin [lo, hi), then ``>=last``."""
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges, edges[1:], strict=False)]
    return [*labels, f">={edges[-1]:g}"]


def _histogram_query(
    images: pl.LazyFrame, value: pl.Expr, edges: tuple[float, ...]
) -> pl.LazyFrame:
    """Counts of ``value`` per bin [lo, hi) of ``edges`` (values >= the last edge in one bin)."""
    labels = _bin_labels(edges)
    bins = pl.lit(labels[-1])
    for hi, label in reversed(list(zip(edges[1:], labels, strict=False))):
        bins = pl.when(value < hi).then(pl.lit(label)).otherwise(bins)
    return images.select(bins.alias("bin")).group_by("bin").len()


def format_stats(stats: dict[str, Any]) -> str:
    """Human-readable report with bar charts."""
    lines = [
        f"samples {stats['samples']}  images {stats['images']}  "
        f"bytes {stats['bytes'] / 1e6:.1f} MB  rejected inputs {stats['rejected']}"
    ]
    for title, key in (
        ("by task", "by_task"),
        ("by source", "by_source"),
        ("by language", "by_lang"),
        ("rejections by reason", "rejected_by_kind"),
        ("longest image side (px)", "max_side_hist"),
        ("aspect ratio (w/h)", "aspect_hist"),
    ):
        lines += ["", title] + _bars(stats[key])
    return "\n".join(lines)


def _bars(counts: dict[str, int]) -> list[str]:
    if not counts:
        return ["  (none)"]
    top = max(counts.values()) or 1
    width = max(len(k) for k in counts)
    return [
        f"  {k:<{width}} {v:>8}  {'#' * math.ceil(BAR_WIDTH * v / top) if v else ''}"
        for k, v in counts.items()
    ]
