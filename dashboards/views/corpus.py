"""Corpus explorer: counts, the filter funnel, histograms and a grid of samples from the shards."""

import streamlit as st

from dashboards.lib import corpus, corpus_view
from dashboards.lib.page import page_setup, refuse
from dashboards.lib.roots import PathRefused, confine

roots = page_setup("Corpus explorer")
datasets = corpus.find_datasets(roots.corpus)
if not datasets:
    st.info("No manifest.parquet under the corpus directories (start with --corpus DATASET).")
    st.stop()

index = 0
if "dataset" in st.query_params:  # a deep link names a directory: it must be under a root
    try:
        asked = confine(st.query_params["dataset"], roots.corpus)
    except PathRefused as e:
        refuse(e)
    index = datasets.index(asked) if asked in datasets else 0
dataset = st.selectbox("Dataset", datasets, index=index, format_func=str, key="dataset")
name, stamp = str(dataset), corpus.stamp(dataset)

with st.sidebar:
    chosen = {g: st.multiselect(g, corpus.distinct(name, stamp, g), key=g) for g in corpus.GROUPS}
filters = corpus.Filters(**{g: tuple(v) for g, v in chosen.items()})
total = corpus.total(name, stamp, filters)
st.metric("samples (filtered)", f"{total:,}")

counts, funnel, hist, grid, rejects = st.tabs(
    ["Counts", "Filter funnel", "Histograms", "Samples", "Rejects"]
)
with counts:
    corpus_view.counts(name, stamp, filters)
with funnel:
    corpus_view.filter_funnel(dataset)
with hist:
    corpus_view.histograms(name, stamp, filters)
with grid:
    per_page = corpus_view.GRID_COLS * corpus_view.GRID_ROWS
    pages = max(1, -(-total // per_page))
    number = st.number_input(f"Page (of {pages:,})", 1, pages, 1, key="grid_page")
    rows = corpus.page(name, stamp, filters, (number - 1) * per_page, per_page)
    if corpus.is_dataset(dataset):
        corpus_view.sample_grid(dataset, rows, roots.corpus)
    else:
        st.dataframe(rows, hide_index=True)
with rejects:
    st.dataframe(corpus.rejects(name, stamp), hide_index=True)
