"""The column versions of the cell normalisations agree with the one-cell versions
on any text (the fast CSV readers use the former, everything else the latter)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.formats import _vector as vector
from engine.formats._common import (
    normalize_isrc,
    parse_bool,
    parse_track_link,
    split_artists,
)
from engine.formats.durations import UNKNOWN_MARKERS, parse_duration

_pieces = st.sampled_from(
    [
        "Daft Punk", "Earth, Wind & Fire", "earth, wind & fire", "Tyler, The Creator",
        "Crosby, Stills, Nash & Young", "Simon & Garfunkel", "AC/DC", "Björk", ", ", ",",
        " feat. ", " ft ", " featuring ", " with ", "; ", "|", " ", "  ", "x", "",
    ]
)  # fmt: skip
_cells = (
    st.none()
    | st.lists(_pieces, max_size=6).map("".join)
    | st.text(max_size=12)
    | st.lists(_pieces | st.sampled_from(["\x1e", "\x1f"]), max_size=4).map("".join)
)


def _column(values: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"v": pl.Series(values, dtype=pl.Utf8)})


@settings(max_examples=150, deadline=None)
@given(st.lists(_cells, min_size=1, max_size=20))
def test_split_artists_column_matches_cells(values: list[str | None]) -> None:
    got = vector.split_artists(pl.Series(values, dtype=pl.Utf8)).to_list()
    assert got == [split_artists(v) for v in values]


_durations = st.sampled_from(
    ["3:36", "216000", "216", "0:59.5", "1:02:03", "3:99", "3m 36sec", "1h 2m", "3.6",
     "unk.", "?", "-", "n/a", "", " 42 ", "-5", "abc", "99999999999999999999", "4:5"]
) | st.text(alphabet="0123456789:.,hms -", max_size=8)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.none() | _durations, min_size=1, max_size=20), st.sampled_from([None, "ms", "s"])
)
def test_durations_column_matches_cells(values: list[str | None], unit: str | None) -> None:
    ms, invalid = vector.durations(pl.Series(values, dtype=pl.Utf8), unit)
    expected = [vector.bounded(parse_duration(v, unit=unit)) for v in values]
    assert ms.to_list() == expected
    bad = [
        v.strip() if e is None and v is not None and v.strip().lower() not in UNKNOWN_MARKERS
        else None
        for v, e in zip(values, expected, strict=True)
    ]  # fmt: skip
    assert invalid.to_list() == bad


_links = st.sampled_from(
    [
        "spotify:track:4uLU6hMCjMI75M1A2tKUQC", "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=x",
        "https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC", "HTTPS://OPEN.SPOTIFY.COM/track/4uLU6hMCjMI75M1A2tKUQC",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQCx", "https://www.deezer.com/fr/track/3135556",
        "https://tidal.com/browse/track/77646169", "https://youtu.be/dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=x", "http://[", "song.mp3",
        " spotify:track:4uLU6hMCjMI75M1A2tKUQC ",
        "https://open.spotify.com.evil.com/track/4uLU6hMCjMI75M1A2tKUQC", "",
    ]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(st.none() | _links, min_size=1, max_size=12))
def test_track_links_column_matches_cells(values: list[str | None]) -> None:
    provider, provider_id = vector.track_links(pl.Series(values, dtype=pl.Utf8))
    expected = [parse_track_link(v) for v in values]
    got = [None if p is None else (p, i) for p, i in zip(provider, provider_id, strict=True)]
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(_cells | st.sampled_from(["usrc17607839", "US-RC1-76-07839", " yes ", "E", "0"])))
def test_isrc_and_explicit_columns_match_cells(values: list[str | None]) -> None:
    frame = _column(values)
    isrc, invalid = vector.isrc(frame["v"])
    got = frame.select(isrc=isrc, invalid=invalid, explicit=vector.explicit(pl.col("v")))
    assert got["isrc"].to_list() == [normalize_isrc(v) for v in values]
    assert got["explicit"].to_list() == [parse_bool(v) for v in values]
    kept = [v.strip() if v and v.strip() and normalize_isrc(v) is None else None for v in values]
    assert got["invalid"].to_list() == kept
