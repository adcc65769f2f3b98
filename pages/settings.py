"""Settings: matching thresholds and the learned model, feature flags, snapshot retention.

Feature flags are global (every user, every process): in OIDC (multi-user)
mode they are shown read-only here and changed with ``crossfade flags set``.

Session-state keys: ``cf_set_<field>`` (matching form), ``cf_set_keep_last``,
``cf_set_keep_days`` (retention form), ``cf_flag_<name>`` (flag toggles),
``cf_set_notice``.
"""

from __future__ import annotations

import streamlit as st

from engine import flags, jobs
from engine.app_support import matcher_model, preferences
from engine.app_support.people import CurrentUser
from engine.errors import CrossfadeError
from engine.runtime import Runtime
from pages import _ui


def _notice() -> None:
    notice = st.session_state.pop("cf_set_notice", None)
    if isinstance(notice, CrossfadeError):
        _ui.show_error(notice)
    elif notice:
        st.success(notice)


def matching(rt: Runtime, user: CurrentUser) -> None:
    st.subheader("Matching")
    st.caption(
        "Used by Transfer's dry run, the scores on the Review page, and every migrate "
        "or sync job you start from then on."
    )
    config = preferences.match_config(rt, user.id)
    with st.form("cf_set_matching"):
        cols = st.columns(2)
        auto = cols[0].slider(
            "Match without asking at or above",
            0.5,
            1.0,
            float(config.auto_threshold),
            0.01,
            key="cf_set_auto_threshold",
        )
        review_at = cols[1].slider(
            "Ask a curator at or above",
            0.3,
            1.0,
            float(config.review_threshold),
            0.01,
            key="cf_set_review_threshold",
        )
        margin = st.slider(
            "…and only this far ahead of a candidate of another title or artist",
            0.0,
            0.5,
            float(config.auto_margin),
            0.01,
            key="cf_set_auto_margin",
        )
        st.caption(
            "Scores are the learned model's probability that two records are the same recording."
        )
        saved = st.form_submit_button("Save matching settings", type="primary")
    if saved:
        try:
            preferences.save_match_config(
                rt, user.id, auto_threshold=auto, review_threshold=review_at, auto_margin=margin
            )
        except CrossfadeError as exc:
            _ui.show_error(exc)
        else:
            st.success("Saved: dry runs and the review page use these now.")
    if st.button("Reset to defaults", key="cf_set_reset"):
        preferences.reset_match_config(rt, user.id)
        st.rerun()


def learned_model(rt: Runtime, user: CurrentUser) -> None:
    st.subheader("Learning from your decisions")
    info = matcher_model.model_info(rt, user.id)
    if info.get("path"):
        st.caption(
            f"Matching with a model that learned from {info.get('decisions', 0)} of your decisions."
        )
    else:
        st.caption("Matching with the shipped model. Every review you decide is a lesson for it.")
    if info.get("reason"):
        st.write(f"Last retraining: {info['reason']}")
        changes = [
            f"{name}: F1 {before.get('f1', 0):.3f} → {info['after'][name].get('f1', 0):.3f}"
            for name, before in (info.get("before") or {}).items()
            if (info.get("after") or {}).get(name)
        ]
        if changes:
            st.caption("; ".join(changes))
    cols = st.columns(2)
    if cols[0].button("Retrain from my decisions", key="cf_set_retrain"):
        with _ui.guarded():
            outcome = matcher_model.retrain_matcher(rt, user.id)
            message = f"{outcome.reason} ({outcome.decisions} decisions, {outcome.seconds:.1f} s)"
            st.session_state["cf_set_notice"] = message
            st.rerun()
    if info.get("path") and cols[1].button("Use the shipped model", key="cf_set_shipped"):
        matcher_model.use_shipped_model(rt, user.id)
        st.rerun()


def _toggle(rt: Runtime, name: str) -> None:
    try:
        flags.set_flag(rt, name, bool(st.session_state[f"cf_flag_{name}"]))
    except CrossfadeError as exc:
        st.session_state["cf_set_notice"] = exc


def feature_flags(rt: Runtime) -> None:
    st.subheader("Feature flags")
    editable = not rt.settings.oidc_enabled
    if not editable:
        st.caption("Flags apply to everyone; change them with `crossfade flags set NAME on|off`.")
    for state in flags.list_flags(rt, rt.settings):
        st.toggle(
            f"`{state.name}` — {state.description or 'custom flag'} ({state.origin})",
            value=state.enabled,
            key=f"cf_flag_{state.name}",
            disabled=not editable,
            on_change=_toggle,
            args=(rt, state.name),
        )


def retention(rt: Runtime, user: CurrentUser) -> None:
    st.subheader("Snapshot retention")
    current = preferences.retention(rt, user.id)
    with st.form("cf_set_retention"):
        keep_last = st.number_input(
            "Keep the newest snapshots of each playlist",
            2,
            1000,
            current.keep_last,
            key="cf_set_keep_last",
        )
        keep_days = st.number_input(
            "…and one per day for this many days",
            0,
            3650,
            current.keep_daily_days,
            key="cf_set_keep_days",
        )
        saved = st.form_submit_button("Save retention")
    if saved:
        with _ui.guarded():
            preferences.save_retention(rt, user.id, int(keep_last), int(keep_days))
            st.success("Saved.")
    kept = preferences.retention(rt, user.id)
    cols = st.columns(2)
    for col, dry in ((cols[0], True), (cols[1], False)):
        label = "Preview pruning (dry run)" if dry else "Prune old snapshots now"
        if col.button(label, key=f"cf_set_gc_{dry}"):
            with _ui.guarded():
                job_id = jobs.submit(
                    rt,
                    "snapshot_gc",
                    {
                        "keep_last": kept.keep_last,
                        "keep_daily_days": kept.keep_daily_days,
                        "dry_run": dry,
                    },
                    user_id=user.id,
                )
                st.success(f"Job {job_id[:8]} started; follow it on the Jobs page.")


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Settings")
    _notice()
    with _ui.guarded():
        matching(rt, user)
    st.divider()
    with _ui.guarded():
        learned_model(rt, user)
    st.divider()
    with _ui.guarded():
        retention(rt, user)
    st.divider()
    with _ui.guarded():
        feature_flags(rt)


main()
