"""Deep links: query parameters seed widget state once, and widgets write the parameters back."""

from __future__ import annotations

import streamlit as st

SEEDED = "_seeded_from_query"


def seed(params: dict[str, str]) -> dict[str, str]:
    """On a page's first run, copy query parameters into the widget keys they name.

    ``params`` maps a query parameter to a widget key; returns the parameters that were present.
    """
    present = {p: st.query_params[p] for p in params if p in st.query_params}
    seeded = st.session_state.setdefault(SEEDED, set())
    page = tuple(sorted(params))
    if page not in seeded:
        for p, value in present.items():
            st.session_state[params[p]] = value
        seeded.add(page)
    return present


def publish(values: dict[str, str | None]) -> None:
    """Writes the current selection into the URL so it can be shared."""
    for name, value in values.items():
        if value is None:
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != value:
            st.query_params[name] = value
