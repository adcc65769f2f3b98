"""The per-user GET cache: isolation, TTL, ETag revalidation, no tokens stored."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_helpers import FakeTime, Script, factory, json_response
from redis import Redis

from engine.errors import NotFoundError
from engine.http import HttpFactory, ProviderHttpConfig, StaticToken
from engine.http.cache import cache_key
from engine.settings import Settings

DEEZER = ProviderHttpConfig(
    "deezer", "https://api.deezer.com", auth_style="query_access_token", rate_per_s=100, burst=100
)
SPOTIFY = ProviderHttpConfig("spotify", "https://api.spotify.com/v1", rate_per_s=100, burst=100)
SECRET = "SECRET-TOKEN-abc123"


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def per_user_handler(request: httpx.Request) -> httpx.Response:
    """Answers with whose token asked, so a leak between users would show."""
    who = request.url.params.get("access_token") or request.headers.get("Authorization", "")
    return json_response(200, {"who": who, "path": request.url.path})


@pytest.fixture(params=["disk", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def build(settings: Settings, request: pytest.FixtureRequest, backend: str):
    made: list[HttpFactory] = []

    def _build(handler, fake: FakeTime | None = None) -> HttpFactory:
        redis = request.getfixturevalue("redis") if backend == "redis" else None
        made.append(factory(settings, handler, fake, redis=redis))
        return made[-1]

    yield _build
    for item in made:
        item.close()


def test_each_user_sees_only_their_own_cached_data(build) -> None:
    script = Script(per_user_handler)
    built = build(script)
    alice = built.session(DEEZER, user_key="alice", token=StaticToken("tok-alice"))
    bob = built.session(DEEZER, user_key="bob", token=StaticToken("tok-bob"))
    assert alice.get_json("user/me")["who"] == "tok-alice"
    assert bob.get_json("user/me")["who"] == "tok-bob"
    assert alice.get_json("user/me")["who"] == "tok-alice"
    assert bob.get_json("user/me")["who"] == "tok-bob"
    assert len(script.requests) == 2
    figures = built.counters("deezer")
    assert (figures["cache_hits"], figures["cache_misses"]) == (2, 2)


def test_param_order_does_not_matter_but_values_do(build) -> None:
    script = Script(per_user_handler)
    http = build(script).session(SPOTIFY, user_key="u", token=StaticToken("t"))
    http.get_json("search", {"q": "isrc:X", "type": "track"})
    http.get_json("search", {"type": "track", "q": "isrc:X"})
    http.get_json("search", {"type": "track", "q": "isrc:Y"})
    assert len(script.requests) == 2


def test_entries_expire_after_the_ttl(build, settings: Settings) -> None:
    fake = FakeTime()
    script = Script(per_user_handler)
    http = build(script, fake).session(SPOTIFY, user_key="u", token=StaticToken("t"))
    http.get_json("me")
    fake.advance(settings.http_cache_ttl_s - 1)
    http.get_json("me")
    assert len(script.requests) == 1
    fake.advance(2)
    http.get_json("me")
    assert len(script.requests) == 2


def test_uncached_calls_and_writes_always_go_out(build) -> None:
    script = Script(per_user_handler)
    http = build(script).session(SPOTIFY, user_key="u", token=StaticToken("t"))
    http.get_json("me", cache=False)
    http.get_json("me", cache=False)
    http.send("GET", "me")
    assert len(script.requests) == 3


def test_etag_revalidation_serves_the_cached_body_on_304(build) -> None:
    fake = FakeTime()
    bodies = iter([{"v": 1}, {"v": 2}])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"e1"':
            return httpx.Response(304, headers={"ETag": '"e1"'})
        return json_response(200, next(bodies), ETag='"e1"')

    script = Script(handler)
    built = build(script, fake)
    http = built.session(SPOTIFY, user_key="u", token=StaticToken("t"))
    assert http.get_json("playlists/p") == {"v": 1}
    fake.advance(10_000)  # stale, but kept for revalidation
    assert http.get_json("playlists/p") == {"v": 1}
    assert script.requests[-1].headers["If-None-Match"] == '"e1"'
    assert http.get_json("playlists/p") == {"v": 1}  # fresh again after the 304
    assert len(script.requests) == 2
    assert built.counters("spotify")["revalidations"] == 1


def test_a_changed_resource_replaces_the_entry(build) -> None:
    fake = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"e1"':
            return json_response(200, {"v": 2}, ETag='"e2"')
        return json_response(200, {"v": 1}, ETag='"e1"')

    http = build(Script(handler), fake).session(SPOTIFY, user_key="u", token=StaticToken("t"))
    assert http.get_json("playlists/p") == {"v": 1}
    fake.advance(10_000)
    assert http.get_json("playlists/p") == {"v": 2}


def test_no_store_responses_are_not_cached(build) -> None:
    script = Script(json_response(200, {"n": 1}, **{"Cache-Control": "private, no-store"}))
    http = build(script).session(SPOTIFY, user_key="u", token=StaticToken("t"))
    http.get_json("me/player")
    http.get_json("me/player")
    assert len(script.requests) == 2


def test_error_responses_are_not_cached(build) -> None:
    script = Script(json_response(404), json_response(200, {"ok": True}))
    http = build(script).session(SPOTIFY, user_key="u", token=StaticToken("t"))
    with pytest.raises(NotFoundError, match="not found"):
        http.get_json("tracks/1")
    assert http.get_json("tracks/1") == {"ok": True}


def test_cache_key_leaves_out_the_token_and_separates_users() -> None:
    url = httpx.URL("https://api.deezer.com/track/1?b=2&a=1")
    with_token = url.copy_add_param("access_token", SECRET)
    assert cache_key("deezer", "GET", url, "u") == cache_key("deezer", "GET", with_token, "u")
    assert cache_key("deezer", "GET", url, "u") != cache_key("deezer", "GET", url, "v")
    assert SECRET not in cache_key("deezer", "GET", with_token, "u")


def test_tokens_are_never_stored(build, backend: str, settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # a real API does not echo the token; the request carried it, though
        carried = request.url.params.get("access_token") or request.headers.get("Authorization")
        assert carried and SECRET in carried
        return json_response(200, {"path": request.url.path}, ETag='"x"')

    built = build(Script(handler))
    query = built.session(DEEZER, user_key="u1", token=StaticToken(SECRET))
    bearer = built.session(SPOTIFY, user_key="u1", token=StaticToken(SECRET))
    query.get_json("user/me/playlists", {"limit": 5})
    bearer.get_json("me")
    if backend == "redis":
        assert built.redis is not None
        keys = [k for k in built.redis.keys("crossfade:http:cache:*")]
        assert len(keys) == 2
        stored = b"".join(keys) + b"".join(built.redis.get(k) or b"" for k in keys)
    else:
        built.close()  # flush diskcache's files
        files = [p for p in Path(settings.data_dir / "http-cache").rglob("*") if p.is_file()]
        assert files
        stored = b"".join(p.read_bytes() for p in files)
    encoded = base64.b64encode(SECRET.encode())
    assert SECRET.encode() not in stored
    assert encoded[:16] not in stored
    assert b"user/me/playlists" not in stored  # keys are hashes, not readable URLs
