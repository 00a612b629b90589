"""Rendering of results: category charts, tables with deep links, one item side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import altair as alt
import polars as pl
import streamlit as st

from dashboards.lib import items, records, results
from dashboards.lib.leaderboard import BEST_STYLE
from dashboards.lib.results import RunRef

SAMPLES_PAGE = "samples"
BAR_HEIGHT = 18


def category_chart(cats: pl.DataFrame) -> None:
    """Grouped horizontal bars: one group per category, one bar per model."""
    if cats.is_empty():
        st.info("No per-category scores for this selection.")
        return
    n = cats.get_column("category").n_unique() * max(cats.get_column("model").n_unique(), 1)
    chart = (
        alt.Chart(cats.to_pandas())
        .mark_bar()
        .encode(
            y=alt.Y("category:N", title=None),
            yOffset="model:N",
            x=alt.X("score:Q"),
            color="model:N",
            tooltip=["model", "category", alt.Tooltip("score:Q", format=".3f")],
        )
        .properties(height=min(BAR_HEIGHT * n + 40, 1200))
    )
    st.altair_chart(chart, width="stretch")
    pivot = cats.pivot(on="model", index="category", values="score", aggregate_function="first")
    models = [c for c in pivot.columns if c != "category"]
    styled = pivot.to_pandas().style.highlight_max(subset=models, axis=1, props=BEST_STYLE)
    st.dataframe(styled.format(precision=3, subset=models), hide_index=True)


def sample_link(benchmark: str, run: str, item: str) -> str:
    """A deep link to one item in the sample browser."""
    return f"/{SAMPLES_PAGE}?" + urlencode({"benchmark": benchmark, "run": run, "item": item})


def worst_table(worst: pl.DataFrame, benchmark: str, run: str) -> None:
    """The worst items with a link to each in the sample browser."""
    if worst.is_empty():
        st.info("This run has no scored records.")
        return
    links = [sample_link(benchmark, run, i) for i in worst.get_column("first_item").to_list()]
    shown = worst.with_columns(pl.Series("open", links)).drop("first_item")
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "open": st.column_config.LinkColumn("open", display_text="open item"),
            "mean_score": st.column_config.NumberColumn(format="%.3f"),
        },
    )


def item_panel(row: dict[str, Any], run_dir: Path, roots: tuple[Path, ...], title: str) -> None:
    """One item of one run: score, prompt / question, images or answer, the scorer's verdict."""
    mark = ":green[correct]" if row.get("correct") else ":red[incorrect]"
    st.markdown(f"**{title}** · {mark} · score `{row.get('score')}`")
    for name, text in items.texts(row).items():
        st.markdown(f"*{name}*: {text}")
    for column, value in items.image_values(row):
        data, caption = items.load_image(value, run_dir, roots)
        if data is None:
            st.error(f"{column}: {caption}")
        else:
            st.image(data, caption=f"{column}: {caption}", width=320)
    with st.expander("detector / judge output", expanded=True):
        st.json(items.verdict(row), expanded=2)


def items_table(frame: pl.DataFrame) -> None:
    """The filtered items with their scores (and run B's, when comparing)."""
    wanted = (records.KEY, "category", "prompt", "score", "score_b")
    columns = [c for c in wanted if c in frame.columns]
    st.dataframe(frame.select(columns), hide_index=True, height=240)


def side_by_side(item: str, refs: list[RunRef], roots: tuple[Path, ...]) -> None:
    """The chosen item as each run recorded it, in one column per run."""
    for col, ref in zip(st.columns(len(refs)), refs, strict=True):
        frame = records.with_outcome(results.records(ref), ref.benchmark)
        rows = frame.filter(pl.col(records.KEY) == item)
        with col:
            if rows.is_empty():
                st.warning(f"{ref.run} has no item {item!r}")
            else:
                item_panel(rows.row(0, named=True), ref.path, roots, ref.run)
