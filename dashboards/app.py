"""Mammoth2 dashboard: ``streamlit run dashboards/app.py -- --results R [--corpus D] [--logs L]``.

This file only declares the pages; they live in ``pages/`` and their logic in ``lib/``.
"""

import streamlit as st

st.navigation(
    [
        st.Page(
            "pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:", default=True
        ),
        st.Page("pages/drilldown.py", title="Benchmark drill-down", icon=":material/bar_chart:"),
        st.Page("pages/samples.py", title="Sample browser", icon=":material/image_search:"),
        st.Page("pages/corpus.py", title="Corpus explorer", icon=":material/dataset:"),
        st.Page("pages/training.py", title="Training", icon=":material/monitoring:"),
    ]
).run()
