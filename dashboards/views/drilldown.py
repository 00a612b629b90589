"""Benchmark drill-down: per-category scores of runs (and published rows), the worst items."""

import polars as pl
import streamlit as st

from dashboards.lib import records, reference, results, results_view
from dashboards.lib.page import page_setup

roots = page_setup("Benchmark drill-down")
runs = results.runs_table(roots.results)
if runs.is_empty():
    st.info("No results yet: no RUN/BENCHMARK/scores.json under the results directories.")
    st.stop()

benches = results.benchmarks(runs)
bench = st.selectbox("Benchmark", benches, key="bench")
names = runs.filter(pl.col("benchmark") == bench).get_column("run").to_list()
chosen = st.multiselect("Runs", names, default=names[:3], key="runs")
with_reference = st.toggle("Published rows", value=True, key="with_reference")

refs = results.refs_for(runs, bench, chosen)
cats = results.category_table(refs)
if with_reference:
    cats = pl.concat([cats, reference.reference_categories(roots.reference, bench)])
st.subheader("Scores by category")
results_view.category_chart(cats)

st.subheader("Items the run fails most")
if refs:
    worst_of = st.selectbox("Run", [r.run for r in refs], key="worst_run")
    limit = st.slider("How many", 5, 100, 20, key="limit")
    ref = next(r for r in refs if r.run == worst_of)
    scored = records.with_outcome(results.records(ref), bench)
    results_view.worst_table(records.worst_items(scored, limit), bench, worst_of)
