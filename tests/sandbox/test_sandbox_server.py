"""The sandbox over real loopback HTTP: control API, injected timeouts and drops, CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    for bad in (["--spotify-rate", "fast"], ["--max-playlist-size", "napster=3"]):
        assert main(["sandbox", "serve", "--catalog", str(missing), *bad]) == 1
    assert "wants" in capsys.readouterr().err


def test_concurrent_writes_lose_nothing(server: SandboxServer) -> None:
    sandbox = server.sandbox
    pid = sandbox.seed_playlist("spotify", "zoe", "Busy")
    token = sandbox.issue_token("spotify", "zoe").access_token
    api = base_urls(server.url)["spotify"]["api"]
    catalog = sandbox.catalog.tracks

    with httpx.Client(timeout=5, headers={"Authorization": f"Bearer {token}"}) as client:

        def add(n: int) -> int:
            uri = f"spotify:track:{catalog[n % len(catalog)].ids['spotify']}"
            response = client.post(f"{api}/playlists/{pid}/items", json={"uris": [uri] * 5})
            return response.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(add, range(40)))
    assert statuses == [201] * 40
    assert len(sandbox.playlist_track_ids("spotify", pid)) == 200


def test_cli_serve_runs_a_real_server_until_interrupted(tmp_path: Path) -> None:
    catalog = tmp_path / "cat.json"
    catalog.write_text(json.dumps(catalogue_records(5)), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "engine",
        "sandbox",
        "serve",
        "--catalog",
        str(catalog),
        "--port",
        "0",
        "--faults",
        "rate=0",
        "--no-deezer-quota",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "5 tracks, serving on http://127.0.0.1:" in first, first
        root = first.rsplit(" ", 1)[1].strip()
        assert httpx.get(f"{root}/_sandbox/status", timeout=5).json()["tracks"] == 5
        process.send_signal(signal.SIGINT)
        out, _err = process.communicate(timeout=10)
        assert "sandbox: stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
