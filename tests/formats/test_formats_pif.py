"""PIF: schema validation with every problem at once, and lossless round trips."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from formats_helpers import FIXTURES, rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.formats as formats
from engine.errors import FormatError
from engine.formats import pif
from engine.frame import tracks_frame


def test_validate_reports_every_problem_with_its_pointer() -> None:
    problems = formats.validate(FIXTURES / "broken.pif.json")
    pointers = [p.pointer for p in problems]
    assert pointers == [
        "/pif",
        "/playlists/0/tracks/0/duration_ms",
        "/playlists/0/tracks/0/id",
        "/playlists/0/tracks/1/id",
        "/playlists/0/tracks/1/isrc",
        "/playlists/0/tracks/2",
        "/playlists/0/tracks/2",
        "/playlists/0/tracks/2/artists",
        "/playlists/0/tracks/3/explicit",
        "/playlists/0/tracks/3/ids",
        "/playlists/0/tracks/3/ids/Spotify",
        "/playlists/0/tracks/3/position",
    ]
    messages = " | ".join(p.message for p in problems)
    assert "unknown field 'titel'" in messages
    assert "duplicate track id 'a'" in messages


def test_reading_an_invalid_pif_names_file_pointer_and_count() -> None:
    with pytest.raises(FormatError) as caught:
        formats.read(FIXTURES / "broken.pif.json")
    message = str(caught.value)
    assert "broken.pif.json at /pif" in message
    assert "11 more" in message


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pif.json"
    bad.write_text('{"pif": "1.0",\n "playlists": [\n  {"tracks": [}\n]}', "utf-8")
    with pytest.raises(FormatError) as caught:
        formats.read(bad)
    assert caught.value.line == 3
    assert [p.line for p in formats.validate(bad)] == [3]


def test_multi_playlist_document_keeps_playlist_metadata(tmp_path: Path) -> None:
    source = FIXTURES / "two-playlists.pif.json"
    playlists = formats.read_playlists(source)
    assert [p.name for p in playlists] == ["Dinner Jazz", "Gym"]
    assert playlists[0].description == "Low-key, for cooking"
    assert playlists[0].extras["ids.spotify"] == "37i9dQZF1DX4wta20PHgwo"
    out = tmp_path / "out.pif.json"
    formats.write_playlists(playlists, out)
    original = json.loads(source.read_text("utf-8"))
    written = json.loads(out.read_text("utf-8"))
    # absent and null mean the same in PIF; the writer omits nulls except title
    for playlist in original["playlists"]:
        playlist["tracks"] = [
            {k: v for k, v in t.items() if v is not None or k == "title"}
            for t in playlist["tracks"]
        ]
    assert written["playlists"] == original["playlists"]


def test_provider_ids_lists_every_known_id() -> None:
    frame = formats.read(FIXTURES / "two-playlists.pif.json")
    ids = formats.provider_ids(frame).filter(pl.col("id") == "t1")
    assert dict(zip(ids["provider"], ids["provider_id"], strict=True)) == {
        "spotify": "4vLYewWIvqHfKtJDk8c8tq",
        "deezer": "1174603",
        "tidal": "35738024",
        "youtube": "ylXk1LBvIqU",
        "musicbrainz": "3b5e2f4d-6a47-4b0e-86b5-ff1f3a8a2f2e",
    }


def test_invalid_isrc_in_a_frame_is_kept_not_written_as_isrc(tmp_path: Path) -> None:
    frame = tracks_frame([{"title": "x", "isrc": "us-rc1-71-23456"}, {"title": "y", "isrc": "bad"}])
    formats.write(frame, tmp_path / "x.pif.json")
    back = rows(formats.read(tmp_path / "x.pif.json"))
    assert back[0]["isrc"] == "USRC17123456"
    assert back[1]["isrc"] is None
    assert back[1]["extras"] == {"invalid.isrc": "bad"}


# --- property: any canonical frame round-trips through PIF exactly ---------------

# NUL is never stored: readers remove it with a warning (tests/formats/test_formats_hostile.py)
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
_isrc = st.from_regex(r"\A[A-Z]{2}[A-Z0-9]{3}[0-9]{7}\Z")
# "ids." and "invalid." are reserved extras prefixes (docs/pif.md): provider ids,
# and values a reader kept but could not understand (which validate reports).
_key = st.text("abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=12).filter(
    lambda k: not k.startswith(("ids.", "invalid."))
)
_provider = st.sampled_from(["spotify", "deezer", "tidal", "youtube", "musicbrainz"])
_track = st.fixed_dictionaries(
    {
        "title": st.none() | _text,
        "artists": st.lists(_text, max_size=3),
        "album": st.none() | _text,
        "duration_ms": st.none() | st.integers(0, 86_400_000),
        "isrc": st.none() | _isrc,
        "explicit": st.none() | st.booleans(),
        "release_date": st.none() | _text,
        "provider": st.none() | _provider,
        "provider_id": st.none() | _text,
        "url": st.none() | _text,
        "extras": st.builds(
            lambda plain, ids: {**plain, **ids},
            st.dictionaries(_key, _text, max_size=3),
            st.dictionaries(_provider.map(lambda p: "ids." + p), _text.filter(bool), max_size=2),
        ),
    }
)
_playlist_name = st.none() | st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=10
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tracks=st.lists(_track, max_size=6), names=st.lists(_playlist_name, min_size=1, max_size=3))
def test_pif_round_trips_any_frame_exactly(tracks: list[dict], names: list, tmp_path: Path) -> None:
    records = [{**t, "playlist": names[i % len(names)]} for i, t in enumerate(tracks)]
    frame = tracks_frame(records)
    path = tmp_path / "prop.pif.json"
    formats.write(frame, path)
    assert formats.validate(path) == []
    back = formats.read(path)
    # rows come back grouped by playlist, in order of first appearance
    order = {name: n for n, name in enumerate(frame["playlist"].unique(maintain_order=True))}
    expected = sorted(rows(frame), key=lambda r: order[r["playlist"]])
    assert rows(back) == expected


def test_schema_is_package_data_and_versioned() -> None:
    assert pif.schema()["properties"]["pif"]["pattern"].startswith("^1")


@settings(max_examples=60, deadline=None)
@given(tracks=st.lists(_track, max_size=6))
def test_records_frame_matches_tracks_frame(tracks: list[dict]) -> None:
    from engine.formats._frame import records_frame

    records = [{**t, "position": None if i % 2 else i} for i, t in enumerate(tracks)]
    assert records_frame(records).equals(tracks_frame(records))
