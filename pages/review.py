"""Review: the curator's queue of uncertain matches, one at a time.

Only the decision panel reruns after a decision (``st.fragment``), and it loads
exactly one pending item (offset = how many were skipped), so the queue stays
fast with 10,000 items pending.

Session-state keys: ``cf_review_skip`` (items skipped in this session),
``cf_review_choice`` (the chosen candidate in the form), ``cf_review_query`` /
``cf_review_found`` / ``cf_review_found_choice`` (manual search),
``cf_review_manual_id`` (a pasted target id), ``cf_review_notice`` (the last
outcome), ``cf_review_undo_pick`` (decision picked for undo), ``cf_review_last``
(the curator decision just saved, for "Undo last"), ``cf_review_provider``
(only this target provider's reviews).
Keyboard: 1-5 take that candidate, N = not available, S = skip, B = back,
U = undo the last decision, Ctrl+Enter = save the selected choice; Tab and the
arrow keys move through the choices.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from engine.app_support import preferences, review
from engine.app_support.people import CurrentUser
from engine.errors import CrossfadeError
from engine.runtime import Runtime
from pages import _ui

NOT_AVAILABLE = "__not_available__"


def _remember(outcome: str | CrossfadeError) -> None:
    st.session_state["cf_review_notice"] = outcome


def _decide(rt: Runtime, user: CurrentUser, decision_id: int, target: str | None) -> None:
    try:
        st.session_state["cf_review_last"] = review.decide(rt, user.id, decision_id, target)
    except CrossfadeError as exc:
        _remember(exc)
    else:
        chosen = "not available" if target is None else f"track {target}"
        _remember(f"Saved: {chosen}. Press U to undo.")
        for key in ("cf_review_found", "cf_review_manual_id", "cf_review_choice"):
            st.session_state.pop(key, None)


def _save_choice(rt: Runtime, user: CurrentUser, decision_id: int) -> None:
    choice = st.session_state.get("cf_review_choice")
    _decide(rt, user, decision_id, None if choice == NOT_AVAILABLE else choice)


def _use_found(rt: Runtime, user: CurrentUser, decision_id: int) -> None:
    manual = str(st.session_state.get("cf_review_manual_id") or "").strip()
    _decide(rt, user, decision_id, manual or st.session_state.get("cf_review_found_choice"))


def _skip(step: int) -> None:
    st.session_state["cf_review_skip"] = max(0, st.session_state.get("cf_review_skip", 0) + step)
    st.session_state.pop("cf_review_found", None)
    st.session_state.pop("cf_review_choice", None)


def _undo_last(rt: Runtime, user: CurrentUser) -> None:
    last = st.session_state.pop("cf_review_last", None)
    if last is not None:
        _undo_decision(rt, user, int(last))


def _undo(rt: Runtime, user: CurrentUser) -> None:
    picked = st.session_state.get("cf_review_undo_pick")
    if picked is not None:
        _undo_decision(rt, user, int(picked))


def _undo_decision(rt: Runtime, user: CurrentUser, decision_id: int) -> None:
    try:
        review.undo(rt, user.id, decision_id)
    except CrossfadeError as exc:
        _remember(exc)
    else:
        _remember(f"Undone: decision {decision_id}; its review is back in the queue.")


def _search(rt: Runtime, user: CurrentUser, provider: str) -> None:
    query = str(st.session_state.get("cf_review_query") or "")
    try:
        found = review.search_target(rt, user.id, provider, query)
    except CrossfadeError as exc:
        _remember(exc)
        return
    st.session_state["cf_review_found"] = [
        {"id": t.id, "label": _label(t), "url": t.url} for t in found
    ]


def _label(track: review.TrackView) -> str:
    if not track.title:
        return f"track {track.id} (no details stored; open the link to check)"
    artists = ", ".join(track.artists) or "unknown artist"
    return f"{track.title or track.id} — {artists} ({_ui.duration(track.duration_ms)})"


def _explicit(track: review.TrackView) -> str | None:
    """``explicit`` / ``clean``, or None when the provider did not say."""
    if track.explicit is None:
        return None
    return "explicit" if track.explicit else "clean"


def _yes_no(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "no")


def _track_card(title: str, track: review.TrackView) -> None:
    st.markdown(f"##### {title}")
    st.markdown(f"**{track.title or '(untitled)'}**  \n{', '.join(track.artists) or '—'}")
    st.caption(
        f"Album: {track.album or '—'} · Length: {_ui.duration(track.duration_ms)}"
        f" · ISRC: {track.isrc or '—'} · Explicit: {_yes_no(track.explicit)}"
    )
    if track.url:
        st.markdown(f"[Open on the provider]({track.url})")


def _candidates_frame(item: review.ReviewItem) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for number, candidate in enumerate(item.candidates, start=1):
        track = candidate.track
        rows.append(
            {
                "#": number,
                "title": track.title or track.id,
                "album": track.album,
                "explicit": _explicit(track),
                "score": candidate.score,
                **{f"{part} match": candidate.parts.get(part) for part in review.PARTS},
                "link": track.url,
            }
        )
    return pl.DataFrame(rows)


def _candidate_table(item: review.ReviewItem) -> None:
    """Candidates with the named parts of their score (0..1 bars)."""
    bar = st.column_config.ProgressColumn
    text = st.column_config.TextColumn
    config: dict[str, Any] = {
        "#": st.column_config.NumberColumn("#", width=40),
        "title": text("title", width="medium"),
        "album": text("album", width="small"),
        "explicit": text(
            "explicit", width=70, help="The candidate's explicit flag (empty: not known)"
        ),
        "score": bar("score", min_value=0.0, max_value=1.0, format="%.2f", width=110),
        "link": st.column_config.LinkColumn("link", display_text="open", width=60),
    }
    for part in review.PARTS:
        name = f"{part} match"
        config[name] = bar(part, min_value=0.0, max_value=1.0, format="%.2f", width=80)
    st.dataframe(_candidates_frame(item), hide_index=True, column_config=config, width="stretch")
    st.caption(
        "score = the matcher's overall score; the bars after it are its parts (title, "
        "artists, album, duration, version tags, explicit flag), 0..1. Version and explicit "
        "are 1 when both sides agree. An empty cell: one side does not know that field."
    )


def _decision_form(rt: Runtime, user: CurrentUser, item: review.ReviewItem) -> None:
    options = [c.track.id for c in item.candidates] + [NOT_AVAILABLE]
    labels = {c.track.id: f"{_label(c.track)} · score {c.score or 0:.2f}" for c in item.candidates}
    labels[NOT_AVAILABLE] = f"Not available on {item.target_provider}"
    with st.form("cf_review_form", border=True):
        st.radio(
            "Decision",
            options,
            format_func=lambda value: labels[value],
            key="cf_review_choice",
        )
        st.form_submit_button(
            "Save decision",
            type="primary",
            shortcut="Ctrl+Enter",
            on_click=_save_choice,
            args=(rt, user, item.decision_id),
        )


def _quick_keys(rt: Runtime, user: CurrentUser, item: review.ReviewItem, skip: int) -> None:
    """One-key decisions: 1-5 take that candidate, N = not available, S = skip,
    B = back, U = undo the last decision, Ctrl+Enter = save the selected one."""
    with st.container(horizontal=True):
        for number, candidate in enumerate(item.candidates[:5], start=1):
            st.button(
                f"Take {number}",
                key=f"cf_review_take_{number}",
                shortcut=str(number),
                help=_label(candidate.track),
                on_click=_decide,
                args=(rt, user, item.decision_id, candidate.track.id),
            )
        st.button(
            "Not available",
            key="cf_review_none",
            shortcut="N",
            on_click=_decide,
            args=(rt, user, item.decision_id, None),
        )
        st.button("Skip", key="cf_review_next", shortcut="S", on_click=_skip, args=(1,))
        st.button(
            "Back",
            key="cf_review_back",
            shortcut="B",
            on_click=_skip,
            args=(-1,),
            disabled=skip == 0,
        )
        st.button(
            "Undo last",
            key="cf_review_undo_last",
            shortcut="U",
            on_click=_undo_last,
            args=(rt, user),
            disabled="cf_review_last" not in st.session_state,
        )


def _manual_search(rt: Runtime, user: CurrentUser, item: review.ReviewItem) -> None:
    provider = item.target_provider
    with st.expander(
        f"Search {provider} by hand", expanded=bool(st.session_state.get("cf_review_found"))
    ):
        default = f"{(item.source.artists or [''])[0]} {item.source.title or ''}".strip()
        with st.form("cf_review_search_form", border=False):
            st.text_input("Search", value=default, key="cf_review_query")
            st.form_submit_button(f"Search {provider}", on_click=_search, args=(rt, user, provider))
        found = st.session_state.get("cf_review_found") or []
        with st.form("cf_review_found_form", border=False):
            if found:
                st.radio(
                    "Results",
                    [f["id"] for f in found],
                    format_func=lambda value: next(f["label"] for f in found if f["id"] == value),
                    key="cf_review_found_choice",
                )
            st.text_input(f"…or paste a {provider} track id", key="cf_review_manual_id")
            st.form_submit_button(
                "Use this track", on_click=_use_found, args=(rt, user, item.decision_id)
            )


def _notice() -> None:
    outcome = st.session_state.pop("cf_review_notice", None)
    if isinstance(outcome, CrossfadeError):
        _ui.show_error(outcome)
    elif outcome:
        st.success(outcome, icon=":material/check_circle:")


def _recent(rt: Runtime, user: CurrentUser) -> None:
    recent = review.recent_decisions(rt, user.id, limit=10)
    st.markdown("##### Your recent decisions")
    if not recent.height:
        st.caption("None yet. Decisions become rules that later transfers apply.")
        return
    st.table(
        recent.select("track", "provider", "decision", "decided_at"),
        border="horizontal",
        hide_index=True,
    )
    labels = {r["decision_id"]: f"{r['track']} -> {r['decision']}" for r in recent.to_dicts()}
    cols = st.columns([3, 1])
    cols[0].selectbox(
        "Undo a decision",
        recent["decision_id"].to_list(),
        format_func=lambda d: labels.get(d, f"decision {d}"),
        key="cf_review_undo_pick",
        label_visibility="collapsed",
    )
    cols[1].button("Undo", on_click=_undo, args=(rt, user), key="cf_review_undo")


@st.fragment
def decision_panel(rt: Runtime, user: CurrentUser) -> None:
    """The one item under review, its candidates and the decision controls
    (reruns alone after each decision)."""
    with _ui.guarded():
        _panel(rt, user)


def _reset_position() -> None:
    st.session_state["cf_review_skip"] = 0
    st.session_state.pop("cf_review_choice", None)


def _provider_filter(rt: Runtime, user: CurrentUser) -> str | None:
    """Only one target provider's reviews, when there are several."""
    counts = review.pending_providers(rt, user.id)
    if len(counts) < 2:
        st.session_state.pop("cf_review_provider", None)  # a filter left over
        return None
    labels = {p: f"{p} ({n:,})" for p, n in counts.items()}
    chosen = st.segmented_control(
        "Target provider",
        list(labels),
        format_func=lambda p: labels.get(p, p),
        key="cf_review_provider",
        on_change=_reset_position,
        help="Review one provider's matches at a time; none selected shows all.",
    )
    return str(chosen) if chosen else None


def _panel(rt: Runtime, user: CurrentUser) -> None:
    _notice()
    provider = _provider_filter(rt, user)
    skip = int(st.session_state.get("cf_review_skip", 0))
    config = preferences.match_config(rt, user.id)
    page = review.review_page(rt, user.id, offset=skip, limit=1, config=config, provider=provider)
    if page.offset != skip:
        st.session_state["cf_review_skip"] = page.offset
    metrics = st.columns(3)
    metrics[0].metric("Pending reviews", f"{page.total:,}")
    metrics[1].metric("Position", f"{page.offset + 1:,}" if page.items else "—")
    if not page.items:
        st.success("Nothing left to review. New uncertain matches appear here after transfers.")
        _recent(rt, user)
        return
    item = page.items[0]
    try:
        item = review.complete_from_provider(rt, user.id, item, config)
    except CrossfadeError as exc:
        st.caption(f"Candidate details from {item.target_provider} are unavailable: {exc}")
    metrics[2].metric("Matcher's score", f"{item.score:.2f}" if item.score is not None else "—")
    left, right = st.columns([1, 2], gap="large")
    with left:
        _track_card("Source track", item.source)
        st.caption(f"Target: **{item.target_provider}** · tier {item.tier or '—'}")
    with right:
        _decision_form(rt, user, item)
        _quick_keys(rt, user, item, skip)
    st.markdown(f"##### Candidates on {item.target_provider}")
    if item.candidates:
        _candidate_table(item)
    else:
        st.info("The matcher found no candidate: search by hand or mark it not available.")
    _manual_search(rt, user, item)
    _recent(rt, user)


def bulk_actions(rt: Runtime, user: CurrentUser) -> None:
    config = preferences.match_config(rt, user.id)
    with st.expander("Bulk actions for the easy cases"):
        with st.form("cf_review_bulk_form", border=False):
            min_score = st.slider(
                "Accept the best candidate when its score is at least",
                0.5,
                1.0,
                value=float(config.auto_threshold) - 0.05,
                step=0.01,
                key="cf_review_bulk_score",
            )
            margin = st.slider(
                "…and it leads the next candidate by at least",
                0.0,
                0.3,
                value=0.05,
                step=0.01,
                key="cf_review_bulk_margin",
            )
            go = st.form_submit_button("Accept all confident matches")
        if go:
            with _ui.guarded():
                accepted = review.accept_confident(
                    rt,
                    user.id,
                    min_score=min_score,
                    min_margin=margin,
                    config=config,
                    provider=st.session_state.get("cf_review_provider") or None,
                )
                st.success(f"Accepted {accepted} match(es). Each can be undone below.")


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    st.title("Review uncertain matches")
    if not _ui.flag_on(rt, "feature.review"):
        return
    bulk_actions(rt, user)
    decision_panel(rt, user)


main()
