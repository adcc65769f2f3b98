"""Counters and factory wiring."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from http_helpers import FakeTime, Script, factory, json_response
from redis import Redis

from engine.errors import UsageError
from engine.http import HttpFactory, ProviderHttpConfig, StaticToken
from engine.http.counters import COUNTER_FIELDS, LocalCounters, RedisCounters
from engine.settings import Settings

DEEZER = ProviderHttpConfig("deezer", "https://api.deezer.com", auth_style="query_access_token")


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def test_fresh_factory_reports_zeros_and_a_closed_breaker(settings: Settings) -> None:
    with HttpFactory(settings) as built:
        figures = built.counters("spotify")
        assert {name: figures[name] for name in COUNTER_FIELDS} == dict.fromkeys(COUNTER_FIELDS, 0)
        assert figures["breaker_state"] == "closed"
        assert built.all_counters() == {}
    assert not (settings.data_dir / "http-cache").exists()  # nothing touched the disk


def test_all_counters_and_reset(settings: Settings) -> None:
    built = factory(settings, Script(json_response(200, {})), FakeTime())
    try:
        built.session(DEEZER, user_key="u", token=StaticToken("t")).get_json("user/me")
        assert list(built.all_counters()) == ["deezer"]
        assert built.all_counters()["deezer"]["requests"] == 1
        built.reset_counters("deezer")
        assert built.counters("deezer")["requests"] == 0
    finally:
        built.close()


@pytest.mark.parametrize("kind", ["local", "redis"])
def test_counter_stores_add_ints_and_seconds(kind: str, request: pytest.FixtureRequest) -> None:
    store = LocalCounters() if kind == "local" else RedisCounters(request.getfixturevalue("redis"))
    store.add("tidal", "requests")
    store.add("tidal", "requests", 2)
    store.add("tidal", "throttle_wait_s", 0.25)
    store.add("tidal", "throttle_wait_s", 0.5)
    store.add("spotify", "errors.not-found")
    assert store.read("tidal") == {"requests": 3, "throttle_wait_s": 0.75}
    assert store.providers() == ["spotify", "tidal"]
    store.reset("tidal")
    assert store.read("tidal") == {}


def test_session_needs_a_user_key(settings: Settings) -> None:
    with HttpFactory(settings) as built, pytest.raises(UsageError, match="user_key"):
        built.session(DEEZER, user_key="", token=None)


def test_one_client_with_timeouts_and_user_agent(tmp_path) -> None:
    settings = Settings(env="test", data_dir=tmp_path, http_timeout_s=3, user_agent="UA/1")  # type: ignore[call-arg]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {})

    built = factory(settings, handler)
    try:
        first = built.session(DEEZER, user_key="a", token=None)
        second = built.session(DEEZER, user_key="b", token=None)
        first.send("GET", "user/me")
        second.send("GET", "user/me")
        assert seen[0].headers["User-Agent"] == "UA/1"
        assert seen[0].extensions["timeout"]["read"] == 3
        assert seen[0].extensions["timeout"]["connect"] == 3
        assert first._parts is second._parts  # type: ignore[attr-defined]
    finally:
        built.close()


def test_cache_can_be_switched_off(tmp_path) -> None:
    settings = Settings(env="test", data_dir=tmp_path, http_cache_ttl_s=0)  # type: ignore[call-arg]
    script = Script(json_response(200, {}))
    built = factory(settings, script)
    try:
        http = built.session(DEEZER, user_key="a", token=None)
        http.get_json("user/me")
        http.get_json("user/me")
        assert len(script.requests) == 2
    finally:
        built.close()


def test_runtime_holds_one_factory_for_the_process(settings: Settings) -> None:
    from engine.runtime import Runtime

    runtime = Runtime(settings)
    try:
        assert runtime.http is runtime.http
        assert runtime.http.redis is None  # embedded default
        runtime.http.breaker("deezer")
    finally:
        runtime.close()


def test_unreachable_redis_is_a_clear_error(settings: Settings) -> None:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from engine.errors import ConfigError

    # nothing listens on port 1; no client-side retries, so the test stays fast
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    built = factory(settings, Script(json_response(200, {})), redis=dead)
    try:
        http = built.session(DEEZER, user_key="u", token=None)
        with pytest.raises(ConfigError, match="shared state in Redis"):
            http.get_json("user/me")
        with pytest.raises(ConfigError, match="REDIS_URL"):
            http.send("POST", "user/me/playlists")
    finally:
        built.close()
        dead.close()
