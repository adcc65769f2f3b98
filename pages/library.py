"""Library: playlists and snapshots as tables with search and filters, and
charts of the library (size over time, overlap between providers, decades,
match outcomes).

Session-state keys: ``cf_lib_search``, ``cf_lib_source``, ``cf_lib_provider``
(filters), ``cf_lib_playlist`` (the playlist opened), ``cf_lib_page`` (its page).
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from engine.app_support import library
from engine.app_support.people import CurrentUser
from engine.providers import PROVIDERS
from engine.runtime import Runtime
from pages import _ui

PAGE_SIZE = 100


def _chart(frame: pl.DataFrame, title: str, chart: alt.Chart) -> None:
    st.markdown(f"##### {title}")
    if not frame.height:
        st.caption("Nothing to show yet.")
        return
    st.altair_chart(chart.properties(height=240), width="stretch")


def charts(rt: Runtime, user: CurrentUser) -> None:
    size = library.library_size_over_time(rt, user.id)
    overlap = library.provider_overlap(rt, user.id)
    decades = library.tracks_by_decade(rt, user.id)
    tiers = library.match_tiers(rt, user.id)
    top = st.columns(2)
    with top[0]:
        _chart(
            size,
            "Library size over time",
            alt.Chart(size)
            .mark_area(line=True, point=True, opacity=0.4)
            .encode(x=alt.X("day:T", title="day"), y=alt.Y("tracks:Q", title="tracks")),
        )
    with top[1]:
        _chart(
            overlap,
            "Where your tracks are known",
            alt.Chart(overlap)
            .mark_bar()
            .encode(
                x=alt.X("tracks:Q"),
                y=alt.Y("providers:N", sort="-x", title=None),
                tooltip=["providers", "tracks"],
            ),
        )
    bottom = st.columns(2)
    with bottom[0]:
        _chart(
            decades,
            "Tracks by decade",
            alt.Chart(decades).mark_bar().encode(x=alt.X("decade:N", sort=None), y="tracks:Q"),
        )
    with bottom[1]:
        _chart(
            tiers,
            "Match outcomes by target provider",
            alt.Chart(tiers)
            .mark_bar()
            .encode(
                x=alt.X("decisions:Q", stack="zero"),
                y=alt.Y("provider:N", title=None),
                color=alt.Color("outcome:N", legend=alt.Legend(orient="bottom")),
                tooltip=["provider", "outcome", "decisions"],
            ),
        )


def playlists(rt: Runtime, user: CurrentUser) -> None:
    filters = st.columns([2, 1, 1])
    search = filters[0].text_input("Search playlists", key="cf_lib_search", placeholder="name…")
    source = filters[1].selectbox(
        "Source", [None, "provider", "file"], key="cf_lib_source", format_func=lambda s: s or "any"
    )
    provider = filters[2].selectbox(
        "Provider",
        [None, *sorted(PROVIDERS)],
        key="cf_lib_provider",
        format_func=lambda p: p or "any",
    )
    table = library.playlists_table(rt, user.id, search=search, source=source, provider=provider)
    st.caption(f"{table.height} playlist(s)")
    st.dataframe(table, hide_index=True, width="stretch", key="cf_lib_table")
    if not table.height:
        st.info("No playlists yet: pull one from a provider (Transfer) or import a file (Files).")
        return
    names = dict(zip(table["id"].to_list(), table["name"].to_list(), strict=True))
    chosen = st.selectbox(
        "Open a playlist",
        list(names),
        format_func=lambda i: f"{names[i]} (#{i})",
        key="cf_lib_playlist",
    )
    if chosen is None:
        return
    tracks_tab, snapshots_tab = st.tabs(["Tracks", "Snapshots"])
    with tracks_tab:
        total_pages = max(1, -(-int(table.filter(pl.col("id") == chosen)["items"][0]) // PAGE_SIZE))
        page = st.number_input("Page", 1, total_pages, 1, key="cf_lib_page")
        frame, total = library.playlist_tracks(
            rt, user.id, chosen, offset=(int(page) - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        st.caption(f"{total} track(s) as the playlist shows them (curator overrides applied)")
        st.dataframe(frame, hide_index=True, width="stretch")
    with snapshots_tab:
        st.dataframe(library.snapshots_table(rt, user.id, chosen), hide_index=True, width="stretch")


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Library")
    with _ui.guarded():
        charts(rt, user)
    st.divider()
    with _ui.guarded():
        playlists(rt, user)


main()
