"""Crossfade's Streamlit app: only the navigation table. Run ``streamlit run app.py``.

Every page lives in ``pages/`` and calls the engine; see docs/app.md.
"""

from pathlib import Path

import streamlit as st

# a local image: a :material/...: or emoji page icon makes the browser fetch the
# favicon from a public font/emoji host, which fails on a machine without internet
ICON = Path(__file__).parent / "static" / "crossfade-icon.png"
st.set_page_config(page_title="Crossfade", page_icon=str(ICON), layout="wide")

navigation = st.navigation(
    {
        "Your music": [
            st.Page(
                "pages/library.py", title="Library", icon=":material/library_music:", default=True
            ),
            st.Page("pages/transfer.py", title="Transfer", icon=":material/swap_horiz:"),
            st.Page("pages/sync_groups.py", title="Sync groups", icon=":material/sync:"),
            st.Page("pages/review.py", title="Review", icon=":material/fact_check:"),
        ],
        "Work": [
            st.Page("pages/jobs.py", title="Jobs", icon=":material/schedule:"),
            st.Page("pages/files.py", title="Files", icon=":material/description:"),
        ],
        "Setup": [
            st.Page("pages/connections.py", title="Connections", icon=":material/power:"),
            st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        ],
    }
)
navigation.run()
