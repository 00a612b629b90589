"""Leaderboard: every run and benchmark next to the paper's published rows."""

import streamlit as st

from dashboards.lib import leaderboard, reference, results
from dashboards.lib.page import page_setup

roots = page_setup("Leaderboard")
runs = results.runs_table(roots.results)
table = leaderboard.long_table(runs, reference.reference_rows(roots.reference))
if table.is_empty():
    st.info("No results yet: no RUN/BENCHMARK/scores.json under the results directories.")
    st.stop()

benches = sorted(table.get_column("benchmark").unique().to_list())
models = sorted(table.get_column("model").unique().to_list())
left, mid, right = st.columns([3, 3, 1])
chosen = left.multiselect("Benchmarks", benches, placeholder="all benchmarks", key="benches")
picked = mid.multiselect("Models", models, placeholder="all models", key="models")
with_reference = right.toggle("Published", value=True, key="with_reference")

wide = leaderboard.wide_table(leaderboard.filter_long(table, chosen, picked, with_reference))
st.caption(
    f"{runs.height} run results, {wide.shape[0]} rows; best value per benchmark highlighted "
    "(higher is better on every benchmark here)."
)
st.dataframe(leaderboard.styled(wide), hide_index=True, width="stretch")
with st.expander("Sources and scales of the published rows"):
    st.dataframe(reference.sources(roots.reference), hide_index=True)
st.subheader("Runs")
st.dataframe(runs.drop("root").sort("time", descending=True, nulls_last=True), hide_index=True)
