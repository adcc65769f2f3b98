"""Token endpoint edge cases against the in-process sandbox, Google revocation
on disconnect, and the CLI's loopback listener driven in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.auth.crypto import generate_key, parse_key_ring
from engine.auth.endpoint import AppCredentials, TokenEndpoint
from engine.auth.loopback import (
    CallbackListener,
    LoopbackTarget,
    connect_with_loopback,
    loopback_target,
)
from engine.auth.oauth import disconnect, list_account_info
from engine.auth.specs import oauth_spec
from engine.auth.tokens import save_app_credentials
from engine.errors import AuthError, ProviderError, UsageError
from engine.http.factory import HttpFactory
from engine.runtime import Runtime
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.users import local_user

KEYS = generate_key("ep1")


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox.from_records(
        [{"title": "Song", "artists": ["Artist"], "isrc": "GBAYE2400001", "duration_ms": 1000}]
    )


@pytest.fixture
def runtime(sqlite_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path / "data", token_keys=KEYS, sandbox_url=DEFAULT_ROOT
    )
    rt = Runtime(settings.model_copy(update={"database_url": sqlite_url}))
    yield rt
    rt.close()


def factory(runtime: Runtime, transport: httpx.BaseTransport) -> HttpFactory:
    return HttpFactory(runtime.settings, transport=transport, sleep=lambda _s: None)


def test_deezer_wrong_code_and_wrong_secret(sandbox: Sandbox, runtime: Runtime) -> None:
    spec = oauth_spec("deezer", runtime.settings)
    with factory(runtime, sandbox.transport()) as http:
        good = TokenEndpoint(spec, AppCredentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), http)
        with pytest.raises(AuthError, match="wrong code"):
            good.exchange_code("not-a-code", "http://127.0.0.1/cb", None)
        bad = TokenEndpoint(spec, AppCredentials(DEFAULT_CLIENT_ID, "nope"), http)
        with pytest.raises(AuthError, match="wrong app_id or secret"):
            bad.exchange_code("not-a-code", "http://127.0.0.1/cb", None)


def test_invalid_client_and_invalid_grant(sandbox: Sandbox, runtime: Runtime) -> None:
    spec = oauth_spec("tidal", runtime.settings)
    with factory(runtime, sandbox.transport()) as http:
        wrong = TokenEndpoint(spec, AppCredentials(DEFAULT_CLIENT_ID, "wrong"), http)
        with pytest.raises(AuthError, match="apps set tidal"):
            wrong.refresh("whatever")
        right = TokenEndpoint(spec, AppCredentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), http)
        with pytest.raises(AuthError, match="grant refused") as info:
            right.exchange_code("bogus", "http://127.0.0.1/cb", "v" * 43)
        assert info.value.kind == "invalid-grant"
        assert "app credentials" not in repr(right)


def test_unreachable_token_endpoint(runtime: Runtime) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    spec = oauth_spec("spotify", runtime.settings)
    with factory(runtime, httpx.MockTransport(refuse)) as http:
        endpoint = TokenEndpoint(spec, AppCredentials(DEFAULT_CLIENT_ID), http)
        with pytest.raises(ProviderError, match="connection failed"):
            endpoint.refresh("rt")


def test_token_response_without_token_or_with_bad_expiry(runtime: Runtime) -> None:
    bodies = iter([{"token_type": "Bearer"}, {"access_token": "a", "expires_in": "soon"}])

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(bodies))

    spec = oauth_spec("spotify", runtime.settings)
    with factory(runtime, httpx.MockTransport(answer)) as http:
        endpoint = TokenEndpoint(spec, AppCredentials(DEFAULT_CLIENT_ID), http)
        with pytest.raises(AuthError, match="refused"):
            endpoint.refresh("rt")
        with pytest.raises(AuthError, match="bad expiry"):
            endpoint.refresh("rt")


def _set_app(runtime: Runtime, provider: str, secret: str | None) -> int:
    with session_scope(runtime.engine) as session:
        uid = local_user(session).id
        save_app_credentials(
            session,
            parse_key_ring(KEYS),
            user_id=uid,
            provider=provider,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=secret,
        )
    return uid


def test_loopback_connect_and_google_revocation(sandbox: Sandbox, runtime: Runtime) -> None:
    uid = _set_app(runtime, "youtube", DEFAULT_CLIENT_SECRET)

    def browser(url: str) -> None:
        assert "access_type=offline" in url and "prompt=consent" in url
        with httpx.Client(transport=sandbox.transport()) as client:
            redirect = client.get(url).headers["location"]
        assert httpx.get(redirect).status_code == 200  # the real loopback listener

    with factory(runtime, sandbox.transport()) as http:
        account_id = connect_with_loopback(
            runtime,
            uid,
            "youtube",
            browser,
            target=LoopbackTarget(port=0),
            timeout=10,
            http_factory=http,
        )
        refresh_tokens = [t for t in sandbox.state.refresh.values() if t.provider == "youtube"]
        assert len(refresh_tokens) == 1 and not refresh_tokens[0].revoked
        assert disconnect(runtime, uid, "youtube", http_factory=http)
        assert refresh_tokens[0].revoked  # revoked at Google, not only wiped here
        assert not disconnect(runtime, uid, "spotify", http_factory=http)
    [info] = list_account_info(runtime, uid)
    assert (info.id, info.status, info.key_id) == (account_id, "disconnected", None)


def test_listener_edges() -> None:
    with pytest.raises(UsageError, match="loopback"):
        CallbackListener(host="0.0.0.0")
    with pytest.raises(UsageError, match="not started"):
        _ = CallbackListener(port=0).redirect_uri
    with CallbackListener(port=0) as listener:
        base = listener.redirect_uri.rsplit("/", 1)[0]
        assert httpx.get(base + "/favicon.ico").status_code == 404
        with pytest.raises(AuthError, match="no callback arrived"):
            listener.wait(timeout=0.05)
        with pytest.raises(UsageError, match="cannot listen"):
            CallbackListener(port=int(base.rsplit(":", 1)[1])).__enter__()


def test_loopback_target_follows_the_saved_redirect_uri() -> None:
    assert loopback_target(None) == LoopbackTarget("127.0.0.1", 8765, "/callback")
    assert loopback_target("https://crossfade.example.org/") == LoopbackTarget()
    saved = "http://localhost:9000/oauth/done"
    assert loopback_target(saved) == LoopbackTarget("localhost", 9000, "/oauth/done")
    assert loopback_target(saved, 0) == LoopbackTarget("localhost", 0, "/oauth/done")
