"""What every page does first: the page config, the roots from the command line, their captions."""

from __future__ import annotations

import sys

import streamlit as st

from dashboards.lib.roots import PathRefused, Roots, parse_roots


def page_setup(title: str) -> Roots:
    """Configures the page and returns the directories the app was started on."""
    st.set_page_config(page_title=f"Mammoth2 · {title}", layout="wide")
    roots = parse_roots(sys.argv[1:])
    with st.sidebar:
        st.caption("Reading only under:")
        for label, paths in (("results", roots.results), ("corpus", roots.corpus)):
            for p in paths:
                st.caption(f"{label}: `{p}`")
        for p in roots.logs:
            st.caption(f"logs: `{p}`")
    st.title(title)
    return roots


def refuse(error: PathRefused) -> None:
    """Shows why a path was refused and stops the page."""
    st.error(f"Path refused: {error}")
    st.stop()
