"""Jobs: every job of the user with state, progress and errors; follow one
live, retry or cancel it.

Session-state keys: ``cf_jobs_state``, ``cf_jobs_kind`` (filters),
``cf_jobs_pick`` (the job followed), ``cf_jobs_notice``.
"""

from __future__ import annotations

import streamlit as st

from engine import jobs
from engine.app_support.jobs_view import CANCELLABLE, RETRYABLE, job_table, waiting_for_review
from engine.app_support.people import CurrentUser
from engine.errors import CrossfadeError
from engine.runtime import Runtime
from pages import _ui

STATES = [None, "queued", "running", "waiting", "succeeded", "failed", "cancelled"]


def _steer(rt: Runtime, user: CurrentUser, action: str) -> None:
    job_id = st.session_state.get("cf_jobs_pick")
    if not job_id:
        return
    try:
        if action == "cancel":
            state = jobs.cancel(rt, job_id, user_id=user.id)
        else:
            state = jobs.retry(rt, job_id, user_id=user.id)
    except CrossfadeError as exc:
        st.session_state["cf_jobs_notice"] = exc
    else:
        st.session_state["cf_jobs_notice"] = f"Job {job_id[:8]} is now {state}."


@st.fragment(run_every=2)
def live(rt: Runtime, user: CurrentUser, job_id: str) -> None:
    """Polls the progress channel every 2 s while the page is open."""
    with _ui.guarded():
        _ui.job_progress(rt, user.id, job_id)


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Jobs")
    notice = st.session_state.pop("cf_jobs_notice", None)
    if isinstance(notice, CrossfadeError):
        _ui.show_error(notice)
    elif notice:
        st.success(notice)
    filters = st.columns(2)
    state = filters[0].selectbox(
        "State", STATES, key="cf_jobs_state", format_func=lambda s: s or "any"
    )
    kind = filters[1].selectbox(
        "Kind", [None, *jobs.JOB_KINDS], key="cf_jobs_kind", format_func=lambda k: k or "any"
    )
    waiting = waiting_for_review(rt, user.id)
    if waiting:
        for job in waiting:
            st.info(f"Job {job['id'][:8]}: {job['summary']}.", icon=":material/rate_review:")
        st.page_link("pages/review.py", label="Open Review", icon=":material/rate_review:")
    table = job_table(rt, user.id, state=state, kind=kind)
    if not table.height:
        st.info("No jobs yet. Start one from Transfer or Files.")
        return
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0),
        },
    )
    ids = table["id"].to_list()
    labels = {
        r["id"]: f"{r['kind']} · {r['works on']} · {r['state']} · {r['id'][:8]}"
        for r in table.to_dicts()
    }
    st.selectbox("Follow a job", ids, format_func=lambda i: labels[i], key="cf_jobs_pick")
    picked = st.session_state.get("cf_jobs_pick")
    raw = {j["id"]: j["state"] for j in jobs.list_jobs(rt, user_id=user.id, limit=100)}
    picked_state = raw.get(picked or "")
    buttons = st.columns(6)
    buttons[0].button(
        "Cancel",
        on_click=_steer,
        args=(rt, user, "cancel"),
        key="cf_jobs_cancel",
        disabled=picked_state not in CANCELLABLE,
        help="Only a queued, running or waiting job can be cancelled.",
    )
    buttons[1].button(
        "Retry",
        on_click=_steer,
        args=(rt, user, "retry"),
        key="cf_jobs_retry",
        disabled=picked_state not in RETRYABLE,
        help="Only a failed or cancelled job can be retried.",
    )
    if picked:
        live(rt, user, picked)


main()
