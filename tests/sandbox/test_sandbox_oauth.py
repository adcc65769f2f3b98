"""The emulated authorize/token endpoints: PKCE, state echo, expiry, single-use refresh."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sandbox_helpers import URLS

from engine.sandbox import Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, s256

REDIRECT = "http://127.0.0.1:53682/callback"
SCOPES = {
    "spotify": "playlist-read-private playlist-modify-private user-library-read",
    "tidal": "user.read playlists.read playlists.write collection.read",
    "youtube": "https://www.googleapis.com/auth/youtube",
}
ME = {"spotify": "/me", "tidal": "/users/me", "youtube": "/channels?part=id&mine=true"}


def authorize(client: httpx.Client, provider: str, verifier: str, **extra: str) -> httpx.Response:
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SCOPES[provider],
        "state": "st-123",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    return client.get(URLS[provider]["authorize"], params=params)


def callback(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(
    client: httpx.Client, provider: str, code: str, verifier: str, **extra: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": DEFAULT_CLIENT_ID,
        "code_verifier": verifier,
        **extra,
    }
    if provider == "youtube":
        form.setdefault("client_secret", DEFAULT_CLIENT_SECRET)
    return client.post(URLS[provider]["token"], data=form)


def refresh(client: httpx.Client, provider: str, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": DEFAULT_CLIENT_ID}
    if provider == "youtube":
        form["client_secret"] = DEFAULT_CLIENT_SECRET
    return client.post(URLS[provider]["token"], data=form)


def verifier() -> str:
    return secrets.token_urlsafe(48)


@pytest.mark.parametrize("provider", ["spotify", "tidal", "youtube"])
def test_pkce_flow_connect_expire_refresh(
    provider: str, sandbox: Sandbox, client: httpx.Client
) -> None:
    v = verifier()
    extra = {"access_type": "offline"} if provider == "youtube" else {}
    params = callback(authorize(client, provider, v, sandbox_user="erin", **extra))
    assert params["state"] == "st-123"
    token = exchange(client, provider, params["code"], v)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 3000
    assert body["refresh_token"]
    api = URLS[provider]["api"]
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(api + ME[provider], headers=auth).status_code == 200
    sandbox.expire_tokens(provider, "erin")
    assert client.get(api + ME[provider], headers=auth).status_code == 401
    renewed = refresh(client, provider, body["refresh_token"])
    assert renewed.status_code == 200
    fresh = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert client.get(api + ME[provider], headers=fresh).status_code == 200
    replay = exchange(client, provider, params["code"], v)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_spotify_refresh_tokens_are_single_use(sandbox: Sandbox, client: httpx.Client) -> None:
    v = verifier()
    code = callback(authorize(client, "spotify", v))["code"]
    first = exchange(client, "spotify", code, v).json()["refresh_token"]
    second = refresh(client, "spotify", first)
    assert second.status_code == 200
    rotated = second.json()["refresh_token"]
    assert rotated != first
    reused = refresh(client, "spotify", first)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert refresh(client, "spotify", rotated).status_code == 200


def test_tidal_refresh_tokens_are_reusable_until_revoked(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    v = verifier()
    code = callback(authorize(client, "tidal", v))["code"]
    body = exchange(client, "tidal", code, v).json()
    assert isinstance(body["user_id"], int)
    token = body["refresh_token"]
    assert refresh(client, "tidal", token).status_code == 200
    assert "refresh_token" not in refresh(client, "tidal", token).json()
    assert sandbox.revoke_refresh_tokens("tidal") == 1
    revoked = refresh(client, "tidal", token)
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("change", ["verifier", "redirect", "client"])
def test_exchange_checks_verifier_redirect_and_client(
    change: str, sandbox: Sandbox, client: httpx.Client
) -> None:
    v = verifier()
    code = callback(authorize(client, "spotify", v))["code"]
    extra: dict[str, str] = {
        "verifier": {"code_verifier": verifier()},
        "redirect": {"redirect_uri": "http://127.0.0.1:53682/other"},
        "client": {"client_id": "someone-else"},
    }[change]
    response = exchange(client, "spotify", code, v, **extra)
    assert response.status_code == 400
    wanted = "invalid_client" if change == "client" else "invalid_grant"
    assert response.json()["error"] == wanted
    assert "access_token" not in response.json()


def test_authorize_refuses_bad_requests(sandbox: Sandbox, client: httpx.Client, clock: Any) -> None:
    v = verifier()
    unknown = client.get(
        URLS["spotify"]["authorize"], params={"client_id": "x", "redirect_uri": REDIRECT}
    )
    assert unknown.status_code == 400
    sandbox.register_app("spotify", "registered", "s3cret", ["http://127.0.0.1/cb"])
    foreign = authorize(
        client, "spotify", v, client_id="registered", redirect_uri="https://evil.example/cb"
    )
    assert foreign.status_code == 400
    any_port = authorize(
        client, "spotify", v, client_id="registered", redirect_uri="http://127.0.0.1:4000/cb"
    )
    assert any_port.status_code == 302
    denied = callback(authorize(client, "spotify", v, sandbox_deny="1"))
    assert denied == {"error": "access_denied", "state": "st-123"}
    scope = callback(authorize(client, "spotify", v, scope="everything"))
    assert scope["error"] == "invalid_scope"
    plain = callback(authorize(client, "spotify", v, code_challenge_method="plain"))
    assert plain["error"] == "invalid_request"
    code = callback(authorize(client, "spotify", v))["code"]
    clock.now += 601
    late = exchange(client, "spotify", code, v)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_google_needs_secret_and_offline_for_refresh(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    v = verifier()
    online = callback(authorize(client, "youtube", v))["code"]
    body = exchange(client, "youtube", online, v).json()
    assert "refresh_token" not in body
    code = callback(authorize(client, "youtube", v, access_type="offline"))["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": DEFAULT_CLIENT_ID,
        "code_verifier": v,
    }
    assert client.post(URLS["youtube"]["token"], data=form).status_code == 400
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:wrong".encode()).decode()
    wrong = client.post(
        URLS["youtube"]["token"],
        data={**form, "code": code},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    code = callback(authorize(client, "youtube", v, access_type="offline"))["code"]
    token = exchange(client, "youtube", code, v).json()
    revoked = client.post(URLS["youtube"]["revoke"], data={"token": token["refresh_token"]})
    assert revoked.status_code == 200
    assert refresh(client, "youtube", token["refresh_token"]).json()["error"] == "invalid_grant"


def test_deezer_flow_returns_form_text(sandbox: Sandbox, client: httpx.Client) -> None:
    auth = client.get(
        URLS["deezer"]["authorize"],
        params={
            "app_id": DEFAULT_CLIENT_ID,
            "redirect_uri": REDIRECT,
            "perms": "basic_access,offline_access,manage_library",
            "state": "s1",
        },
    )
    params = callback(auth)
    assert params["state"] == "s1"
    token = client.get(
        URLS["deezer"]["token"],
        params={
            "app_id": DEFAULT_CLIENT_ID,
            "secret": DEFAULT_CLIENT_SECRET,
            "code": params["code"],
        },
    )
    assert token.headers["content-type"].startswith("text/html")
    fields = parse_qs(token.text)
    assert fields["expires"] == ["0"] and "refresh_token" not in fields
    access = fields["access_token"][0]
    me = client.get(URLS["deezer"]["api"] + "/user/me", params={"access_token": access})
    assert me.json()["name"] == "Sandbox-User"
    again = client.get(
        URLS["deezer"]["token"],
        params={
            "app_id": DEFAULT_CLIENT_ID,
            "secret": DEFAULT_CLIENT_SECRET,
            "code": params["code"],
        },
    )
    assert again.text == "wrong code"
    code = callback(
        client.get(
            URLS["deezer"]["authorize"],
            params={"app_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT, "perms": "basic_access"},
        )
    )["code"]
    online = client.get(
        URLS["deezer"]["token"],
        params={
            "app_id": DEFAULT_CLIENT_ID,
            "secret": DEFAULT_CLIENT_SECRET,
            "code": code,
            "output": "json",
        },
    ).json()
    assert online["expires"] == 3600


def test_token_endpoint_wants_a_form_post(sandbox: Sandbox, client: httpx.Client) -> None:
    as_json = client.post(URLS["spotify"]["token"], json={"grant_type": "refresh_token"})
    assert as_json.status_code == 400
    assert client.get(URLS["spotify"]["token"]).status_code == 405
    grant = client.post(
        URLS["spotify"]["token"], data={"grant_type": "password", "client_id": DEFAULT_CLIENT_ID}
    )
    assert grant.json()["error"] == "unsupported_grant_type"
