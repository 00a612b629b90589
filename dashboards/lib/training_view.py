"""Rendering of training logs: overlaid curves and a last-step summary."""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import polars as pl
import streamlit as st

from dashboards.lib import training

CHART_HEIGHT = 320


def load(logs: Iterable[training.Log]) -> dict[str, pl.DataFrame]:
    """Each chosen log read (cached by modification time); skipped lines are reported."""
    frames = {}
    for log in logs:
        frame, skipped = training.read_log(str(log.path), log.path.stat().st_mtime)
        if skipped:
            st.warning(f"{log.name}: skipped {skipped} line(s) without JSON or a step")
        if not frame.is_empty():
            frames[log.name] = frame
    return frames


def curves(title: str, frames: dict[str, pl.DataFrame], metrics: list[str], log_y: bool) -> None:
    """One line per (run, metric) against the step."""
    long = training.overlay(frames, metrics)
    st.markdown(f"**{title}**")
    if long.is_empty():
        st.caption("nothing logged")
        return
    scale = alt.Scale(type="log") if log_y else alt.Scale(zero=False)
    chart = (
        alt.Chart(long.to_pandas())
        .mark_line()
        .encode(
            x=alt.X(f"{training.STEP}:Q"),
            y=alt.Y("value:Q", scale=scale, title=title),
            color=alt.Color("metric:N", legend=alt.Legend(orient="bottom", labelLimit=0)),
            strokeDash=alt.StrokeDash("run:N", legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=["run", "metric", training.STEP, "value"],
        )
        .properties(height=CHART_HEIGHT)
    )
    st.altair_chart(chart, width="stretch")


def summary(frames: dict[str, pl.DataFrame], metrics: list[str]) -> None:
    """Last logged step and last value of each loss term, per run."""
    rows = []
    for name, frame in frames.items():
        last = frame.sort(training.STEP).tail(1).row(0, named=True)
        rows.append({"run": name, **{m: last.get(m) for m in [training.STEP, *metrics]}})
    st.dataframe(pl.DataFrame(rows), hide_index=True)
