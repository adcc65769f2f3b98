"""Golden tests: recorded real responses -> canonical track frame.

The recordings under tests/fixtures/providers/recorded/ come from the
providers themselves (see NOTE.md there); every assertion below names values
read from those files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from engine.batching import chunks
from engine.errors import (
    AuthError,
    NeedsReconnectError,
    NotFoundError,
    PlaylistFullError,
    ProviderError,
    QuotaExceededError,
)
from engine.frame import TRACK_SCHEMA, extras_dict
from engine.http.types import Retryable
from engine.providers import deezer, spotify, tidal, youtube
from engine.providers._common import iso_duration_ms, json_body

RECORDED = Path(__file__).parents[1] / "fixtures" / "providers" / "recorded"


def load(provider: str, name: str) -> Any:
    return json.loads((RECORDED / provider / name).read_text(encoding="utf-8"))


def cassette_bodies(name: str) -> list[Any]:
    data = yaml.safe_load((RECORDED / "deezer" / name).read_text(encoding="utf-8"))
    return [json.loads(i["response"]["body"]["string"]) for i in data["interactions"]]


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://api.example/x")
    return httpx.Response(status, json=body, headers=headers, request=request)


# -- spotify ---------------------------------------------------------------------------


def test_spotify_playlist_items_earlier_form_maps_every_track() -> None:
    page = load("spotify", "GetPlaylistsItemsRequest.json")
    rows = spotify.playlist_entry_rows(page)
    # The recording's second entry carries no track object at all: skipped.
    assert len(rows) == sum(1 for e in page["items"] if e.get("track")) == 1
    first = page["items"][0]["track"]
    assert rows[0]["provider_id"] == first["id"]
    assert rows[0]["title"] == first["name"]
    assert rows[0]["isrc"] == first["external_ids"]["isrc"]
    assert rows[0]["artists"] == [a["name"] for a in first["artists"]]
    assert rows[0]["duration_ms"] == first["duration_ms"]
    assert rows[0]["extras"]["added_at"] == page["items"][0]["added_at"]
    assert rows[0]["extras"]["uri"] == first["uri"]


def test_spotify_2026_item_field_reads_the_same() -> None:
    page = load("spotify", "GetPlaylistsItemsRequest.json")
    renamed = {
        **page,
        "items": [
            {("item" if k == "track" else k): v for k, v in e.items()} for e in page["items"]
        ],
    }
    assert spotify.playlist_entry_rows(renamed) == spotify.playlist_entry_rows(
        load("spotify", "GetPlaylistsItemsRequest.json")
    )


def test_spotify_skips_null_and_episode_entries_but_keeps_positions() -> None:
    page = load("spotify", "GetPlaylistsItemsRequest.json")
    track = page["items"][0]["track"]
    page["items"] = [{"track": None}, {"item": {**track, "type": "episode"}}, {"item": track}]
    rows = spotify.playlist_entry_rows(page, start=100)
    assert [r["position"] for r in rows] == [102]


def test_spotify_search_results_to_frame() -> None:
    body = load("spotify", "SearchTracksRequest.json")
    items = body["tracks"]["items"]
    from engine.frame import tracks_frame

    frame = tracks_frame([spotify.track_row(t) for t in items])
    assert frame.schema == TRACK_SCHEMA
    assert frame.height == len(items)
    assert frame["provider"].unique().to_list() == ["spotify"]
    assert frame["isrc"].null_count() == sum(1 for t in items if not t["external_ids"].get("isrc"))
    assert frame["url"][0] == items[0]["external_urls"]["spotify"]


def test_spotify_full_playlist_error_is_mapped() -> None:
    body = {"error": {"status": 400, "message": "Playlist size limit reached"}}
    with pytest.raises(PlaylistFullError):
        spotify.check_response(response(400, body))
    spotify.check_response(response(404, {"error": {"status": 404, "message": "x"}}))
    spotify.check_response(response(200, {}))


# -- deezer ----------------------------------------------------------------------------


def test_deezer_playlist_tracks_page() -> None:
    page = cassette_bodies("TestPlaylist.test_get_tracks.yaml")[0]
    rows = [deezer.track_row(t) for t in page["data"]]
    first = page["data"][0]
    assert rows[0]["provider_id"] == str(first["id"]) == "685405"
    assert rows[0]["title"] == "Otherwise"
    assert rows[0]["artists"] == ["Morcheeba"]
    assert rows[0]["album"] == "Charango"
    assert rows[0]["duration_ms"] == 222_000
    assert rows[0]["explicit"] is False
    assert page["next"].endswith("index=25")


def test_deezer_full_track_uses_contributors_and_isrc() -> None:
    track = load("deezer", "harmony-track-2947516331.json")
    row = deezer.track_row(track)
    assert row["isrc"] == track["isrc"]
    assert row["artists"] == [c["name"] for c in track["contributors"]]
    assert row["release_date"] == track["release_date"]
    single = cassette_bodies("TestClient.test_get_track.yaml")[0]
    assert deezer.track_row(single)["title"] == "Harder Better Faster Stronger"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"error": {"type": "OAuthException", "message": "x", "code": 200}}, AuthError),
        ({"error": {"type": "Exception", "message": "too many", "code": 100}}, PlaylistFullError),
        ({"error": {"type": "ParameterException", "message": "x", "code": 500}}, ProviderError),
    ],
)
def test_deezer_in_body_errors(body: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        deezer.check_response(response(200, body))


def test_deezer_recorded_errors() -> None:
    with pytest.raises(Retryable) as retry:
        deezer.check_response(response(200, load("deezer", "quota_exceeded_code4.json")))
    assert retry.value.retry_after == deezer.QUOTA_RETRY_AFTER_S
    with pytest.raises(NeedsReconnectError):
        deezer.check_response(response(200, load("deezer", "oauth_exception_code300_shape.json")))
    body = cassette_bodies("TestClient.test_no_track_raise.yaml")[0]
    with pytest.raises(NotFoundError):
        deezer.check_response(response(200, body))
    # HTTP 404 {"error": "Not Found"} is the stack's to map; the hook lets it through.
    deezer.check_response(response(404, cassette_bodies("TestClient.test_request_404.yaml")[0]))
    deezer.check_response(response(200, cassette_bodies("TestUser.test_get_playlists.yaml")[0]))


# -- tidal -----------------------------------------------------------------------------


def test_tidal_relationship_page_resolves_included_tracks_and_artists() -> None:
    doc = load("tidal", "album-items-page1.json")
    rows = tidal.relationship_rows(doc)
    assert len(rows) == len(doc["data"])
    assert rows[0]["provider_id"] == "396698939"
    assert rows[0]["title"] == "HUM"
    assert rows[0]["isrc"] == "AUNMG2400031"
    assert rows[0]["duration_ms"] == 159_000  # PT2M39S
    assert rows[0]["artists"] == ["Air Max '97"]
    assert rows[0]["url"] == "https://tidal.com/browse/track/396698939"
    assert doc["links"]["next"].startswith("/albums/396698918/relationships/items")
    last = load("tidal", "album-items-page2.json")
    assert "next" not in last["links"]
    assert tidal.relationship_rows(last, start=len(rows))[0]["position"] == len(rows)


def test_tidal_idempotency_conflict_is_retryable() -> None:
    body = {
        "errors": [
            {"status": "409", "detail": "Request already in progress for this idempotency key"}
        ]
    }
    with pytest.raises(Retryable):
        tidal.check_response(response(409, body))
    tidal.check_response(response(404, {"errors": [{"status": "404", "detail": "nope"}]}))
    refused = {
        "errors": [
            {
                "status": "400",
                "detail": "Invalid include path: items.albums",
                "source": {"parameter": "include"},
            }
        ]
    }
    with pytest.raises(ProviderError) as caught:
        tidal.check_response(response(400, refused))
    assert caught.value.kind == tidal.INCLUDE_REFUSED
    tidal.check_response(response(400, {"errors": [{"status": "400", "detail": "bad filter"}]}))


# -- youtube ---------------------------------------------------------------------------


def test_youtube_playlist_items_and_durations() -> None:
    page = load("youtube", "playlist_items_paged_1.json")
    entry = page["items"][0]
    video_id = entry["snippet"]["resourceId"]["videoId"]
    row = youtube.video_row(video_id, entry["snippet"], item_id=entry["id"])
    assert row["provider_id"] == video_id == "CvTApw9X8aA"
    assert row["title"].startswith("Welcome from Google Developers")
    assert row["isrc"] is None
    assert row["extras"]["item_id"] == entry["id"]
    videos = load("youtube", "videos_info_multi.json")["items"]
    rows = [youtube.video_row(v["id"], v["snippet"]) for v in videos]
    assert [r["provider_id"] for r in rows] == ["D-lhorsDlUQ", videos[1]["id"]]
    assert rows[0]["artists"] == ["Google Developers"]
    assert rows[0]["release_date"] == "2019-03-21"


def test_youtube_topic_channel_gives_the_artist() -> None:
    row = youtube.video_row("x", {"title": "Song", "videoOwnerChannelTitle": "Air - Topic"})
    assert row["artists"] == ["Air"]
    row = youtube.video_row("x", {"title": "air - La femme d'argent", "channelTitle": "Air"})
    assert row["title"] == "La femme d'argent"
    assert row["extras"]["video_title"] == "air - La femme d'argent"


def test_youtube_errors() -> None:
    with pytest.raises(QuotaExceededError):
        youtube.check_response(response(403, load("youtube", "403_quotaExceeded.json")))
    youtube.check_response(response(403, load("youtube", "error_permission_resp.json")))
    full = {
        "error": {
            "code": 403,
            "message": "full",
            "errors": [{"reason": "playlistContainsMaximumNumberOfVideos"}],
        }
    }
    with pytest.raises(PlaylistFullError):
        youtube.check_response(response(403, full))


# -- helpers ---------------------------------------------------------------------------


def test_bodies_that_are_not_json_are_none() -> None:
    request = httpx.Request("GET", "https://api.example/x")
    assert json_body(httpx.Response(200, content=b"", request=request)) is None
    assert json_body(httpx.Response(502, text="<html>Bad gateway</html>", request=request)) is None
    deezer.check_response(httpx.Response(503, text="<html>busy</html>", request=request))
    spotify.check_response(httpx.Response(429, content=b"", request=request))
    youtube.check_response(httpx.Response(500, text="oops", request=request))
    tidal.check_response(httpx.Response(500, text="oops", request=request))


def test_iso_durations_and_chunks() -> None:
    assert iso_duration_ms("PT2M39S") == 159_000
    assert iso_duration_ms("PT1H") == 3_600_000
    assert iso_duration_ms("P1DT1S") == 86_401_000
    assert iso_duration_ms("bogus") is None
    assert iso_duration_ms(None) is None
    assert list(chunks(list(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError):
        list(chunks([1], 0))


def test_extras_survive_the_frame() -> None:
    from engine.frame import tracks_frame

    page = load("spotify", "GetPlaylistsItemsRequest.json")
    frame = tracks_frame(spotify.playlist_entry_rows(page))
    assert extras_dict(frame["extras"].to_list()[0])["uri"].startswith("spotify:track:")
