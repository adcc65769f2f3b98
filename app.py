"""Crossfade's Streamlit app: only the navigation table. Run ``streamlit run app.py``.

Every page lives in ``pages/`` and calls the engine; see docs/app.md.
"""

import streamlit as st

st.set_page_config(page_title="Crossfade", page_icon="🎚️", layout="wide")

navigation = st.navigation(
    {
        "Your music": [
            st.Page("pages/library.py", title="Library", icon="📚", default=True),
            st.Page("pages/transfer.py", title="Transfer", icon="🔀"),
            st.Page("pages/review.py", title="Review", icon="✅"),
        ],
        "Work": [
            st.Page("pages/jobs.py", title="Jobs", icon="⏱️"),
            st.Page("pages/files.py", title="Files", icon="📄"),
        ],
        "Setup": [
            st.Page("pages/connections.py", title="Connections", icon="🔌"),
            st.Page("pages/settings.py", title="Settings", icon="⚙️"),
        ],
    }
)
navigation.run()
