"""The circuit breaker per provider: open, fail fast, half-open probe, close,
and state shared through Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from http_helpers import Script, factory, json_response
from redis import Redis

from engine.errors import CircuitOpenError, NotFoundError, ProviderUnavailableError
from engine.http import HttpFactory, ProviderHttpConfig, StaticToken
from engine.settings import Settings

SPOTIFY = ProviderHttpConfig("spotify", "https://api.spotify.com/v1", rate_per_s=1000, burst=1000)
RESET_S = 0.3


@pytest.fixture
def quick(tmp_path: Path) -> Settings:
    """One attempt per call (no retries), and a short reset timeout."""
    return Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path, http_max_retries=0, breaker_reset_s=RESET_S
    )


class Switch:
    """A provider that is down until switched back up."""

    def __init__(self) -> None:
        self.down = True
        self.seen = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        return json_response(503) if self.down else json_response(200, {"ok": True})


@pytest.fixture
def made() -> Iterator[list[HttpFactory]]:
    factories: list[HttpFactory] = []
    yield factories
    for item in factories:
        item.close()


def fail_times(http, n: int) -> None:
    for _ in range(n):
        with pytest.raises(ProviderUnavailableError):
            http.get_json("me", cache=False)


def test_opens_after_five_consecutive_failures_and_fails_fast(quick, made) -> None:
    provider = Switch()
    built = factory(quick, Script(provider))
    made.append(built)
    http = built.session(SPOTIFY, user_key="u", token=StaticToken("t"))
    fail_times(http, 4)
    assert built.counters("spotify")["breaker_state"] == "closed"
    fail_times(http, 1)
    assert built.counters("spotify")["breaker_state"] == "open"
    with pytest.raises(CircuitOpenError, match="circuit open after 5 consecutive failures"):
        http.get_json("me", cache=False)
    assert provider.seen == 5  # the sixth call never left the process
    assert built.counters("spotify")["errors"]["circuit-open"] == 1


def test_half_open_probe_closes_after_success(quick, made) -> None:
    provider = Switch()
    built = factory(quick, Script(provider))
    made.append(built)
    http = built.session(SPOTIFY, user_key="u", token=StaticToken("t"))
    fail_times(http, 5)
    provider.down = False
    with pytest.raises(CircuitOpenError):
        http.get_json("me", cache=False)
    time.sleep(RESET_S + 0.05)
    assert http.get_json("me", cache=False) == {"ok": True}  # the probe
    assert built.counters("spotify")["breaker_state"] == "closed"
    assert http.get_json("me", cache=False) == {"ok": True}


def test_a_failed_probe_opens_the_circuit_again(quick, made) -> None:
    provider = Switch()
    built = factory(quick, Script(provider))
    made.append(built)
    http = built.session(SPOTIFY, user_key="u", token=StaticToken("t"))
    fail_times(http, 5)
    time.sleep(RESET_S + 0.05)
    fail_times(http, 1)  # the probe goes out and fails
    assert built.counters("spotify")["breaker_state"] == "open"
    with pytest.raises(CircuitOpenError):
        http.get_json("me", cache=False)
    assert provider.seen == 6


def test_client_errors_and_successes_do_not_open_it(quick, made) -> None:
    steps = [json_response(503)] * 4 + [json_response(404)] + [json_response(503)] * 4
    built = factory(quick, Script(*steps, json_response(200, {})))
    made.append(built)
    http = built.session(SPOTIFY, user_key="u", token=StaticToken("t"))
    fail_times(http, 4)
    with pytest.raises(NotFoundError):
        http.get_json("me", cache=False)  # the service answered: not a failure
    fail_times(http, 4)
    assert built.counters("spotify")["breaker_state"] == "closed"


def test_other_providers_are_not_affected(quick, made) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(503 if request.url.host == "api.spotify.com" else 200, {})

    built = factory(quick, Script(handler))
    made.append(built)
    fail_times(built.session(SPOTIFY, user_key="u", token=None), 5)
    tidal = ProviderHttpConfig("tidal", "https://openapi.tidal.com/v2")
    assert built.session(tidal, user_key="u", token=None).get_json("tracks", cache=False) == {}


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)  # the storage copes with str too
    yield client
    client.close()


def test_breaker_state_is_shared_through_redis(quick, made, redis: Redis) -> None:
    provider = Switch()
    worker_a = factory(quick, Script(provider), redis=redis)
    worker_b = factory(quick, Script(provider), redis=redis)
    made.extend([worker_a, worker_b])
    http_a = worker_a.session(SPOTIFY, user_key="u", token=None)
    http_b = worker_b.session(SPOTIFY, user_key="v", token=None)
    fail_times(http_a, 3)
    fail_times(http_b, 2)  # consecutive across both workers
    assert worker_a.counters("spotify")["breaker_state"] == "open"
    with pytest.raises(CircuitOpenError):
        http_a.get_json("me", cache=False)
    with pytest.raises(CircuitOpenError):
        http_b.get_json("me", cache=False)
    assert provider.seen == 5
    provider.down = False
    time.sleep(RESET_S + 0.05)
    assert http_b.get_json("me", cache=False) == {"ok": True}
    assert worker_a.counters("spotify")["breaker_state"] == "closed"
    assert http_a.get_json("me", cache=False) == {"ok": True}


def test_reset_closes_an_open_circuit(quick, made) -> None:
    provider = Switch()
    built = factory(quick, Script(provider))
    made.append(built)
    http = built.session(SPOTIFY, user_key="u", token=None)
    fail_times(http, 5)
    provider.down = False
    built.breaker("spotify").reset()
    assert built.counters("spotify")["breaker_state"] == "closed"
    assert http.get_json("me", cache=False) == {"ok": True}
