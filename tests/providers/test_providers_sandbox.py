"""End to end: each client, built as in production, against the in-process sandbox."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from provider_world import World, catalog_records, make_world

from engine.errors import (
    AuthError,
    NeedsReconnectError,
    PlaylistFullError,
    ProviderError,
    QuotaExceededError,
    UsageError,
)
from engine.providers import PROVIDERS, provider_class
from engine.providers.youtube import METHOD_COSTS, YouTube
from engine.sandbox import Sandbox
from engine.sandbox.oauth import DEFAULT_USER
from engine.sandbox.state import SandboxConfig

ALL = sorted(PROVIDERS)
WITH_ISRC = [n for n in ALL if provider_class(n).capabilities.isrc_lookup != "none"]


def _writes(world: World, name: str, method: str, leaf: str) -> int:
    return sum(1 for s in world.sent(name) if s.method == method and s.url.path.endswith(leaf))


@pytest.mark.parametrize("name", ALL)
def test_current_user_is_the_token_owner(world: World, name: str) -> None:
    me = world.client(name).current_user()
    assert me.id
    assert world.client(name).current_user() == me
    other = world.client(name, user="another-user").current_user()
    assert other.id != me.id


@pytest.mark.parametrize("name", ALL)
def test_create_and_add_in_order_batched_to_the_maximum(world: World, name: str) -> None:
    client = world.client(name)
    batch = client.capabilities.add_batch_max
    count = 7 if batch == 1 else min(2 * batch + 3, 150)  # at least two batches
    ids = world.ids(name, count)
    playlist = client.create_playlist("Crossfade test", "made by a test")
    client.add_items(playlist.id, ids)
    assert world.sandbox.playlist_track_ids(name, playlist.id) == ids
    add_leaf = {"youtube": "/playlistItems"}.get(name, "tracks" if name == "deezer" else "items")
    assert _writes(world, name, "POST", add_leaf) == math.ceil(count / batch)
    frame = client.playlist_items(playlist.id)
    assert frame["provider_id"].to_list() == ids
    assert frame["position"].to_list() == list(range(count))
    assert frame["provider"].unique().to_list() == [name]
    assert frame["title"].null_count() == 0


@pytest.mark.parametrize("name", ALL)
def test_long_playlist_pages_are_all_read(world: World, name: str) -> None:
    ids = world.ids(name, 130)
    playlist_id = world.sandbox.seed_playlist(name, DEFAULT_USER, "Long one", ids)
    frame = world.client(name).playlist_items(playlist_id)
    assert frame["provider_id"].to_list() == ids
    if name != "youtube":
        assert frame["artists"].list.len().min() >= 1


@pytest.mark.parametrize("name", ALL)
def test_playlists_owned_and_followed(world: World, name: str) -> None:
    client = world.client(name)
    mine = client.create_playlist("Mine")
    if name == "youtube":  # YouTube lists the channel's own playlists only
        assert [p.id for p in client.playlists()] == [mine.id]
        return
    other = world.sandbox.seed_playlist(
        name, "someone-else", "Theirs", world.ids(name, 3), public=True, followers=[DEFAULT_USER]
    )
    found = {p.id: p for p in client.playlists()}
    assert found[mine.id].owned is True
    assert found[other].owned is False
    assert found[other].name == "Theirs"


@pytest.mark.parametrize("name", WITH_ISRC)
def test_isrc_lookup_batches_and_maps(world: World, name: str) -> None:
    client = world.client(name)
    client.current_user()  # country for catalogue calls is read once, not per batch
    records = catalog_records(45)
    isrcs = [r["isrc"] for r in records] + ["ZZZZZ0000000"]
    before = len(world.sent(name))
    frame = client.lookup_isrcs(isrcs)
    calls = len(world.sent(name)) - before
    assert set(frame["isrc"].to_list()) == {r["isrc"] for r in records}
    caps = client.capabilities
    assert calls == math.ceil(len(isrcs) / caps.isrc_batch_max)
    # A second lookup is served from the GET cache. Deezer answers a miss with an
    # error inside a 200, which is not cached, so only that one is asked again.
    client.lookup_isrcs(isrcs)
    misses_asked_again = 1 if name == "deezer" else 0
    assert len(world.sent(name)) - before == calls + misses_asked_again


def test_deezer_several_ids_for_one_recording_share_the_isrc(world: World) -> None:
    catalog = world.sandbox.catalog
    isrc = next(
        r["isrc"] for r in catalog_records() if len(catalog.by_isrc("deezer", r["isrc"])) > 1
    )
    first, other = (t.id_for("deezer") for t in catalog.by_isrc("deezer", isrc)[:2])
    client = world.client("deezer")
    looked_up = client.lookup_isrcs([isrc])
    assert looked_up["provider_id"].to_list() == [first]
    playlist_id = world.sandbox.seed_playlist("deezer", DEFAULT_USER, "Compilation", [other])
    items = client.playlist_items(playlist_id)
    assert items["provider_id"].to_list() == [other]
    assert items["isrc"].to_list() == [isrc]


def test_youtube_has_no_isrc_lookup_and_spends_nothing(world: World) -> None:
    client = world.client("youtube")
    assert client.lookup_isrcs(["GBXYZ2600001"]).is_empty()
    assert world.sent("youtube") == []
    assert client.quota_used() == 0


@pytest.mark.parametrize("name", ALL)
def test_text_search(world: World, name: str) -> None:
    frame = world.client(name).search_tracks("Song number 042", limit=5)
    assert 1 <= frame.height <= 5
    assert frame["title"][0] == "Song number 042"
    assert frame["artists"][0].to_list() == ["Artist 6"]
    with pytest.raises(UsageError):
        world.client(name).search_tracks("  ")


@pytest.mark.parametrize("name", ALL)
def test_search_many_answers_each_query_in_order(world: World, name: str) -> None:
    queries = ["Song number 042", "Song number 007", "Song number 113"]
    frames = world.client(name).search_many(queries, limit=2)
    assert [f["title"][0] for f in frames] == [q for q in queries]
    single = world.client(name).search_tracks(queries[1], limit=2)
    assert frames[1]["provider_id"].to_list() == single["provider_id"].to_list()
    assert frames[1]["duration_ms"].to_list() == single["duration_ms"].to_list()


def test_youtube_search_many_asks_durations_fifty_videos_at_a_time(world: World) -> None:
    client = world.client("youtube")
    queries = [f"Song number {i:03d}" for i in range(60)]
    frames = client.search_many(queries, limit=1)
    searches = [s for s in world.sent("youtube") if s.url.path.endswith("/search")]
    videos = [s for s in world.sent("youtube") if s.url.path.endswith("/videos")]
    assert len(searches) == 60
    assert [len(v.url.params.get_list("id")) for v in videos] == [50, 10]
    assert [f["duration_ms"][0] for f in frames] == [180_000 + i * 1000 for i in range(60)]
    assert client.quota_by_method()["videos.list"] == 2 * METHOD_COSTS["videos.list"]


@pytest.mark.parametrize("name", ALL)
def test_remove_items(world: World, name: str) -> None:
    ids = world.ids(name, 6)
    playlist_id = world.sandbox.seed_playlist(name, DEFAULT_USER, "To trim", ids)
    world.client(name).remove_items(playlist_id, [ids[1], ids[4]])
    assert world.sandbox.playlist_track_ids(name, playlist_id) == [ids[0], ids[2], ids[3], ids[5]]


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(("start", "before", "length"), [(0, 5, 2), (4, 1, 2), (2, 6, 1)])
def test_reorder(world: World, name: str, start: int, before: int, length: int) -> None:
    ids = world.ids(name, 6)
    playlist_id = world.sandbox.seed_playlist(name, DEFAULT_USER, "Shuffle", ids)
    world.client(name).reorder(playlist_id, start, before, length)
    moved = ids[start : start + length]
    rest = ids[:start] + ids[start + length :]
    target = before if before <= start else before - length
    assert world.sandbox.playlist_track_ids(name, playlist_id) == (
        rest[:target] + moved + rest[target:]
    )


@pytest.mark.parametrize("name", ALL)
def test_liked_tracks(world: World, name: str) -> None:
    ids = world.ids(name, 5, start=20)
    world.sandbox.seed_library(name, DEFAULT_USER, liked=ids)
    frame = world.client(name).liked_tracks()
    assert set(frame["provider_id"].to_list()) == set(ids)


def test_youtube_counts_quota_like_the_server(world: World) -> None:
    client = world.client("youtube")
    assert isinstance(client, YouTube)
    playlist = client.create_playlist("Quota")
    client.add_items(playlist.id, world.ids("youtube", 3))
    client.search_tracks("Song number 001", limit=3)
    client.playlist_items(playlist.id)
    by_method = client.quota_by_method()
    assert by_method["playlists.insert"] == METHOD_COSTS["playlists.insert"]
    assert by_method["playlistItems.insert"] == 3 * METHOD_COSTS["playlistItems.insert"]
    assert by_method["search.list"] == METHOD_COSTS["search.list"]
    assert client.quota_used() == sum(by_method.values()) == world.sandbox.quota_used()


def test_youtube_quota_exceeded_is_final(tmp_path: Path) -> None:
    config = SandboxConfig(deezer_quota=None, youtube_daily_units=120)
    for world in make_world(tmp_path, config):
        client = world.client("youtube", daily_quota=None)  # let the server say no
        playlist = client.create_playlist("Small budget")  # 50
        client.add_items(playlist.id, world.ids("youtube", 1))  # 100
        with pytest.raises(QuotaExceededError):
            client.add_items(playlist.id, world.ids("youtube", 1, start=1))
        assert world.sleeps == []  # not retried
        local = world.client("youtube", daily_quota=60)
        with pytest.raises(QuotaExceededError):
            local.search_tracks("Song")  # 100 > 60: refused before sending
        assert local.quota_used() == 0


@pytest.mark.parametrize("name", ALL)
def test_full_playlist_is_reported(tmp_path: Path, name: str) -> None:
    config = SandboxConfig(deezer_quota=None)
    config.max_playlist_size[name] = 4
    for world in make_world(tmp_path, config):
        client = world.client(name)
        playlist = client.create_playlist("Tiny")
        with pytest.raises(PlaylistFullError):
            client.add_items(playlist.id, world.ids(name, 6))


def test_deezer_quota_error_in_a_200_is_retried(world: World) -> None:
    client = world.client("deezer")
    client.current_user()
    world.sandbox.faults.fail_next(2, "quota", provider="deezer")
    frame = client.lookup_isrcs([catalog_records(1)[0]["isrc"]])
    assert frame.height >= 1
    assert len(world.sleeps) == 2


def _lose_first_add_response(sandbox: Sandbox) -> Callable[[httpx.Request], httpx.Response]:
    """The first playlist write is applied, then its answer is lost (a timeout)."""
    state = {"lost": False}

    def handle(request: httpx.Request) -> httpx.Response:
        response = sandbox.handle(request)
        is_add = request.method == "POST" and request.url.path.endswith(
            ("/items", "/tracks", "/playlistItems")
        )
        if is_add and not state["lost"] and "playlists" not in request.url.path.split("/")[-1]:
            state["lost"] = True
            raise httpx.ReadTimeout("answer lost after the write", request=request)
        return response

    return handle


@pytest.mark.parametrize("name", ALL)
def test_add_survives_unknown_outcomes_exactly_once(tmp_path: Path, name: str) -> None:
    for world in make_world(tmp_path, handler=_lose_first_add_response):
        client = world.client(name)
        playlist = client.create_playlist("Exactly once")
        ids = world.ids(name, 5)
        client.add_items(playlist.id, ids)
        assert world.sandbox.playlist_track_ids(name, playlist.id) == ids


@pytest.mark.parametrize("name", ALL)
def test_add_survives_server_errors_exactly_once(world: World, name: str) -> None:
    client = world.client(name)
    playlist = client.create_playlist("Faulty")
    ids = world.ids(name, 9 if name == "youtube" else 120)
    world.sandbox.faults.set(0.15, ("500", "503", "timeout", "429"), providers=[name])
    client.add_items(playlist.id, ids)
    world.sandbox.faults.clear()
    assert world.sandbox.playlist_track_ids(name, playlist.id) == ids


@pytest.mark.parametrize("name", ALL)
def test_expired_token_is_an_auth_error(world: World, name: str) -> None:
    client = world.client(name)
    world.sandbox.expire_tokens(name)
    with pytest.raises(AuthError) as caught:
        client.current_user()
    if name == "deezer":  # no refresh tokens on Deezer: the user must reconnect
        assert isinstance(caught.value, NeedsReconnectError)


def _items_forbidden(sandbox: Sandbox) -> Callable[[httpx.Request], httpx.Response]:
    """Spotify 2026: items of a playlist the user neither owns nor edits -> 403."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/items"):
            body = {"error": {"status": 403, "message": "Forbidden"}}
            return httpx.Response(403, json=body)
        return sandbox.handle(request)

    return handle


def test_spotify_unreadable_followed_playlist_is_explained(tmp_path: Path) -> None:
    for world in make_world(tmp_path, handler=_items_forbidden):
        with pytest.raises(ProviderError, match="owns or collaborates on") as caught:
            world.client("spotify").playlist_items("someone-elses")
        assert caught.value.kind == "forbidden"


def test_tidal_create_playlist_is_one_request(world: World) -> None:
    client = world.client("tidal", country="GB")
    created = client.create_playlist("Just one POST")
    assert [(s.method, s.url.path.rsplit("/", 1)[-1]) for s in world.sent("tidal")] == [
        ("POST", "playlists")
    ]
    assert created.owner_id is None  # the create response does not name the owner
    user = client.current_user()  # now known: later playlists carry it, at no cost
    before = len(world.sent("tidal"))
    assert client.create_playlist("Second").owner_id == user.id
    assert len(world.sent("tidal")) == before + 1


def test_tidal_reads_with_nested_includes_and_no_completion_requests(world: World) -> None:
    ids = world.ids("tidal", 25)
    playlist_id = world.sandbox.seed_playlist("tidal", DEFAULT_USER, "Nested", ids)
    world.sandbox.seed_playlist("tidal", "other", "Followed", ids[:2], followers=[DEFAULT_USER])
    world.sandbox.seed_library("tidal", DEFAULT_USER, liked=ids[:3])
    client = world.client("tidal", country="GB")
    frame = client.playlist_items(playlist_id)
    assert frame["provider_id"].to_list() == ids
    assert frame["album"].null_count() == 0 and all(frame["artists"].list.len() > 0)
    assert client.liked_tracks()["album"].null_count() == 0
    names = {p.name: p.owned for p in client.playlists()}
    assert names["Followed"] is False
    base = httpx.URL(world.base_url("tidal")).path
    sent = [(s.url.path.removeprefix(base), dict(s.url.params)) for s in world.sent("tidal")]
    # nothing completed afterwards: no GET /tracks?filter[id]=, no GET /playlists?filter[id]=
    assert not any(path == "/tracks" for path, _ in sent)
    assert not any(path == "/playlists" and "filter[id]" in params for path, params in sent)
    items = f"/playlists/{playlist_id}/relationships/items"
    assert (items, "items.artists,items.albums") in [(p, q.get("include")) for p, q in sent]


def _lower_include_depth(sandbox: Sandbox) -> Callable[[httpx.Request], httpx.Response]:
    """An endpoint that bounds include trees to one level ("individual endpoints
    may apply different limits", TIDAL overview): a nested path is a 400."""

    def handle(request: httpx.Request) -> httpx.Response:
        if "." in request.url.params.get("include", ""):
            error = {
                "status": "400",
                "code": "BAD_REQUEST",
                "detail": "Include tree exceeds the maximum depth of 1",
                "source": {"parameter": "include"},
            }
            return httpx.Response(400, json={"errors": [error]})
        return sandbox.handle(request)

    return handle


def test_tidal_falls_back_when_an_endpoint_refuses_nested_includes(tmp_path: Path) -> None:
    for world in make_world(tmp_path, handler=_lower_include_depth):
        ids = world.ids("tidal", 25)
        playlist_id = world.sandbox.seed_playlist("tidal", DEFAULT_USER, "Shallow", ids)
        client = world.client("tidal", country="GB")
        frame = client.playlist_items(playlist_id)
        assert frame["provider_id"].to_list() == ids
        assert frame["album"].null_count() == 0 and all(frame["artists"].list.len() > 0)
        paths = [s.url.path.rsplit("/", 1)[-1] for s in world.sent("tidal")]
        # refused once, then 2 pages with include=items and 2 GET /tracks?filter[id]= (20 each)
        assert paths.count("tracks") == 2
        client.playlist_items(playlist_id)  # remembered: no second refusal
        refused = [s for s in world.sent("tidal") if "." in s.url.params.get("include", "")]
        assert len(refused) == 1
