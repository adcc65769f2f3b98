"""One HttpFactory per process: jobs (``engine.jobs.connect``) and the OAuth
connect flow (``engine.auth.oauth``) both use ``runtime.http``, so their
requests share one rate limiter, breaker and set of counters. The Runtime is
given the in-process sandbox's transport (no patching)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from engine.auth.crypto import generate_key, parse_key_ring
from engine.auth.oauth import finish_connect, start_connect
from engine.auth.tokens import save_app_credentials
from engine.demo import connect_sandbox_account
from engine.jobs.connect import open_account
from engine.runtime import Runtime
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.users import local_user

KEYS = generate_key("runtime-http")
REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox.from_records(
        [{"title": "One", "artists": ["A"], "isrc": "GBXYZ2600001", "duration_ms": 1000}]
    )


@pytest.fixture
def runtime(tmp_path: Path, sqlite_url: str, sandbox: Sandbox) -> Iterator[Runtime]:
    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        token_keys=KEYS,
        sandbox_url=DEFAULT_ROOT,
        database_url=sqlite_url,
    )
    rt = Runtime(settings, http_transport=sandbox.transport())
    yield rt
    rt.close()


def test_jobs_share_the_runtime_factory(runtime: Runtime, sandbox: Sandbox) -> None:
    with session_scope(runtime.engine) as session:
        uid = local_user(session).id
    account = connect_sandbox_account(runtime, sandbox, uid, "deezer")
    for _ in range(3):  # three jobs, one after the other
        with open_account(runtime, account, user_id=uid) as provider:
            assert provider.current_user().id
    # every job's call is in the one factory's figures (the first sent, the next
    # two answered by the shared cache), none lost with a closed factory
    figures = runtime.http.counters("deezer")
    assert (figures["requests"], figures["cache_hits"]) == (1, 2)
    assert figures["requests"] == sandbox.log.counts.get("deezer", 0)
    # and the factory is still open for the next job
    with open_account(runtime, account, user_id=uid) as provider:
        assert provider.playlists() == []


def test_connect_flow_uses_the_runtime_factory(runtime: Runtime, sandbox: Sandbox) -> None:
    with session_scope(runtime.engine) as session:
        uid = local_user(session).id
        save_app_credentials(
            session,
            parse_key_ring(KEYS),
            user_id=uid,
            provider="tidal",
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            redirect_uri=REDIRECT,
        )
    url = start_connect(runtime, uid, "tidal")
    with httpx.Client(transport=sandbox.transport()) as browser:
        response = browser.get(url)
    params = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert finish_connect(runtime, uid, "tidal", params) > 0  # no http_factory given
    assert runtime.http.counters("tidal")["requests"] >= 1  # GET /users/me of the new account
