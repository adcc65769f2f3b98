"""``get_track``: one catalogue track by id with one request, against the
sandbox; an unknown id is an empty frame (the review page's paste box)."""

from __future__ import annotations

import pytest
from provider_world import World

from engine.providers import PROVIDERS

UNKNOWN = {
    "spotify": "0000000000000000000000",
    "deezer": "1",
    "tidal": "1",
    "youtube": "AAAAAAAAAAA",
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_get_track_finds_one_track_with_one_request(world: World, name: str) -> None:
    [track_id] = world.ids(name, 1, start=42)
    client = world.client(name)
    client.current_user()  # TIDAL reads the user's country once per client
    before = len(world.sent(name))
    frame = client.get_track(track_id)
    assert len(world.sent(name)) - before == 1
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert row["provider_id"] == track_id and row["provider"] == name
    assert row["title"] == "Song number 042"
    assert row["artists"] == ["Artist 6"]
    assert row["duration_ms"]


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_get_track_of_an_unknown_id_is_empty(world: World, name: str) -> None:
    assert world.client(name).get_track(UNKNOWN[name]).height == 0
