"""Retries: backoff with jitter, Retry-After variants, provider hooks, final errors."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator

import httpx
import pytest
from http_helpers import FakeTime, Script, factory, json_response

from engine.errors import (
    CircuitOpenError,
    CrossfadeError,
    PlaylistFullError,
    ProviderError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitedError,
)
from engine.http import HttpFactory, ProviderHttpConfig, Retryable, StaticToken
from engine.http.retry import RetryPolicy, parse_retry_after
from engine.settings import Settings

SPOTIFY = ProviderHttpConfig("spotify", "https://api.spotify.com/v1", rate_per_s=1000, burst=1000)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def made() -> Iterator[list[HttpFactory]]:
    factories: list[HttpFactory] = []
    yield factories
    for item in factories:
        item.close()


def session_for(settings: Settings, script: Script, fake: FakeTime, made, config=SPOTIFY):
    built = factory(settings, script, fake)
    made.append(built)
    return built, built.session(config, user_key="u1", token=StaticToken("tok"))


def test_retry_after_seconds_is_honoured(settings, fake, made) -> None:
    script = Script(json_response(429, **{"Retry-After": "3"}), json_response(200, {"ok": 1}))
    built, http = session_for(settings, script, fake, made)
    assert http.get_json("me") == {"ok": 1}
    assert fake.sleeps == [3.0]
    figures = built.counters("spotify")
    assert figures["retries"] == 1
    assert figures["requests"] == 2
    assert figures["attempt_errors"] == {"status_429": 1}


def test_lower_case_retry_after_and_http_date(settings, fake, made) -> None:
    when = email.utils.formatdate(fake.now + 7, usegmt=True)
    script = Script(
        httpx.Response(429, headers=[("retry-after", "2")]),
        httpx.Response(503, headers={"Retry-After": when}),
        json_response(200, {"ok": 1}),
    )
    _, http = session_for(settings, script, fake, made)
    http.get_json("me", cache=False)
    assert fake.sleeps[0] == 2.0
    assert fake.sleeps[1] == pytest.approx(5.0, abs=1.0)  # the date was 7s off, 2s ago


@pytest.mark.parametrize("header", [None, "0", "soon"])
def test_missing_zero_or_bad_retry_after_uses_exponential_backoff(
    settings, fake, made, header
) -> None:
    headers = {} if header is None else {"Retry-After": header}
    script = Script(*[httpx.Response(429, headers=headers)] * 3, json_response(200, {}))
    _, http = session_for(settings, script, fake, made)
    http.get_json("me")
    # jitter pinned to its maximum: base 0.5 doubled each retry
    assert fake.sleeps == [0.5, 1.0, 2.0]


def test_full_jitter_stays_within_the_exponential_envelope() -> None:
    policy = RetryPolicy(max_retries=8, base_s=0.5, cap_s=4.0)
    assert policy.backoff(0, lambda: 0.5) == 0.25
    assert policy.backoff(10, lambda: 1.0) == 4.0
    assert policy.backoff(3, lambda: 0.0) == 0.0


def test_parse_retry_after_variants() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after({"RETRY-AFTER": " 5 "}, now) == 5.0
    assert parse_retry_after({"Retry-After": "-3"}, now) == 0.0
    assert parse_retry_after({}, now) is None
    past = email.utils.formatdate(now - 60, usegmt=True)
    assert parse_retry_after({"Retry-After": past}, now) == 0.0


def test_5xx_and_timeouts_are_retried_then_reported(tmp_path, fake, made) -> None:
    script = Script(
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        json_response(502),
    )
    settings = Settings(env="test", data_dir=tmp_path, breaker_fail_max=10)  # type: ignore[call-arg]
    built, http = session_for(settings, script, fake, made)
    with pytest.raises(ProviderUnavailableError, match="after 5 retries") as info:
        http.get_json("me")
    assert len(script.requests) == 6
    assert "502" in str(info.value)
    figures = built.counters("spotify")
    assert figures["attempt_errors"] == {"timeout": 1, "connect_error": 1, "status_502": 4}
    assert figures["errors"] == {"provider-unavailable": 1}


def test_retries_stop_when_the_circuit_opens(settings, fake, made) -> None:
    script = Script(json_response(503, {"error": "down"}))
    built, http = session_for(settings, script, fake, made)
    with pytest.raises(CircuitOpenError, match=r"last failure: spotify: GET .*503") as info:
        http.get_json("me")
    assert len(script.requests) == settings.breaker_fail_max
    assert isinstance(info.value.__cause__, ProviderUnavailableError)
    assert built.counters("spotify")["breaker_state"] == "open"


def test_429_after_all_retries_is_rate_limited(settings, fake, made) -> None:
    _, http = session_for(settings, Script(json_response(429, **{"Retry-After": "1"})), fake, made)
    with pytest.raises(RateLimitedError):
        http.send("GET", "me")
    assert fake.sleeps == [1.0] * 5


def test_a_retry_after_beyond_the_limit_is_reported_not_waited(settings, fake, made) -> None:
    _, http = session_for(
        settings, Script(json_response(429, **{"Retry-After": "86400"})), fake, made
    )
    with pytest.raises(RateLimitedError, match="wait 86400s") as info:
        http.get_json("me")
    assert fake.sleeps == []
    assert info.value.retry_after == 86400  # for the job scheduler


@pytest.mark.parametrize("code", [400, 403, 404])
def test_final_statuses_are_not_retried(settings, fake, made, code) -> None:
    script = Script(json_response(code))
    _, http = session_for(settings, script, fake, made)
    with pytest.raises(CrossfadeError) as info:
        http.get_json("me")
    assert info.value.status in {502, 404}
    assert len(script.requests) == 1


def deezer_check(response: httpx.Response) -> None:
    """Deezer reports failures as HTTP 200 with an ``error`` object."""
    body = response.json() if response.content else None
    if isinstance(body, dict) and "error" in body:
        code = body["error"].get("code")
        if code == 4:
            raise Retryable("Quota limit exceeded")
        if code == 100:
            raise QuotaExceededError("daily quota spent", provider="deezer")
        raise ProviderError(body["error"].get("message", "error"), provider="deezer")


DEEZER = ProviderHttpConfig(
    "deezer",
    "https://api.deezer.com",
    auth_style="query_access_token",
    rate_per_s=1000,
    burst=1000,
    check_response=deezer_check,
)


def test_deezer_quota_error_inside_200_is_retried_and_not_cached(settings, fake, made) -> None:
    quota = json_response(200, {"error": {"type": "Exception", "message": "Quota", "code": 4}})
    script = Script(quota, json_response(200, {"id": 3135556}))
    built, http = session_for(settings, script, fake, made, DEEZER)
    assert http.get_json("track/3135556") == {"id": 3135556}
    assert fake.sleeps == [0.5]
    assert http.get_json("track/3135556") == {"id": 3135556}  # from cache, not the error
    assert len(script.requests) == 2
    assert built.counters("deezer")["attempt_errors"] == {"retryable": 1}


def test_a_final_error_from_the_hook_stops_at_once(settings, fake, made) -> None:
    spent = json_response(200, {"error": {"code": 100, "message": "spent"}})
    script = Script(spent)
    built, http = session_for(settings, script, fake, made, DEEZER)
    with pytest.raises(QuotaExceededError):
        http.send("POST", "playlist/1/tracks", params={"songs": "1,2"})
    assert len(script.requests) == 1
    assert built.counters("deezer")["errors"] == {"quota-exceeded": 1}


def test_hook_can_report_a_full_playlist_on_an_error_status(settings, fake, made) -> None:
    def check(response: httpx.Response) -> None:
        if response.status_code == 400 and b"full" in response.content:
            raise PlaylistFullError("playlist is full", provider="spotify")

    config = ProviderHttpConfig("spotify", "https://api.spotify.com/v1", check_response=check)
    script = Script(json_response(400, {"error": {"message": "Playlist is full"}}))
    _, http = session_for(settings, script, fake, made, config)
    with pytest.raises(PlaylistFullError):
        http.send("POST", "playlists/p/items", json={"uris": ["spotify:track:1"]})
    assert len(script.requests) == 1


def test_post_is_not_retried_after_a_500_that_may_have_applied_it(settings, fake, made) -> None:
    script = Script(json_response(500), json_response(201))
    _, http = session_for(settings, script, fake, made)
    with pytest.raises(ProviderUnavailableError, match="may have been applied"):
        http.send("POST", "playlists/p/items", json={"uris": ["spotify:track:1"]})
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("refused"),
        json_response(429),
        json_response(503, **{"Retry-After": "1"}),
    ],
)
def test_post_is_retried_when_it_cannot_have_been_processed(settings, fake, made, first) -> None:
    script = Script(first, json_response(201, {"snapshot_id": "s"}))
    _, http = session_for(settings, script, fake, made)
    response = http.send("POST", "playlists/p/items", json={"uris": ["spotify:track:1"]})
    assert response.status_code == 201
    assert len(script.requests) == 2


def test_post_with_idempotency_key_is_retried_after_a_500(settings, fake, made) -> None:
    script = Script(json_response(500), httpx.ReadTimeout("slow"), json_response(201))
    _, http = session_for(settings, script, fake, made)
    response = http.send(
        "POST", "playlists/p/relationships/items", json={}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 201
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["k1"] * 3
