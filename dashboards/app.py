"""Mammoth2 dashboard: ``streamlit run dashboards/app.py -- --results R [--corpus D] [--logs L]``.

This file only declares the pages; they live in ``pages/`` and their logic in ``lib/``.
"""

import streamlit as st

st.navigation(
    [
        st.Page("pages/leaderboard.py", title="Leaderboard", icon="🏆", default=True),
        st.Page("pages/drilldown.py", title="Benchmark drill-down", icon="📊"),
        st.Page("pages/samples.py", title="Sample browser", icon="🖼️"),
        st.Page("pages/corpus.py", title="Corpus explorer", icon="🗂️"),
        st.Page("pages/training.py", title="Training", icon="📉"),
    ]
).run()
