"""AccountTokenSource: refresh before expiry and on 401, atomic persistence,
one refresh for concurrent workers, needs_reconnect on a refused refresh token.

The token endpoint here is a small RFC 6749 handler passed in as the HTTP
transport (single-use refresh tokens, like Spotify PKCE); the end-to-end flow
against the provider sandbox is in test_auth_flow_sandbox.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from sqlalchemy import select

from engine.auth.crypto import generate_key, parse_key_ring
from engine.auth.endpoint import TokenPair
from engine.auth.tokens import AccountTokenSource, save_account, save_app_credentials
from engine.errors import NeedsReconnectError
from engine.http.factory import HttpFactory
from engine.http.types import ProviderHttpConfig
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.models import ProviderAccount
from engine.store.users import local_user

KEYS = generate_key("t1")
TOKEN_URL = "https://accounts.spotify.com/api/token"


@dataclass
class TokenServer:
    """Single-use refresh tokens; counts refreshes; can be slowed down."""

    refresh_tokens: set[str] = field(default_factory=lambda: {"rt-0"})
    access_tokens: set[str] = field(default_factory=lambda: {"at-0"})
    refreshes: int = 0
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.spotify.com":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.access_tokens:
                return httpx.Response(401, json={"error": {"status": 401, "message": "expired"}})
            return httpx.Response(200, json={"id": "me"})
        form = dict(parse_qsl(request.content.decode()))
        assert form["grant_type"] == "refresh_token" and form["client_id"] == "cid"
        time.sleep(self.delay_s)
        with self.lock:
            if form["refresh_token"] not in self.refresh_tokens:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.refresh_tokens.discard(form["refresh_token"])
            self.refreshes += 1
            self.access_tokens = {f"at-{self.refreshes}"}
            self.refresh_tokens.add(f"rt-{self.refreshes}")
            return httpx.Response(
                200,
                json={
                    "access_token": f"at-{self.refreshes}",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": f"rt-{self.refreshes}",
                    "scope": "user-read-private",
                },
            )


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(env="test", data_dir=tmp_path / "data", token_keys=KEYS)  # type: ignore[call-arg]
    rt = Runtime(settings.model_copy(update={"database_url": db_url}))
    yield rt
    rt.close()


def connect(runtime: Runtime, provider: str = "spotify", **pair: object) -> int:
    ring = parse_key_ring(KEYS)
    values: dict[str, object] = {
        "access_token": "at-0",
        "refresh_token": "rt-0",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
    }
    values.update(pair)
    with session_scope(runtime.engine) as session:
        uid = local_user(session).id
        save_app_credentials(
            session, ring, user_id=uid, provider=provider, client_id="cid", client_secret=None
        )
        return save_account(
            session,
            ring,
            user_id=uid,
            provider=provider,
            pair=TokenPair(**values),  # type: ignore[arg-type]
        )


def account(runtime: Runtime, account_id: int) -> ProviderAccount:
    with session_scope(runtime.engine) as session:
        row = session.scalars(select(ProviderAccount).where(ProviderAccount.id == account_id)).one()
        session.expunge(row)
        return row


def test_valid_token_is_used_without_refresh(runtime: Runtime) -> None:
    server = TokenServer()
    account_id = connect(runtime)
    with HttpFactory(runtime.settings, transport=httpx.MockTransport(server.handle)) as factory:
        source = AccountTokenSource(runtime, account_id, factory)
        assert source.access_token() == "at-0"
        assert "at-0" not in repr(source)
    assert server.refreshes == 0


def test_refresh_before_expiry_persists_the_new_pair(runtime: Runtime) -> None:
    server = TokenServer()
    account_id = connect(runtime, expires_at=datetime.now(UTC) + timedelta(seconds=30))
    before = account(runtime, account_id)
    with HttpFactory(runtime.settings, transport=httpx.MockTransport(server.handle)) as factory:
        assert AccountTokenSource(runtime, account_id, factory).access_token() == "at-1"
        # a new source (another worker) reads the stored pair: no second refresh
        assert AccountTokenSource(runtime, account_id, factory).access_token() == "at-1"
    after = account(runtime, account_id)
    assert server.refreshes == 1
    assert after.access_token_enc != before.access_token_enc
    assert after.refresh_token_enc != before.refresh_token_enc
    assert after.expires_at is not None
    assert b"at-1" not in (after.access_token_enc or b"")


def test_a_401_refreshes_once_and_retries(runtime: Runtime) -> None:
    server = TokenServer()
    account_id = connect(runtime)
    server.access_tokens = set()  # the provider revoked the access token early
    with HttpFactory(runtime.settings, transport=httpx.MockTransport(server.handle)) as factory:
        source = AccountTokenSource(runtime, account_id, factory)
        config = ProviderHttpConfig(provider="spotify", base_url="https://api.spotify.com/v1")
        http = factory.session(config, user_key=f"account-{account_id}", token=source)
        assert http.get_json("me", cache=False) == {"id": "me"}
    assert server.refreshes == 1


def test_revoked_refresh_token_marks_needs_reconnect(runtime: Runtime) -> None:
    server = TokenServer(refresh_tokens=set())
    account_id = connect(runtime, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with HttpFactory(runtime.settings, transport=httpx.MockTransport(server.handle)) as factory:
        source = AccountTokenSource(runtime, account_id, factory)
        with pytest.raises(NeedsReconnectError, match="revoked") as info:
            source.access_token()
        assert "rt-0" not in str(info.value)
        with pytest.raises(NeedsReconnectError, match="crossfade connect spotify"):
            AccountTokenSource(runtime, account_id, factory).access_token()
    row = account(runtime, account_id)
    assert row.status == "needs_reconnect" and "revoked" in (row.status_reason or "")


def test_expired_token_without_refresh_token_needs_reconnect(runtime: Runtime) -> None:
    account_id = connect(
        runtime, provider="deezer", refresh_token=None, expires_at=datetime.now(UTC)
    )
    transport = httpx.MockTransport(TokenServer().handle)
    with (
        HttpFactory(runtime.settings, transport=transport) as factory,
        pytest.raises(NeedsReconnectError, match="no refresh token"),
    ):
        AccountTokenSource(runtime, account_id, factory).access_token()
    assert account(runtime, account_id).status == "needs_reconnect"


def test_offline_token_never_refreshes(runtime: Runtime) -> None:
    account_id = connect(runtime, provider="deezer", refresh_token=None, expires_at=None)
    with HttpFactory(runtime.settings, transport=httpx.MockTransport(TokenServer().handle)) as f:
        assert AccountTokenSource(runtime, account_id, f).access_token() == "at-0"


def test_concurrent_refreshes_make_one_call(runtime: Runtime) -> None:
    """Two workers get a 401 at once: one refreshes, the other re-reads."""
    server = TokenServer(delay_s=0.3)
    account_id = connect(runtime)
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    with HttpFactory(runtime.settings, transport=httpx.MockTransport(server.handle)) as factory:
        sources = [AccountTokenSource(runtime, account_id, factory) for _ in range(2)]
        for source in sources:
            source.access_token()  # both hold at-0
        barrier = threading.Barrier(2)

        def work(n: int) -> None:
            try:
                barrier.wait()
                results[n] = sources[n].refresh()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert server.refreshes == 1
    assert results == {0: "at-1", 1: "at-1"}
    assert account(runtime, account_id).status == "connected"
