"""Mammoth2 dashboard: ``streamlit run dashboards/app.py -- --results R [--corpus D] [--logs L]``.

This file only declares the pages; they live in ``views/`` and their logic in ``lib/``. The
folder is not called ``pages/``: Streamlit would also serve a ``pages/`` folder as legacy pages,
with their own sidebar, to anyone opening a page by its direct link.
"""

import streamlit as st

st.navigation(
    [
        st.Page(
            "views/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:", default=True
        ),
        st.Page("views/drilldown.py", title="Benchmark drill-down", icon=":material/bar_chart:"),
        st.Page("views/samples.py", title="Sample browser", icon=":material/image_search:"),
        st.Page("views/corpus.py", title="Corpus explorer", icon=":material/dataset:"),
        st.Page("views/training.py", title="Training", icon=":material/monitoring:"),
    ]
).run()
