"""Review: the curator's queue of uncertain matches, one at a time.

Only the decision panel reruns after a decision (``st.fragment``), and it loads
exactly one pending item (offset = how many were skipped), so the queue stays
fast with 10,000 items pending.

The form state belongs to the item on screen: its widgets are keyed by the
review's decision id (``<key>_<decision id>``), so a choice made for one item can
never be saved for the next. A decision stores only one of the shown
candidates, a search result, or a pasted link checked on the provider.

Session-state keys: ``cf_review_skip`` (items skipped in this session),
``cf_review_choice_<id>`` (the chosen candidate; the best is preselected),
``cf_review_query_<id>`` / ``cf_review_found_<id>`` / ``cf_review_found_choice_<id>``
(manual search; nothing preselected), ``cf_review_manual_id_<id>`` (a pasted link or
id), ``cf_review_notice`` (the last outcome), ``cf_review_undo_pick`` (decision
picked for undo), ``cf_review_last`` (the curator decision just saved, for "Undo
last"), ``cf_review_provider`` (only this target provider's reviews).
Keyboard: 1-5 take that candidate, N = not available, S = skip, B = back,
U = undo the last decision, Ctrl+Enter = save the selected choice; Tab and the
arrow keys move through the choices.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.app_support import preferences, review
from engine.app_support.people import CurrentUser
from engine.app_support.review_table import PART_COLUMNS, labels, track_name, track_rows
from engine.errors import CrossfadeError, UsageError
from engine.runtime import Runtime
from pages import _ui

NOT_AVAILABLE = "__not_available__"
# pixels kept for the outcome notice, shown or not, so nothing below moves
# (a bare string here would be rendered by Streamlit's "magic")
NOTICE_HEIGHT = 64


def key(name: str, item: review.ReviewItem) -> str:
    """A widget key that belongs to one review item."""
    return f"cf_review_{name}_{item.decision_id}"


def _remember(outcome: str | CrossfadeError) -> None:
    st.session_state["cf_review_notice"] = outcome


def _saved(item: review.ReviewItem, decision: int, chosen: str) -> None:
    st.session_state["cf_review_last"] = decision
    _remember(f"Saved: {track_name(item.source)} → {chosen}. Press U to undo.")
    for name in ("found", "manual_id", "choice", "found_choice", "query"):
        st.session_state.pop(key(name, item), None)


def _decide(rt: Runtime, user: CurrentUser, item: review.ReviewItem, target: str | None) -> None:
    """Save one of the item's candidates (or "not available")."""
    shown = {c.track.id: c.track for c in item.candidates}
    try:
        if target is not None and target not in shown:
            raise UsageError("choose one of the candidates shown, or search for another track")
        decision = review.decide(rt, user.id, item.decision_id, target)
    except CrossfadeError as exc:
        _remember(exc)
        return
    chosen = (
        f"not available on {item.target_provider}" if target is None else track_name(shown[target])
    )
    _saved(item, decision, chosen)


def _save_choice(rt: Runtime, user: CurrentUser, item: review.ReviewItem) -> None:
    choice = st.session_state.get(key("choice", item))
    if choice is None:
        _remember(UsageError("choose a candidate or 'not available' first"))
        return
    _decide(rt, user, item, None if choice == NOT_AVAILABLE else str(choice))


def _use_found(rt: Runtime, user: CurrentUser, item: review.ReviewItem) -> None:
    """Save a pasted link (checked on the provider) or the chosen search result."""
    pasted = str(st.session_state.get(key("manual_id", item)) or "").strip()
    found: list[review.Candidate] = st.session_state.get(key("found", item)) or []
    picked = st.session_state.get(key("found_choice", item))
    try:
        if pasted:
            track = review.look_up_track(rt, user.id, item.target_provider, pasted)
        else:
            track = next((c.track for c in found if c.track.id == picked), None)  # type: ignore[assignment]
            if track is None:
                raise UsageError("choose a search result or paste a track link first")
        decision = review.decide_checked(rt, user.id, item.decision_id, track)
    except CrossfadeError as exc:
        _remember(exc)
        return
    _saved(item, decision, track_name(track))


def _skip(step: int) -> None:
    st.session_state["cf_review_skip"] = max(0, st.session_state.get("cf_review_skip", 0) + step)


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
        name = review.undo(rt, user.id, decision_id)
    except CrossfadeError as exc:
        _remember(exc)
    else:
        _remember(f"Undone: {name} is back in the queue.")


def _search(rt: Runtime, user: CurrentUser, item: review.ReviewItem) -> None:
    query = str(st.session_state.get(key("query", item)) or "")
    try:
        found = review.search_target(rt, user.id, item.target_provider, query)
    except CrossfadeError as exc:
        _remember(exc)
        return
    config = preferences.match_config(rt, user.id)
    scored = review.score_candidates(item.source, found, config)
    st.session_state[key("found", item)] = [
        review.Candidate(track, score, parts)
        for track, (score, parts) in zip(found, scored, strict=True)
    ]
    st.session_state.pop(key("found_choice", item), None)


def _yes_no(flag: bool | None) -> str:
    return "—" if flag is None else ("yes" if flag else "no")


def _track_card(title: str, track: review.TrackView) -> None:
    st.markdown(f"##### {title}")
    st.markdown(f"**{track.title or '(untitled)'}**  \n{', '.join(track.artists) or '—'}")
    st.caption(
        f"Album: {track.album or '—'} · Length: {_ui.duration(track.duration_ms)}"
        f" · ISRC: {track.isrc or '—'} · Released: {track.release_date or '—'}"
        f" · Explicit: {_yes_no(track.explicit)}"
    )
    if track.url:
        st.markdown(f"[Open on the provider]({track.url})")


def _evidence_table(source: review.TrackView, scored: list[review.Candidate], name: str) -> None:
    """Candidates (or search results) with their metadata beside the source's
    and the named parts of their score (0..1 bars)."""
    bar = st.column_config.ProgressColumn
    text = st.column_config.TextColumn
    config: dict[str, Any] = {
        "#": st.column_config.NumberColumn("#", width=40),
        "title": text("title", width="medium"),
        "artists": text("artists", width="small"),
        "album": text("album", width="small"),
        "length": text("length", width=60),
        "length diff": text("Δ length", width=70, help="The track's length minus the source's"),
        "isrc": text("ISRC", width="small"),
        "same isrc": text("same ISRC", width=80, help="Whether the ISRC equals the source's"),
        "released": text("released", width=90),
        "explicit": text(
            "explicit", width=70, help="The candidate's explicit flag (empty: not known)"
        ),
        "score": bar("score", min_value=0.0, max_value=1.0, format="%.2f", width=110),
        "link": st.column_config.LinkColumn("link", display_text="open", width=60),
    }
    for column in PART_COLUMNS:
        config[column] = bar(column, min_value=0.0, max_value=1.0, format="%.2f", width=90)
    st.dataframe(
        track_rows(source, scored),
        hide_index=True,
        column_config=config,
        width="stretch",
        key=f"cf_review_table_{name}",
    )


def _candidate_table(item: review.ReviewItem) -> None:
    _evidence_table(item.source, item.candidates, f"candidates_{item.decision_id}")
    st.caption(
        "score = the matcher's overall score; the *match* bars are its parts (title, "
        "artists, album, duration, version tags, explicit flag), 0..1. Version and explicit "
        "are 1 when both sides agree. An empty cell: one side does not know that field."
    )


def _decision_form(rt: Runtime, user: CurrentUser, item: review.ReviewItem) -> None:
    options = [c.track.id for c in item.candidates] + [NOT_AVAILABLE]
    names = labels([c.track for c in item.candidates])
    shown = {c.track.id: f"{names[c.track.id]} · score {c.score or 0:.2f}" for c in item.candidates}
    shown[NOT_AVAILABLE] = f"Not available on {item.target_provider}"
    with st.form(key("form", item), border=True):
        st.radio(
            "Decision",
            options,
            index=0,  # the best candidate (or "not available" when there is none)
            format_func=lambda value: shown.get(value, "(not a choice of this item)"),
            key=key("choice", item),
        )
        st.form_submit_button(
            "Save decision",
            type="primary",
            shortcut="Ctrl+Enter",
            on_click=_save_choice,
            args=(rt, user, item),
        )


def _quick_keys(rt: Runtime, user: CurrentUser, item: review.ReviewItem, skip: int) -> None:
    """One-key decisions: 1-5 take that candidate, N = not available, S = skip,
    B = back, U = undo the last decision, Ctrl+Enter = save the selected one."""
    names = labels([c.track for c in item.candidates])
    with st.container(horizontal=True):
        for number, candidate in enumerate(item.candidates[:5], start=1):
            st.button(
                f"Take {number}",
                key=f"cf_review_take_{number}",
                shortcut=str(number),
                help=names[candidate.track.id],
                on_click=_decide,
                args=(rt, user, item, candidate.track.id),
            )
        st.button(
            "Not available",
            key="cf_review_none",
            shortcut="N",
            on_click=_decide,
            args=(rt, user, item, None),
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
    found: list[review.Candidate] = st.session_state.get(key("found", item)) or []
    with st.expander(f"Search {provider} by hand", expanded=bool(found)):
        default = f"{(item.source.artists or [''])[0]} {item.source.title or ''}".strip()
        with st.form(key("search_form", item), border=False):
            st.text_input("Search", value=default, key=key("query", item))
            st.form_submit_button(f"Search {provider}", on_click=_search, args=(rt, user, item))
        if found:
            _evidence_table(item.source, found, f"found_{item.decision_id}")
        with st.form(key("found_form", item), border=False):
            if found:
                names = labels([c.track for c in found])
                st.radio(
                    "Results",
                    [c.track.id for c in found],
                    index=None,  # nothing preselected: the curator picks one
                    format_func=lambda value: names.get(value, value),
                    key=key("found_choice", item),
                )
            st.text_input(
                f"…or paste a {provider} track link or id",
                key=key("manual_id", item),
                help="A share link (e.g. open.spotify.com/track/…, deezer.com/track/…, "
                "tidal.com/browse/track/…, youtu.be/…), a URI (spotify:track:…) or a bare id; "
                f"it is checked on {provider} before it is saved.",
            )
            st.form_submit_button("Use this track", on_click=_use_found, args=(rt, user, item))


def _notice() -> None:
    """The last outcome, in a box of fixed height (no layout jump under the mouse)."""
    outcome = st.session_state.pop("cf_review_notice", None)
    with st.container(height=NOTICE_HEIGHT, border=False, key="cf_review_notice_box"):
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


def _bulk_accept(rt: Runtime, user: CurrentUser) -> None:
    planned = st.session_state.pop("cf_review_bulk_plan", None) or []
    try:
        made = review.accept_these(rt, user.id, [(d, t) for d, t, _ in planned])
    except CrossfadeError as exc:
        _remember(exc)
        return
    st.session_state["cf_review_bulk_last"] = made
    _remember(f"Accepted {len(made)} match(es). “Undo this bulk accept” reverts all of them.")


def _bulk_undo(rt: Runtime, user: CurrentUser) -> None:
    made = st.session_state.pop("cf_review_bulk_last", None) or []
    try:
        count = review.undo_many(rt, user.id, [int(d) for d in made])
    except CrossfadeError as exc:
        _remember(exc)
        return
    _remember(f"Undone: the bulk accept of {count} match(es); they are back in the queue.")


def bulk_actions(rt: Runtime, user: CurrentUser) -> None:
    """Preview what a bulk accept would take, accept it after one confirmation,
    undo it as one step. Keys ``cf_review_bulk_score`` / ``_margin`` (thresholds),
    ``cf_review_bulk_plan`` (the previewed choices), ``cf_review_bulk_last``."""
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
            go = st.form_submit_button("Show what would be accepted")
        if go:
            with _ui.guarded():
                items = review.preview_confident(
                    rt,
                    user.id,
                    min_score=min_score,
                    min_margin=margin,
                    config=config,
                    provider=st.session_state.get("cf_review_provider") or None,
                )
                st.session_state["cf_review_bulk_plan"] = [
                    (
                        i.decision_id,
                        i.candidates[0].track.id,
                        f"{track_name(i.source)} → {track_name(i.candidates[0].track)}"
                        f" ({i.candidates[0].score or 0:.2f})",
                    )
                    for i in items
                ]
        planned = st.session_state.get("cf_review_bulk_plan")
        if planned is not None:
            if not planned:
                st.info("No pending match is that confident.")
            else:
                st.table(
                    [{"will accept": label} for _, _, label in planned[:50]],
                    border="horizontal",
                )
                if len(planned) > 50:
                    st.caption(f"…and {len(planned) - 50:,} more.")
                st.button(
                    f"Accept these {len(planned):,} match(es)",
                    type="primary",
                    key="cf_review_bulk_go",
                    on_click=_bulk_accept,
                    args=(rt, user),
                )
        if st.session_state.get("cf_review_bulk_last"):
            st.button(
                f"Undo this bulk accept ({len(st.session_state['cf_review_bulk_last']):,})",
                key="cf_review_bulk_undo",
                on_click=_bulk_undo,
                args=(rt, user),
            )


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
