"""The sandbox over real loopback HTTP: control API, injected timeouts and drops, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import catalogue_records

from engine.cli import main
from engine.sandbox import Sandbox, base_urls
from engine.sandbox.server import SandboxServer
from engine.sandbox.state import SandboxConfig


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    sandbox = Sandbox.from_records(catalogue_records(30), config=SandboxConfig(timeout_sleep_s=2.0))
    with SandboxServer(sandbox, port=0) as running:
        yield running


def test_real_http_round_trip_and_control(server: SandboxServer) -> None:
    urls = base_urls(server.url)
    with httpx.Client(timeout=5) as client:
        pair = client.post(
            f"{server.url}/_sandbox/tokens", json={"provider": "spotify", "user": "zoe"}
        ).json()
        h = {"Authorization": f"Bearer {pair['access_token']}"}
        created = client.post(
            urls["spotify"]["api"] + "/me/playlists", json={"name": "N"}, headers=h
        )
        assert created.status_code == 201
        assert created.json()["href"].startswith(server.url)  # links point at the server
        catalog = client.get(f"{server.url}/_sandbox/catalog").json()["tracks"]
        uris = [f"spotify:track:{t['ids']['spotify']}" for t in catalog[:3]]
        pid = created.json()["id"]
        client.post(
            urls["spotify"]["api"] + f"/playlists/{pid}/items", json={"uris": uris}, headers=h
        )
        listed = client.get(f"{server.url}/_sandbox/playlists/spotify/{pid}").json()
        assert listed["track_ids"] == [t["ids"]["spotify"] for t in catalog[:3]]
        client.post(f"{server.url}/_sandbox/expire", json={"provider": "spotify"})
        assert client.get(urls["spotify"]["api"] + "/me", headers=h).status_code == 401
        log = client.get(f"{server.url}/_sandbox/log").json()
        assert log["counts"]["spotify"] == 3
        status = client.get(f"{server.url}/_sandbox/status").json()
        assert status["tracks"] == 30 and status["playlists"] == 1
        bad = client.post(f"{server.url}/_sandbox/tokens", json={"provider": "napster"})
        assert bad.status_code == 400
        assert client.get(f"{server.url}/_sandbox/nothing").status_code == 404


def test_injected_drop_and_timeout_over_the_wire(server: SandboxServer) -> None:
    url = base_urls(server.url)["deezer"]["api"] + "/track/isrc:USSBX0000001"
    with httpx.Client(timeout=0.5) as client:
        client.post(
            f"{server.url}/_sandbox/faults",
            json={"fail_next": 1, "kind": "drop", "provider": "deezer"},
        )
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(url)
        client.post(
            f"{server.url}/_sandbox/faults",
            json={"fail_next": 1, "kind": "timeout", "provider": "deezer"},
        )
        with pytest.raises(httpx.ReadTimeout):
            client.get(url)
        assert client.get(url).json()["isrc"] == "USSBX0000001"
        client.post(f"{server.url}/_sandbox/faults", json={"spec": "rate=1,kinds=502"})
        assert client.get(url).status_code == 502
        client.delete(f"{server.url}/_sandbox/faults")
        assert client.get(url).status_code == 200


def test_cli_urls_and_bad_catalogue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "urls", "--root", "http://127.0.0.1:9"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["tidal"]["token"] == "http://127.0.0.1:9/tidal-auth/v1/oauth2/token"
    missing = tmp_path / "none.csv"
    assert main(["sandbox", "serve", "--catalog", str(missing), "--port", "0"]) == 1
    assert "catalogue file not found" in capsys.readouterr().err
    assert main(["sandbox", "serve", "--catalog", str(missing), "--port", "70000"]) == 1
