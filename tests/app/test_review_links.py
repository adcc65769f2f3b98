"""The review paste box: share links, URIs and bare ids of the four providers
become that provider's track id; anything else is refused with the reason."""

from __future__ import annotations

import pytest

from engine.errors import UsageError
from engine.formats._links import pasted_track_id

SPOTIFY = "4uLU6hMCjMI75M1A2tKUQC"
VIDEO = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "provider,text,expected",
    [
        ("spotify", f"https://open.spotify.com/track/{SPOTIFY}?si=abc123", SPOTIFY),
        ("spotify", f"https://open.spotify.com/intl-de/track/{SPOTIFY}", SPOTIFY),
        ("spotify", f"open.spotify.com/track/{SPOTIFY}", SPOTIFY),
        ("spotify", f"spotify:track:{SPOTIFY}", SPOTIFY),
        ("spotify", f"  {SPOTIFY}  ", SPOTIFY),
        ("deezer", "https://www.deezer.com/track/3135556", "3135556"),
        ("deezer", "https://www.deezer.com/fr/track/3135556?utm_source=x", "3135556"),
        ("deezer", "deezer.com/en/track/3135556", "3135556"),
        ("deezer", "3135556", "3135556"),
        ("tidal", "https://tidal.com/browse/track/77646168", "77646168"),
        ("tidal", "https://tidal.com/track/77646168/u", "77646168"),
        ("tidal", "https://listen.tidal.com/track/77646168", "77646168"),
        ("tidal", "77646168", "77646168"),
        ("youtube", f"https://www.youtube.com/watch?v={VIDEO}&list=RD", VIDEO),
        ("youtube", f"https://youtu.be/{VIDEO}", VIDEO),
        ("youtube", f"https://music.youtube.com/watch?v={VIDEO}", VIDEO),
        ("youtube", f"youtube.com/watch?v={VIDEO}", VIDEO),
        ("youtube", VIDEO, VIDEO),
    ],
)
def test_links_uris_and_ids_become_ids(provider: str, text: str, expected: str) -> None:
    assert pasted_track_id(provider, text) == expected


@pytest.mark.parametrize(
    "provider,text,reason",
    [
        ("deezer", f"https://open.spotify.com/track/{SPOTIFY}", "that is a spotify track link"),
        ("spotify", "https://www.deezer.com/track/3135556", "that is a deezer track link"),
        ("spotify", "https://open.spotify.com/track/zzzz", "not a spotify track link"),
        ("spotify", "Real Friends — Rudderless (2:46) · score 0.78", "not a spotify track id"),
        ("deezer", "https://www.deezer.com/album/302127", "not a deezer track link"),
        ("youtube", "https://www.youtube.com/watch?v=short", "not a youtube track link"),
        ("tidal", "   ", "paste a track link or id first"),
    ],
)
def test_anything_else_is_refused_with_the_reason(provider: str, text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        pasted_track_id(provider, text)
