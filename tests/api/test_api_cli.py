"""``crossfade tokens`` and ``crossfade api`` on the embedded default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.cli import main


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The CLI reads settings from the environment at its edge; point it at tmp_path.
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CROSSFADE_FLAGS", raising=False)
    return tmp_path


def test_tokens_create_list_revoke(embedded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tokens", "create", "phone"]) == 0
    out = capsys.readouterr()
    match = re.search(r"token (\d+) for user \d+: (cf_\S+)", out.out)
    assert match and "cannot be shown again" in out.err
    token_id, plaintext = match.groups()
    assert main(["tokens", "create", "laptop", "--user", "oidc|42"]) == 0
    capsys.readouterr()
    assert main(["tokens", "list"]) == 0
    listing = capsys.readouterr().out
    assert "phone" in listing and "active" in listing and "laptop" not in listing
    assert plaintext not in listing
    assert main(["tokens", "revoke", token_id, "--user", "oidc|42"]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["tokens", "revoke", token_id]) == 0
    capsys.readouterr()
    assert main(["tokens", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_api_command_refuses_when_switched_off(
    embedded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flags", "set", "feature.api", "off"]) == 0
    capsys.readouterr()
    assert main(["api", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("crossfade: error: feature.api is switched off")
    assert len(err.strip().splitlines()) == 1


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_api_command_serves_http(embedded: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = _free_port()
    env = {**os.environ, "CROSSFADE_DATA_DIR": str(embedded / "data")}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "engine", "api", "--port", str(port), "--no-start-jobs"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
            while True:
                try:
                    health = client.get("/health")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.2)
            assert health.json() == {"status": "ok"}
            assert client.get("/docs").status_code == 200
            denied = client.get("/playlists")
            assert denied.status_code == 401
            assert denied.headers["content-type"] == "application/problem+json"
    finally:
        process.terminate()
        process.wait(timeout=20)
