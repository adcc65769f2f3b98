"""Connecting an account over the API against the provider sandbox:
start -> browser approves -> the callback lands on the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from api_helpers import TestClient

from engine import flags
from engine.api import create_app
from engine.auth.crypto import generate_key, parse_key_ring
from engine.auth.redact import uninstall_log_redaction
from engine.auth.tokens import save_app_credentials
from engine.http.factory import HttpFactory
from engine.runtime import Runtime
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope

KEYS = generate_key("api1")
CALLBACK = "http://127.0.0.1:8000/oauth/spotify/callback"  # loopback: allowed by the sandbox


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        token_keys=KEYS,
        sandbox_url=DEFAULT_ROOT,
        DATABASE_URL=db_url,
    )
    rt = Runtime(settings)
    yield rt
    rt.close()
    uninstall_log_redaction()


def test_connect_through_the_api(runtime: Runtime) -> None:
    sandbox = Sandbox.from_records([{"title": "Song", "artists": ["A"], "isrc": "GBAYE2400001"}])
    with session_scope(runtime.engine) as session:
        user_id = repo.local_user(session).id
        _, token = repo.create_api_token(session, user_id, "tests")
        save_app_credentials(
            session,
            parse_key_ring(KEYS),
            user_id=user_id,
            provider="spotify",
            client_id=DEFAULT_CLIENT_ID,
            client_secret=None,
            redirect_uri=CALLBACK,
        )
    auth = {"Authorization": f"Bearer {token}"}
    with (
        HttpFactory(runtime.settings, transport=sandbox.transport()) as http,
        TestClient(create_app(runtime, http_factory=http)) as client,
    ):
        started = client.post("/accounts/spotify/connect", json={}, headers=auth)
        assert started.status_code == 201, started.text
        with httpx.Client(transport=sandbox.transport()) as browser:
            approved = browser.get(started.json()["authorize_url"])
        assert approved.status_code == 302
        location = urlsplit(approved.headers["location"])
        callback = f"{location.path}?{location.query}"
        assert location.path == "/oauth/spotify/callback"

        landed = client.get(callback)  # the browser: no API token
        assert landed.status_code == 200, landed.text
        assert landed.json()["status"] == "connected"
        replay = client.get(callback)
        assert replay.status_code == 401
        assert replay.headers["content-type"] == "application/problem+json"
        assert "already used" in replay.json()["detail"]
        accounts = client.get("/accounts", headers=auth).json()
        assert [(a["provider"], a["status"]) for a in accounts] == [("spotify", "connected")]

        forged = client.get("/oauth/spotify/callback", params={"state": "x", "code": "y"})
        assert forged.status_code == 401
        no_app = client.post("/accounts/tidal/connect", json={}, headers=auth)
        assert no_app.status_code == 409 and "app credentials" in no_app.json()["detail"]
        flags.set_flag(runtime, "provider.spotify", False)
        off = client.post("/accounts/spotify/connect", json={}, headers=auth)
        assert off.status_code == 503
