"""Every format reads back what it wrote, losing only what it cannot carry.

The losses per format are documented in docs/formats.md; each ``carried_*``
function below states them as code: it maps a frame to what the format keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from formats_helpers import rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.formats as formats
from engine.frame import tracks_frame

Row = dict[str, Any]

# Text a user would type: letters (incl. accents), digits, inner spaces and a little
# punctuation; stripped and non-empty (every non-PIF format trims and drops blanks).
_word = st.text(
    st.characters(categories=("L", "N"), exclude_characters="ªº") | st.sampled_from("'.!?&()"),
    min_size=1,
    max_size=8,
)
_text = st.lists(_word, min_size=1, max_size=3).map(" ".join)
_isrc = st.from_regex(r"\A[A-Z]{2}[A-Z0-9]{3}[0-9]{7}\Z")
_spotify_id = st.from_regex(r"\A[A-Za-z0-9]{22}\Z")


@st.composite
def _tracks(draw: st.DrawFn) -> list[Row]:
    count = draw(st.integers(0, 5))
    out = []
    for index in range(count):
        spotify = draw(st.booleans())
        provider_id = draw(_spotify_id) if spotify else None
        out.append(
            {
                "id": str(index),
                "position": index,
                "title": draw(_text),
                "artists": draw(st.lists(_text, min_size=1, max_size=3)),
                "album": draw(st.none() | _text),
                "duration_ms": draw(st.none() | st.integers(1, 3_600_000)),
                "isrc": draw(st.none() | _isrc),
                "explicit": draw(st.none() | st.booleans()),
                "release_date": draw(st.none() | st.dates().map(str)),
                "provider": "spotify" if spotify else "file",
                "provider_id": provider_id,
                "url": f"https://open.spotify.com/track/{provider_id}"
                if spotify
                else f"Music/{draw(_word)}.mp3",
                "playlist": "Mix",
                "extras": draw(
                    st.dictionaries(st.sampled_from(["mood", "bpm"]), _text, max_size=2)
                ),
            }
        )
    return out


def carried_csv(row: Row) -> Row:
    return row  # everything canonical; extras as extra columns


def carried_xspf(row: Row) -> Row:
    return row  # Crossfade's meta element carries what XSPF has no field for


def carried_jspf(row: Row) -> Row:
    return row  # likewise, through the https://crossfade.dev/ns/jspf#track extension


def carried_m3u(row: Row) -> Row:
    duration = row["duration_ms"]
    return {
        **row,
        "duration_ms": None if duration is None else round(duration / 1000) * 1000,
        "isrc": None,
        "explicit": None,
        "release_date": None,
        "extras": {},
    }


def carried_exportify(row: Row) -> Row:
    spotify = row["provider"] == "spotify"
    return {
        **row,
        "url": f"spotify:track:{row['provider_id']}" if spotify else row["url"],
        "provider": "spotify" if spotify else None,
        "playlist": None,
    }


def carried_spotify(row: Row) -> Row:
    spotify = row["provider"] == "spotify"
    return {
        **row,
        "artists": row["artists"][:1],
        "duration_ms": None,
        "isrc": None,
        "explicit": None,
        "release_date": None,
        "url": f"spotify:track:{row['provider_id']}" if spotify else row["url"],
        "provider": "spotify" if spotify else None,
        "extras": {},
    }


CARRIED: dict[str, tuple[str, Callable[[Row], Row]]] = {
    "csv": ("mix.csv", carried_csv),
    "xspf": ("mix.xspf", carried_xspf),
    "jspf": ("mix.jspf", carried_jspf),
    "m3u": ("mix.m3u8", carried_m3u),
    "exportify": ("mix.exportify.csv", carried_exportify),
    "spotify": ("Playlist1.json", carried_spotify),
}


@pytest.mark.parametrize("fmt", sorted(CARRIED))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tracks=_tracks())
def test_format_keeps_what_it_can_carry(fmt: str, tracks: list[Row], tmp_path: Path) -> None:
    name, carried = CARRIED[fmt]
    path = tmp_path / name
    formats.write(tracks_frame(tracks), path, fmt, raw=True)  # a round-trip: cells as they are
    back = formats.read(path, fmt)
    assert rows(back) == [carried(row) for row in rows(tracks_frame(tracks))]


_wild_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_wild_track = st.fixed_dictionaries(
    {
        # a row with nothing in it is not a track (CSV readers skip empty rows)
        "title": _wild_text.filter(lambda t: any(c.isalnum() for c in t)),
        "artists": st.lists(_wild_text, max_size=3),
        "album": st.none() | _wild_text,
        "duration_ms": st.none() | st.integers(0, 86_400_000),
        "url": st.none() | _wild_text,
        "extras": st.dictionaries(_wild_text, _wild_text, max_size=2),
    }
)


@pytest.mark.parametrize("fmt", formats.writable_formats())
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tracks=st.lists(_wild_track, min_size=1, max_size=4))
def test_no_track_is_lost_whatever_the_text(fmt: str, tracks: list[Row], tmp_path: Path) -> None:
    path = tmp_path / f"wild{formats.FORMATS[fmt].extensions[0]}"
    formats.write(tracks_frame(tracks), path)
    assert formats.read(path).height == len(tracks)
