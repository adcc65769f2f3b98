"""engine.diff: added / removed / moved with positions, duplicates, cross-provider."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.diff import diff_playlists
from engine.frame import tracks_frame


def frame(titles: str | list[str], provider: str | None = None) -> pl.DataFrame:
    return tracks_frame(
        [
            {
                "title": t,
                "artists": ["Artist"],
                "provider": provider,
                "provider_id": f"{provider}-{t}" if provider else None,
            }
            for t in titles
        ]
    )


def test_added_removed_moved_with_positions() -> None:
    d = diff_playlists(frame("ABCDE"), frame("AEBCF"))
    assert d.added.select("title", "position").rows() == [("F", 4)]
    assert d.removed.select("title", "position").rows() == [("D", 3)]
    assert d.moved.select("title", "old_position", "new_position").rows() == [("E", 4, 1)]
    assert d.summary() == {"added": 1, "removed": 1, "moved": 1, "kept": 4}


def test_insertion_at_top_moves_nothing_and_equal_is_unchanged() -> None:
    d = diff_playlists(frame("ABC"), frame("XABC"))
    assert d.moved.is_empty() and d.added["title"].to_list() == ["X"]
    assert diff_playlists(frame("ABC"), frame("ABC")).unchanged


def test_duplicates_are_diffed_per_occurrence() -> None:
    d = diff_playlists(frame("ABA"), frame("AB"))
    assert d.removed.select("title", "position").rows() == [("A", 2)]
    d2 = diff_playlists(frame("AB"), frame("ABAA"))
    assert d2.added.select("title", "position").rows() == [("A", 2), ("A", 3)]


def test_same_provider_uses_ids_other_provider_uses_content() -> None:
    old = frame("AB", provider="spotify")
    renamed = old.with_columns(title=pl.Series(["A (Remastered)", "B"]))
    assert diff_playlists(old, renamed).unchanged  # ids equal: same items
    other = frame("BA", provider="deezer")
    d = diff_playlists(old, other)
    assert d.added.is_empty() and d.removed.is_empty()
    assert d.moved.height == 1


def test_isrc_identity() -> None:
    old = tracks_frame([{"title": "a", "isrc": "USAAA0000001"}, {"title": "b", "isrc": "x2"}])
    new = tracks_frame([{"title": "A!", "isrc": "usaaa0000001"}])
    d = diff_playlists(old, new, by="isrc")
    assert d.removed["title"].to_list() == ["b"] and d.added.is_empty()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("ABCDEFG"), max_size=12),
    st.lists(st.sampled_from("ABCDEFG"), max_size=12),
)
def test_applying_the_diff_rebuilds_the_new_playlist(old: list[str], new: list[str]) -> None:
    d = diff_playlists(frame(old), frame(new))
    kept_titles = set(zip(d.kept["title"], d.kept["new_position"], strict=True))
    rebuilt = sorted(
        [*kept_titles, *zip(d.added["title"], d.added["position"], strict=True)],
        key=lambda pair: pair[1],
    )
    assert [t for t, _ in rebuilt] == new
    assert d.kept.height + d.removed.height == len(old)
    # the items not moved keep their relative order
    stay = d.kept.join(d.moved.select("old_position"), on="old_position", how="anti")
    assert stay["new_position"].to_list() == sorted(stay["new_position"].to_list())
