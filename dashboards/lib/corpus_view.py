"""Rendering of the corpus explorer: counts, funnel, histograms and the sample grid."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import polars as pl
import streamlit as st

from dashboards.lib import corpus, funnel
from dashboards.lib.roots import PathRefused

GRID_COLS = 4
GRID_ROWS = 3
SELECTED = "corpus_selected"


def counts(dataset: str, stamp: float, filters: corpus.Filters) -> None:
    """Bar charts of samples per task, source and language."""
    for col, by in zip(st.columns(len(corpus.GROUPS)), corpus.GROUPS, strict=True):
        frame = corpus.counts(dataset, stamp, filters, by)
        with col:
            st.markdown(f"**by {by}**")
            st.bar_chart(frame, x=by, y="samples", horizontal=True, height=220)


def filter_funnel(dataset: Path) -> None:
    """The funnel of the curation run that wrote this directory, if it left a report."""
    path = funnel.report_path(dataset)
    if path is None:
        st.info(f"No {funnel.REPORT} in this directory: it was not written by a filter run.")
        return
    report = funnel.load_report(str(path), path.stat().st_mtime)
    steps = funnel.funnel(report)
    chart = (
        alt.Chart(steps.to_pandas())
        .mark_bar()
        .encode(
            x=alt.X("operator:N", sort=None, title=None),
            y="samples:Q",
            tooltip=["operator", "samples"],
        )
    )
    st.altair_chart(chart, width="stretch")
    left, right = st.columns(2)
    left.markdown("**dropped by reason**")
    left.dataframe(funnel.drops(report), hide_index=True)
    right.markdown("**stat percentiles**")
    right.dataframe(funnel.percentiles(report), hide_index=True)


def histograms(dataset: str, stamp: float, filters: corpus.Filters) -> None:
    """A histogram of one chosen numeric column (image sizes, text length, filter stats)."""
    columns = corpus.stat_columns(corpus.schema(dataset, stamp))
    if not columns:
        st.info("No numeric columns in this manifest.")
        return
    left, right = st.columns([3, 1])
    default = columns.index("min_side") if "min_side" in columns else 0
    column = left.selectbox("Statistic", columns, index=default, key="stat")
    bins = right.slider("Bins", 5, 100, 30, key="bins")
    frame = corpus.histogram(dataset, stamp, filters, column, bins)
    chart = alt.Chart(frame.to_pandas()).mark_bar().encode(x=f"{column}:Q", y="samples:Q")
    st.altair_chart(chart, width="stretch")


def sample_grid(dataset: Path, rows: pl.DataFrame, roots: tuple[Path, ...]) -> None:
    """Thumbnails read from the shards by offset; a button under each shows its metadata."""
    records = rows.to_dicts()
    for start in range(0, len(records), GRID_COLS):
        chunk = records[start : start + GRID_COLS]
        for col, row in zip(st.columns(GRID_COLS), chunk, strict=False):
            with col:
                _tile(dataset, row, roots)
    chosen = st.session_state.get(SELECTED)
    if chosen is not None and chosen["id"] in {r["id"] for r in records}:
        _detail(dataset, chosen, roots)


def _tile(dataset: Path, row: dict, roots: tuple[Path, ...]) -> None:
    try:
        path = corpus.shard_file(dataset, row["shard"], roots)
        thumb = corpus.thumbnail(str(path), row["offset"], row["size"])
    except PathRefused as e:
        st.error(f"refused: {e}")
        return
    if thumb is None:
        st.markdown(f"*{row['task']}* (text only)")
    else:
        st.image(thumb, width="stretch")
    st.caption(f"{row['task']} · {(row['text'] or '')[:60]}")
    if st.button("details", key=f"tile-{row['id']}"):
        st.session_state[SELECTED] = row


def _detail(dataset: Path, row: dict, roots: tuple[Path, ...]) -> None:
    st.subheader(f"Sample {row['id']}")
    meta, images = corpus.sample_detail(
        corpus.shard_file(dataset, row["shard"], roots), row["offset"], row["size"]
    )
    left, right = st.columns([2, 3])
    with left:
        for role, data in images:
            st.image(corpus.to_png(data), caption=role, width="stretch")
    right.json(meta, expanded=1)
