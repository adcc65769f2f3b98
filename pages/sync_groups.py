"""Sync groups: one playlist kept the same on several services. Create a
group from your stored provider playlists and liked tracks, run it (a dry run
first), pause, schedule, and confirm or dismiss what it left for you.

Session-state keys: ``cf_groups_pick`` (the group shown), ``cf_groups_notice``,
``cf_groups_name``, ``cf_groups_members``, ``cf_groups_share``, ``cf_groups_every``.
"""

from __future__ import annotations

import streamlit as st

from engine.app_support import sync_groups_view as view
from engine.app_support.people import CurrentUser
from engine.errors import CrossfadeError
from engine.runtime import Runtime
from pages import _ui


def _act(action: str, rt: Runtime, user: CurrentUser, group_id: int) -> None:
    try:
        if action in ("dry", "apply"):
            job = view.run(rt, user.id, group_id, apply=action == "apply")
            message = f"Run submitted as job {job[:8]}: follow it on the Jobs page."
        elif action in ("paused", "active"):
            view.set_status(rt, user.id, group_id, action)
            message = f"Group is {action}."
        elif action == "schedule":
            view.set_schedule(rt, user.id, group_id, st.session_state.get("cf_groups_every", ""))
            message = "Schedule saved."
        else:
            view.delete(rt, user.id, group_id)
            st.session_state.pop("cf_groups_pick", None)
            message = "Group deleted (its playlists are left as they are)."
    except CrossfadeError as exc:
        st.session_state["cf_groups_notice"] = exc
    else:
        st.session_state["cf_groups_notice"] = message


def _create(rt: Runtime, user: CurrentUser, choices: dict[str, dict[str, object]]) -> None:
    picked = st.session_state.get("cf_groups_members") or []
    try:
        view.create(
            rt,
            user.id,
            str(st.session_state.get("cf_groups_name") or ""),
            [dict(choices[p]) for p in picked],
            float(st.session_state.get("cf_groups_share") or 20) / 100,
        )
    except CrossfadeError as exc:
        st.session_state["cf_groups_notice"] = exc
    else:
        st.session_state["cf_groups_notice"] = "Group created: run it once to see its plan."


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Sync groups")
    if not _ui.flag_on(rt, "feature.sync"):
        return
    notice = st.session_state.pop("cf_groups_notice", None)
    if isinstance(notice, CrossfadeError):
        _ui.show_error(notice)
    elif notice:
        st.success(notice)

    groups = view.groups(rt, user.id)
    if groups:
        st.dataframe(view.group_table(groups), hide_index=True, width="stretch")
        names = {g["id"]: g["name"] for g in groups}
        pick = st.selectbox(
            "Group", list(names), key="cf_groups_pick", format_func=lambda i: names[i]
        )
        group = next(g for g in groups if g["id"] == pick)
        buttons = st.columns(5)
        buttons[0].button(
            "Dry run", key="cf_groups_dry", on_click=_act, args=("dry", rt, user, pick)
        )
        buttons[1].button(
            "Apply",
            key="cf_groups_apply",
            type="primary",
            disabled=not group["previewed"],
            help=None
            if group["previewed"]
            else "Run it dry once first: the plan is shown before anything is written.",
            on_click=_act,
            args=("apply", rt, user, pick),
        )
        toggle = "active" if group["status"] == "paused" else "paused"
        buttons[2].button(
            "Resume" if toggle == "active" else "Pause",
            key="cf_groups_toggle",
            on_click=_act,
            args=(toggle, rt, user, pick),
        )
        buttons[3].button(
            "Delete", key="cf_groups_delete", on_click=_act, args=("delete", rt, user, pick)
        )
        st.text_input(
            "Schedule (6h, 30m or a cron expression; empty for none)", key="cf_groups_every"
        )
        buttons[4].button(
            "Save schedule",
            key="cf_groups_schedule",
            on_click=_act,
            args=("schedule", rt, user, pick),
        )
        with _ui.guarded():
            plan = view.last_plan(rt, user.id, group)
            if plan is not None:
                st.subheader("Last run")
                st.dataframe(plan, hide_index=True, width="stretch")
    else:
        st.info("No sync group yet: create one below from playlists you have pulled.")

    items = view.reviews(rt, user.id)
    if items:
        st.subheader("Waiting for you")
        for item in items:
            detail = item["detail"]
            what = (
                f"removal guard: {', '.join(detail.get('members', []))}"
                if item["kind"] == "removal_guard"
                else f"match to decide on the Review page: {detail.get('why', '')}"
            )
            cols = st.columns([4, 1, 1])
            cols[0].write(f"Group {item['group_id']}: {what}")
            if cols[1].button("Confirm", key=f"cf_groups_ok_{item['id']}"):
                with _ui.guarded():
                    view.resolve_review(rt, user.id, item["id"], "confirmed")
                    st.rerun()
            if cols[2].button("Dismiss", key=f"cf_groups_no_{item['id']}"):
                with _ui.guarded():
                    view.resolve_review(rt, user.id, item["id"], "dismissed")
                    st.rerun()

    st.subheader("New group")
    choices = view.member_choices(rt, user.id)
    st.text_input("Name", key="cf_groups_name")
    st.multiselect(
        "Members (in precedence order: a later one decides a track two members moved)",
        list(choices),
        key="cf_groups_members",
    )
    st.number_input(
        "Removal guard (%)", min_value=0, max_value=100, value=20, key="cf_groups_share"
    )
    st.button("Create group", key="cf_groups_create", on_click=_create, args=(rt, user, choices))


main()
