"""Sample browser: one item's prompt, outputs and verdict; two runs side by side; deep links."""

import polars as pl
import streamlit as st

from dashboards.lib import deeplink, records, results, results_view
from dashboards.lib.page import page_setup, refuse
from dashboards.lib.roots import PathRefused

NONE = "(none)"
roots = page_setup("Sample browser")
runs = results.runs_table(roots.results)
if runs.is_empty():
    st.info("No results yet: no RUN/BENCHMARK/scores.json under the results directories.")
    st.stop()

asked = deeplink.seed({"benchmark": "bench", "run": "run_a", "compare": "run_b", "item": "item"})
try:  # a linked run is a path under the results roots: check it before any widget uses it
    for key in ("run", "compare"):
        if key in asked and not results.find_ref(
            roots.results, asked[key], asked.get("benchmark", "")
        ):
            st.warning(f"Linked {key} {asked[key]!r} has no {asked.get('benchmark')!r} results.")
except PathRefused as e:
    refuse(e)

benches = results.benchmarks(runs)
bench = st.selectbox("Benchmark", benches, key="bench")
names = runs.filter(pl.col("benchmark") == bench).get_column("run").to_list()
col_a, col_b = st.columns(2)
run_a = col_a.selectbox("Run", names, key="run_a")
run_b = col_b.selectbox("Compare with", [NONE, *[n for n in names if n != run_a]], key="run_b")
(ref_a,) = results.refs_for(runs, bench, [run_a])
frame = records.with_outcome(results.records(ref_a), bench)
if frame.is_empty():
    st.info(f"{run_a}/{bench} has no records.parquet rows.")
    st.stop()
ref_b = results.refs_for(runs, bench, [run_b])[0] if run_b != NONE else None
if ref_b is not None:
    frame = records.pair_runs(frame, records.with_outcome(results.records(ref_b), bench))

f1, f2 = st.columns([3, 2])
cats = f1.multiselect("Categories", records.categories(frame), key="cats")
outcome = f2.radio("Outcome", ["all", "correct", "incorrect"], horizontal=True, key="outcome")
shown = records.filter_records(frame, cats, outcome)
st.caption(f"{shown.height} of {frame.height} items")
results_view.items_table(shown)
if shown.is_empty():
    st.stop()

keys = shown.get_column(records.KEY).to_list()
if st.session_state.get("item") not in keys:
    st.session_state["item"] = keys[0]
item = st.selectbox("Item", keys, key="item")
deeplink.publish({"benchmark": bench, "run": run_a, "compare": ref_b and run_b, "item": item})
results_view.side_by_side(item, [ref_a] if ref_b is None else [ref_a, ref_b], roots.results)
