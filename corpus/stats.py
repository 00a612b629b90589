"""Summary statistics of a dataset from its manifest: counts and size/aspect histograms."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from corpus.dataset import Dataset

SIDE_BINS = (0, 64, 128, 256, 512, 768, 1024, 1536, 2048, 4096)
ASPECT_BINS = (0.0, 0.33, 0.5, 0.75, 0.9, 1.1, 1.33, 2.0, 3.0)
BAR_WIDTH = 40


def dataset_stats(ds: Dataset) -> dict[str, Any]:
    """Counts per task/source/language, rejections per reason kind, and image histograms."""
    lf = ds.manifest()
    images = (
        lf.select(["image_widths", "image_heights"])
        .explode(["image_widths", "image_heights"])
        .drop_nulls()
        .collect()
    )
    widths, heights = images["image_widths"].to_list(), images["image_heights"].to_list()
    return {
        "samples": lf.select(pl.len()).collect().item(),
        "images": len(widths),
        "bytes": lf.select(pl.col("size").sum()).collect().item() or 0,
        "by_task": _counts(lf, "task"),
        "by_source": _counts(lf, "source"),
        "by_lang": _counts(lf, "lang"),
        "rejected": ds.rejects().select(pl.len()).collect().item(),
        "rejected_by_kind": _counts(ds.rejects(), "kind"),
        "max_side_hist": _histogram(list(map(max, widths, heights)), SIDE_BINS),
        "aspect_hist": _histogram(
            [w / h for w, h in zip(widths, heights, strict=True)], ASPECT_BINS
        ),
    }


def _counts(lf: pl.LazyFrame, column: str) -> dict[str, int]:
    df = lf.group_by(column).len().sort(column, nulls_last=True).collect()
    return {str(k): n for k, n in df.iter_rows()}


def _histogram(values: list[float], edges: tuple[float, ...]) -> dict[str, int]:
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(edges, edges[1:], strict=False)]
    labels.append(f">={edges[-1]:g}")
    counts = dict.fromkeys(labels, 0)
    for v in values:
        i = next((i for i, hi in enumerate(edges[1:]) if v < hi), len(edges) - 1)
        counts[labels[i]] += 1
    return counts


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
