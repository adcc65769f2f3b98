"""Every request each client can send is one the provider's documents allow.

Each client runs every operation of the interface against the sandbox through
a recording transport; each recorded request is then checked against the
document excerpts (OpenAPI for Spotify and TIDAL, the discovery document for
YouTube, the reference tables for Deezer).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from provider_conformance import (
    Sent,
    check_deezer,
    check_discovery,
    check_openapi,
    discovery_method,
)
from provider_world import World, catalog_records, make_world

from engine.providers import PROVIDERS
from engine.providers.youtube import METHOD_COSTS
from engine.sandbox.oauth import DEFAULT_USER


def exercise(world: World, name: str, **options: object) -> None:
    """Call every operation of the Provider interface once."""
    client = world.client(name, **options)
    client.current_user()
    ids = world.ids(name, 8)
    world.sandbox.seed_library(name, DEFAULT_USER, liked=ids[:3])
    world.sandbox.seed_playlist(
        name, "someone-else", "Theirs", ids[:2], public=True, followers=[DEFAULT_USER]
    )
    client.playlists()
    client.liked_tracks()
    client.saved_albums()
    client.lookup_isrcs([r["isrc"] for r in catalog_records(3)])
    client.search_tracks("Song number 003", limit=3)
    playlist = client.create_playlist("Conformance", "every call once", public=False)
    client.add_items(playlist.id, ids)
    client.playlist_items(playlist.id)
    client.reorder(playlist.id, 0, 5, 2)
    client.reorder(playlist.id, 6, 8, 2)  # to the end
    client.remove_items(playlist.id, ids[:2])


def problems_of(world: World, name: str, doc: str) -> list[str]:
    base = world.base_url(name)
    sent = world.sent(name)
    assert sent, "the client sent nothing"
    found: list[str] = []
    for request in sent:
        if name == "deezer":
            found += check_deezer(base, request)
        elif name == "youtube":
            found += check_discovery(base, request)
        else:
            found += check_openapi(doc, base, request)
    return found


@pytest.mark.parametrize(
    ("name", "doc", "options"),
    [
        ("spotify", "spotify-2026", {}),
        ("spotify", "spotify-pre-2026", {"api_form": "pre-2026"}),
        ("deezer", "deezer", {}),
        ("tidal", "tidal", {}),
        ("youtube", "youtube", {}),
    ],
)
def test_every_request_is_documented(
    world: World, name: str, doc: str, options: dict[str, object]
) -> None:
    exercise(world, name, **options)
    assert problems_of(world, name, doc) == []


def test_every_provider_is_exercised() -> None:
    assert set(PROVIDERS) == {"spotify", "deezer", "tidal", "youtube"}


def test_spotify_2026_client_uses_no_deprecated_operation(world: World) -> None:
    exercise(world, "spotify")
    paths = {s.url.path for s in world.sent("spotify")}
    assert not any(p.endswith("/tracks") and "/playlists/" in p for p in paths)
    assert any(p.endswith("/items") for p in paths)


def test_tidal_writes_carry_idempotency_keys_and_media_type(world: World) -> None:
    exercise(world, "tidal")
    writes = [s for s in world.sent("tidal") if s.method != "GET"]
    assert {s.method for s in writes} == {"POST", "PATCH", "DELETE"}
    keys = [s.headers.get("idempotency-key") for s in writes]
    assert all(keys) and len(set(keys)) == len(keys)
    assert {s.headers["content-type"] for s in writes} == {"application/vnd.api+json"}
    assert all(s.headers["accept"] == "application/vnd.api+json" for s in world.sent("tidal"))


def test_deezer_token_rides_in_the_query_string(world: World) -> None:
    exercise(world, "deezer")
    assert all(s.url.params.get("access_token") for s in world.sent("deezer"))
    assert not any("authorization" in s.headers for s in world.sent("deezer"))


def test_youtube_client_counts_every_unit_it_sends(world: World) -> None:
    exercise(world, "youtube")
    base = world.base_url("youtube")
    charged = sum(METHOD_COSTS[discovery_method(base, s) or ""] for s in world.sent("youtube"))
    client_count = world.sandbox.quota_used()
    assert charged == client_count


# -- the checker itself must catch bad requests ----------------------------------------


def _sent(method: str, url: str, body: object = None, **headers: str) -> Sent:
    return Sent(method, httpx.URL(url), httpx.Headers(headers), body)


SPOTIFY = "https://api.spotify.com/v1"


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (_sent("GET", f"{SPOTIFY}/me/playlists?limit=51"), "above the documented maximum"),
        (_sent("GET", f"{SPOTIFY}/search?q=x&type=track&limit=20"), "above the documented"),
        (_sent("GET", f"{SPOTIFY}/search?type=track"), "required query parameter 'q'"),
        (_sent("GET", f"{SPOTIFY}/me/playlists?page=2"), "'page' not documented"),
        (_sent("GET", f"{SPOTIFY}/playlists/x/tracks"), "deprecated"),
        (_sent("PATCH", f"{SPOTIFY}/me"), "method not documented"),
        (_sent("GET", f"{SPOTIFY}/nope"), "no such path"),
        (
            _sent(
                "POST",
                f"{SPOTIFY}/me/playlists",
                {"title": "x"},
                **{"content-type": "application/json"},
            ),
            "'title' is not documented",
        ),
    ],
)
def test_openapi_checker_catches(request_: Sent, problem: str) -> None:
    found = check_openapi("spotify-2026", SPOTIFY, request_)
    assert any(problem in p for p in found), found


def test_openapi_checker_catches_tidal_batch_over_the_limit() -> None:
    base = "https://openapi.tidal.com/v2"
    body = {"data": [{"id": str(i), "type": "tracks"} for i in range(51)]}
    request_ = _sent(
        "POST",
        f"{base}/playlists/p/relationships/items",
        body,
        **{"content-type": "application/json"},
    )
    found = check_openapi("tidal", base, request_)
    assert any("documented max 50" in p for p in found)
    assert any("content type" in p for p in found)


def test_discovery_and_deezer_checkers_catch() -> None:
    yt = "https://youtube.googleapis.com/youtube/v3"
    assert check_discovery(yt, _sent("GET", f"{yt}/playlistItems?maxResults=5")) == [
        "playlistItems.list: required parameter 'part' missing"
    ]
    assert check_discovery(yt, _sent("GET", f"{yt}/search?part=snippet&isrc=X"))
    assert check_discovery(yt, _sent("GET", f"{yt}/search?part=snippet&maxResults=51"))
    dz = "https://api.deezer.com"
    assert check_deezer(dz, _sent("GET", f"{dz}/track/isrc:GB123?access_token=t")) == []
    assert check_deezer(dz, _sent("GET", f"{dz}/playlist/1/tracks?offset=3"))
    assert check_deezer(dz, _sent("PUT", f"{dz}/playlist/1/tracks?songs=1"))
    assert check_deezer(dz, _sent("GET", f"{dz}/tracks/isrc"))


def test_excerpts_exist(tmp_path: Path) -> None:
    for world in make_world(tmp_path):
        assert world.base_url("spotify").endswith("/spotify/v1")


def test_openapi_checker_catches_undocumented_include_roots() -> None:
    base = "https://openapi.tidal.com/v2"
    ok = _sent("GET", f"{base}/playlists/p/relationships/items?include=items.artists,items")
    assert check_openapi("tidal", base, ok) == []
    bad = _sent("GET", f"{base}/playlists/p/relationships/items?include=owners.profile")
    assert any("'owners' is not one of" in p for p in check_openapi("tidal", base, bad))


def test_list_parameters_travel_as_the_documents_say() -> None:
    tidal = "https://openapi.tidal.com/v2"
    repeated = _sent("GET", f"{tidal}/tracks?filter[isrc]=A&filter[isrc]=B&include=albums,artists")
    assert check_openapi("tidal", tidal, repeated) == []  # include: comma list per the overview
    joined = _sent("GET", f"{tidal}/tracks?filter[isrc]=A,B")
    assert any("comma-joined" in p for p in check_openapi("tidal", tidal, joined))
    twice = _sent("GET", f"{tidal}/tracks?filter[isrc]=A&countryCode=GB&countryCode=US")
    assert any("'countryCode' is repeated" in p for p in check_openapi("tidal", tidal, twice))
    spotify = "https://api.spotify.com/v1"
    search = _sent("GET", f"{spotify}/search?q=isrc:A&type=track&type=album")
    assert any("'type' is repeated" in p for p in check_openapi("spotify-2026", spotify, search))
    youtube = "https://youtube.googleapis.com/youtube/v3"
    ids = _sent("GET", f"{youtube}/videos?part=contentDetails&id=a&id=b")
    assert check_discovery(youtube, ids) == []  # id is "repeated"
    joined_ids = _sent("GET", f"{youtube}/videos?part=snippet,contentDetails&id=a,b")
    assert [p for p in check_discovery(youtube, joined_ids) if "comma-joined" in p] == [
        "videos.list: id='a,b' is comma-joined; the document repeats the parameter for "
        "several values"
    ]  # part: its description says comma-separated
