"""Per-item records of a benchmark run: keys, correctness, filters and the worst items.

Benchmarks name their items differently (``key`` in ImgEdit and RealUnify, ``item_id`` in
DPG-Bench, one ``image`` per row in GenEval); the first of :data:`ITEM_KEYS` present is the item's
key, which is also what deep links and the side-by-side join use.
"""

from __future__ import annotations

import polars as pl

ITEM_KEYS = ("key", "item_id", "id", "image", "index")
# Full marks per item on each benchmark's own scale (ImgEdit judges score 1-5); others are 0-1.
FULL_MARKS = {"imgedit": 5.0, "imgedit_uge": 5.0}
DEFAULT_FULL_MARKS = 1.0
KEY = "item"


def item_key(frame: pl.DataFrame) -> str | None:
    """The column that identifies an item in these records."""
    return next((c for c in ITEM_KEYS if c in frame.columns), None)


def with_outcome(frame: pl.DataFrame, benchmark: str) -> pl.DataFrame:
    """Adds ``item`` (string key) and ``correct`` (the record's own flag, else full marks)."""
    if frame.is_empty():
        return frame
    key = item_key(frame)
    item = pl.col(key).cast(pl.String) if key else pl.int_range(pl.len()).cast(pl.String)
    if "correct" in frame.columns:
        correct = pl.col("correct").cast(pl.Boolean)
    else:
        full = FULL_MARKS.get(benchmark, DEFAULT_FULL_MARKS)
        correct = pl.col("score").cast(pl.Float64) >= full
    return frame.with_columns(item.alias(KEY), correct.fill_null(False).alias("correct"))


def filter_records(frame: pl.DataFrame, categories: list[str], outcome: str) -> pl.DataFrame:
    """Rows of the chosen categories (all when empty) and outcome (all, correct, incorrect)."""
    out = frame
    if categories and "category" in frame.columns:
        out = out.filter(pl.col("category").is_in(categories))
    if outcome == "correct":
        out = out.filter(pl.col("correct"))
    elif outcome == "incorrect":
        out = out.filter(~pl.col("correct"))
    return out


def worst_items(frame: pl.DataFrame, limit: int) -> pl.DataFrame:
    """Prompts (or items) with the lowest mean score, with how many outputs were scored."""
    if frame.is_empty() or "score" not in frame.columns:
        return pl.DataFrame()
    group = [c for c in ("category", "prompt") if c in frame.columns] or [KEY]
    return (
        frame.filter(pl.col("score").is_not_null())
        .group_by(group)
        .agg(
            pl.col("score").cast(pl.Float64).mean().alias("mean_score"),
            pl.len().alias("outputs"),
            pl.col(KEY).first().alias("first_item"),
        )
        .sort(["mean_score", *group])
        .head(limit)
    )


def pair_runs(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Items present in both runs, with run B's score and correctness as ``*_b`` columns."""
    right = b.select(KEY, pl.col("score").alias("score_b"), pl.col("correct").alias("correct_b"))
    return a.join(right, on=KEY, how="inner")


def categories(frame: pl.DataFrame) -> list[str]:
    if "category" not in frame.columns:
        return []
    return sorted(frame.get_column("category").drop_nulls().cast(pl.String).unique().to_list())
