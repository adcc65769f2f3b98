"""Fault injection: kinds, rates, seeds, forced failure runs, and the request log."""

from __future__ import annotations

import httpx
import pytest
from sandbox_helpers import URLS, bearer

from engine.errors import UsageError
from engine.sandbox import Sandbox
from engine.sandbox.faults import FaultPlan

SPOTIFY_ME = URLS["spotify"]["api"] + "/me"


def test_forced_failures_then_recovery(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "spotify")
    sandbox.faults.fail_next(5, "503", provider="spotify")
    statuses = [client.get(SPOTIFY_ME, headers=h).status_code for _ in range(7)]
    assert statuses == [503] * 5 + [200, 200]
    assert sandbox.log.counts["spotify:fault:503"] == 5
    assert sandbox.log.count("spotify", "GET", "/me") == 7


@pytest.mark.parametrize(
    ("kind", "retry_after"),
    [("429", "1"), ("429-zero", "0"), ("429-noretry", None), ("429-empty", None)],
)
def test_429_variants(
    kind: str, retry_after: str | None, sandbox: Sandbox, client: httpx.Client
) -> None:
    sandbox.faults.fail_next(1, kind, provider="spotify")
    response = client.get(SPOTIFY_ME, headers=bearer(sandbox, "spotify"))
    assert response.status_code == 429
    assert response.headers.get("retry-after") == retry_after
    if kind == "429-empty":
        assert response.content == b""
    else:
        assert response.json()["error"]["status"] == 429


def test_timeouts_and_drops_raise_like_a_transport(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.faults.fail_next(1, "timeout", provider="tidal")
    with pytest.raises(httpx.ReadTimeout):
        client.get(URLS["tidal"]["api"] + "/users/me")
    sandbox.faults.fail_next(1, "drop", provider="tidal")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(URLS["tidal"]["api"] + "/users/me")
    assert sandbox.log.counts["tidal:fault"] == 2


def test_quota_faults_use_each_providers_shape(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.faults.fail_next(1, "quota")
    deezer = client.get(URLS["deezer"]["api"] + "/track/1")
    assert deezer.status_code == 200 and deezer.json()["error"]["code"] == 4
    youtube = client.get(URLS["youtube"]["api"] + "/search?part=id&q=x")
    assert youtube.status_code == 403
    assert youtube.json()["error"]["errors"][0]["reason"] == "quotaExceeded"
    tidal = client.get(URLS["tidal"]["api"] + "/users/me")
    assert tidal.status_code == 429 and tidal.json()["errors"][0]["status"] == "429"
    sandbox.faults.fail_next(1, "429", provider="deezer")
    assert client.get(URLS["deezer"]["api"] + "/track/1").json()["error"]["code"] == 4
    sandbox.faults.fail_next(1, "500", provider="deezer")
    assert client.get(URLS["deezer"]["api"] + "/track/1").status_code == 500


def test_rate_is_seeded_and_deterministic(sandbox: Sandbox) -> None:
    def run(seed: int) -> list[str | None]:
        plan = FaultPlan(seed)
        plan.set(0.3, ["500", "429"], ["spotify"])
        return [plan.decide("spotify") for _ in range(200)]

    first = run(7)
    assert first == run(7) and first != run(8)
    share = sum(f is not None for f in first) / len(first)
    assert 0.2 < share < 0.4
    assert {f for f in first if f} == {"500", "429"}


def test_spec_parsing_and_errors() -> None:
    plan = FaultPlan()
    plan.apply_spec("rate=1,kinds=429,429-noretry,seed=3,providers=deezer")
    assert plan.decide("deezer") in ("429", "429-noretry")
    assert plan.decide("spotify") is None
    plan.apply_spec("fail_next=2,kinds=drop,providers=spotify+tidal")
    assert [plan.decide("spotify") for _ in range(2)] == ["drop", "drop"]
    for bad in ("rate=2", "kinds=teapot", "bogus=1", "rate=x", "justtext"):
        with pytest.raises(UsageError):
            FaultPlan().apply_spec(bad)
    plan.clear()
    assert plan.decide("deezer") is None


def test_oauth_faults_are_separate(sandbox: Sandbox, client: httpx.Client) -> None:
    sandbox.faults.set(1.0, ["503"], ["oauth"])
    token = client.post(URLS["spotify"]["token"], data={"grant_type": "refresh_token"})
    assert token.status_code == 503
    assert client.get(SPOTIFY_ME, headers=bearer(sandbox, "spotify")).status_code == 200


@pytest.mark.parametrize(
    ("kind", "error"),
    [("timeout-after", httpx.ReadTimeout), ("drop-after", httpx.RemoteProtocolError)],
)
def test_lost_answers_after_the_write_took_effect(
    kind: str, error: type[Exception], sandbox: Sandbox, client: httpx.Client
) -> None:
    h = bearer(sandbox, "spotify")
    pid = sandbox.seed_playlist("spotify", "alice", "P")
    uri = f"spotify:track:{sandbox.catalog.tracks[0].ids['spotify']}"
    sandbox.faults.fail_next(1, kind, provider="spotify")
    with pytest.raises(error):
        client.post(
            f"{URLS['spotify']['api']}/playlists/{pid}/items", json={"uris": [uri]}, headers=h
        )
    assert len(sandbox.playlist_track_ids("spotify", pid)) == 1  # it happened all the same
    sandbox.faults.fail_next(1, kind.removesuffix("-after"), provider="spotify")
    with pytest.raises(error):
        client.post(
            f"{URLS['spotify']['api']}/playlists/{pid}/items", json={"uris": [uri]}, headers=h
        )
    assert len(sandbox.playlist_track_ids("spotify", pid)) == 1  # this one never arrived


def test_request_log_never_holds_secrets(sandbox: Sandbox, client: httpx.Client) -> None:
    token = sandbox.issue_token("deezer", "alice").access_token
    client.get(URLS["deezer"]["api"] + "/user/me", params={"access_token": token, "limit": 3})
    client.get(URLS["deezer"]["token"], params={"app_id": "a", "secret": "s3cr3t", "code": "c0de"})
    queries = " ".join(r.query for r in sandbox.log.records)
    assert token not in queries and "s3cr3t" not in queries and "c0de" not in queries
    assert "access_token=REDACTED" in queries and "limit=3" in queries
