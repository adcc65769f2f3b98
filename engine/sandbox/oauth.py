"""Emulated authorize and token endpoints of the four providers (see each ``auth.json``).

* Spotify, TIDAL, Google: authorization code with PKCE. The ``code_verifier``
  (43-128 chars of ``[A-Za-z0-9-._~]``) must hash (S256; Google also ``plain``)
  to the ``code_challenge`` given at authorize; ``redirect_uri`` and
  ``client_id`` must match; codes are single-use and expire in 10 minutes;
  Google requires the ``client_secret`` and returns a refresh token only for
  ``access_type=offline``. Spotify PKCE refresh tokens are SINGLE-USE (each
  refresh returns a new one; reusing one gets ``invalid_grant``); TIDAL and
  Google refresh tokens are reusable until revoked.
* Deezer: ``app_id``/``secret``/``perms``; the token comes back as form text
  ``access_token=...&expires=0`` (``expires=0`` with ``offline_access``), or as
  JSON with ``output=json``; no refresh token.

Sandbox-only behaviour (no real service does this): ``GET authorize`` approves
at once and answers 302 to ``redirect_uri`` with ``code`` and ``state``; the
extra parameter ``sandbox_user`` names the user who "logs in" (default
``sandbox-user``) and ``sandbox_deny=1`` makes the user refuse
(``error=access_denied``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlencode, urlsplit

import httpx

from engine.sandbox.state import ALL_SCOPES, App, AuthCode, SandboxState
from engine.sandbox.wire import SandboxRequest, json_response

DEFAULT_CLIENT_ID = "crossfade-sandbox"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
DEFAULT_USER = "sandbox-user"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def redirect_allowed(app: App, uri: str) -> bool:
    """Registered URIs match exactly, except that a loopback URI may use any port."""
    parts = urlsplit(uri)
    loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not app.redirect_uris:
        return loopback
    for registered in app.redirect_uris:
        if registered == uri:
            return True
        reg = urlsplit(registered)
        if loopback and reg.hostname == parts.hostname and reg.path == parts.path:
            return True
    return False


def _oauth_error(status: int, error: str, description: str) -> httpx.Response:
    return json_response(status, {"error": error, "error_description": description})


def _redirect(uri: str, params: dict[str, str]) -> httpx.Response:
    sep = "&" if "?" in uri else "?"
    return httpx.Response(302, headers={"location": uri + sep + urlencode(params)})


class OAuthEndpoints:
    """Authorize + token endpoints for one provider."""

    def __init__(self, state: SandboxState, provider: str) -> None:
        self.state = state
        self.provider = provider

    @property
    def client_param(self) -> str:
        return "app_id" if self.provider == "deezer" else "client_id"

    def _app(self, client_id: str | None) -> App | None:
        if not client_id:
            return None
        return self.state.apps.get((self.provider, client_id))

    # authorize ----------------------------------------------------------------
    def authorize(self, request: SandboxRequest) -> httpx.Response:
        if request.method != "GET":
            return httpx.Response(405)
        q = dict(request.query)
        app = self._app(q.get(self.client_param))
        if app is None:
            return httpx.Response(400, text="INVALID_CLIENT: Invalid client")
        redirect_uri = q.get("redirect_uri", "")
        if not redirect_allowed(app, redirect_uri):
            return httpx.Response(400, text="INVALID_CLIENT: Invalid redirect URI")
        state = q.get("state")
        echo = {"state": state} if state is not None else {}
        if self.provider != "deezer" and q.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", **echo})
        if q.get("sandbox_deny") == "1":
            key = "error_reason" if self.provider == "deezer" else "error"
            return _redirect(redirect_uri, {key: "access_denied", **echo})
        scopes = self._scopes(q)
        if scopes is None:
            return _redirect(redirect_uri, {"error": "invalid_scope", **echo})
        challenge = q.get("code_challenge")
        method = q.get("code_challenge_method")
        allowed_methods = ("S256", "plain") if self.provider == "youtube" else ("S256",)
        if challenge and (method or "plain") not in allowed_methods:
            return _redirect(redirect_uri, {"error": "invalid_request", **echo})
        if self.provider == "tidal" and not challenge:
            return _redirect(redirect_uri, {"error": "invalid_request", **echo})
        if self.provider == "youtube" and q.get("access_type") == "offline":
            scopes = (*scopes, "offline")
        code = self.state.new_secret(f"{self.provider[:2]}code")
        self.state.codes[code] = AuthCode(
            code=code,
            provider=self.provider,
            client_id=app.client_id,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            challenge_method=(method or "plain") if challenge else None,
            scopes=scopes,
            user_id=q.get("sandbox_user") or DEFAULT_USER,
            expires_at=self.state.clock() + self.state.config.auth_code_ttl_s,
        )
        return _redirect(redirect_uri, {"code": code, **echo})

    def _scopes(self, q: dict[str, str]) -> tuple[str, ...] | None:
        if self.provider == "deezer":
            asked = tuple(p for p in q.get("perms", "basic_access").split(",") if p)
        else:
            asked = tuple(q.get("scope", "").split())
        known = ALL_SCOPES[self.provider]
        if self.provider == "tidal":
            known = (
                *known,
                "r_usr",
                "w_usr",
                "playback",
                "entitlements.read",
                "recommendations.read",
                "search.write",
            )
        if self.provider == "youtube":
            known = (
                *known,
                "https://www.googleapis.com/auth/youtube.readonly",
                "https://www.googleapis.com/auth/youtube.force-ssl",
                "openid",
                "email",
                "profile",
            )
        if any(s not in known for s in asked):
            return None
        return asked

    # token ---------------------------------------------------------------------------
    def token(self, request: SandboxRequest) -> httpx.Response:
        if self.provider == "deezer":
            return self._deezer_token(request)
        if request.method != "POST":
            return httpx.Response(405)
        form = request.form() if request.body else {}
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return _oauth_error(
                400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        client_id, secret = _basic(request)
        client_id = client_id or form.get("client_id")
        secret = secret or form.get("client_secret")
        app = self._app(client_id)
        if app is None or (secret is not None and secret != app.client_secret):
            status = 401 if self.provider == "youtube" else 400
            return _oauth_error(status, "invalid_client", "Invalid client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._exchange(app, form, secret)
        if grant == "refresh_token":
            return self._refresh(app, form, secret)
        return _oauth_error(
            400,
            "unsupported_grant_type",
            f"grant_type must be authorization_code or refresh_token, not {grant!r}",
        )

    def _exchange(self, app: App, form: dict[str, str], secret: str | None) -> httpx.Response:
        code = self.state.codes.get(form.get("code", ""))
        if code is None or code.provider != self.provider or code.used:
            return _oauth_error(400, "invalid_grant", "Invalid authorization code")
        code.used = True  # single use, even when the exchange fails below
        if code.expires_at <= self.state.clock():
            return _oauth_error(400, "invalid_grant", "Authorization code expired")
        if code.client_id != app.client_id:
            return _oauth_error(400, "invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "invalid_grant", "Invalid redirect URI")
        verifier = form.get("code_verifier")
        if code.code_challenge:
            if not verifier or not _VERIFIER.match(verifier):
                return _oauth_error(400, "invalid_grant", "code_verifier was incorrect")
            expected = s256(verifier) if code.challenge_method == "S256" else verifier
            if expected != code.code_challenge:
                return _oauth_error(400, "invalid_grant", "code_verifier was incorrect")
        elif secret is None:
            return _oauth_error(400, "invalid_client", "Invalid client secret")
        if self.provider == "youtube" and secret is None:
            return _oauth_error(400, "invalid_request", "client_secret is missing.")
        offline = self.provider != "youtube" or "offline" in code.scopes
        scopes = tuple(s for s in code.scopes if s != "offline")
        pair = self.state.issue(self.provider, code.user_id, app.client_id, scopes, offline=offline)
        return json_response(
            200, self._token_body(pair.access_token, pair.refresh_token, scopes, code.user_id)
        )

    def _refresh(self, app: App, form: dict[str, str], secret: str | None) -> httpx.Response:
        token = self.state.refresh.get(form.get("refresh_token", ""))
        if token is None or token.provider != self.provider or token.client_id != app.client_id:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token")
        if token.revoked:
            return _oauth_error(400, "invalid_grant", "Refresh token revoked")
        if token.used:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token")
        if self.provider == "youtube" and secret is None:
            return _oauth_error(400, "invalid_request", "client_secret is missing.")
        scopes = token.scopes
        if token.single_use:
            token.used = True
            pair = self.state.issue(self.provider, token.user_id, app.client_id, scopes)
            refresh = pair.refresh_token
        else:
            pair = self.state.issue(
                self.provider, token.user_id, app.client_id, scopes, offline=False
            )
            refresh = None
        return json_response(
            200, self._token_body(pair.access_token, refresh, scopes, token.user_id)
        )

    def _token_body(
        self, access: str, refresh: str | None, scopes: tuple[str, ...], user_id: str
    ) -> dict[str, object]:
        ttl = self.state.config.access_token_ttl_s
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "scope": " ".join(scopes),
            "expires_in": ttl - 1 if self.provider == "youtube" else ttl,
        }
        if refresh:
            body["refresh_token"] = refresh
        if self.provider == "tidal":
            body["user_id"] = int(_numeric(user_id))
        return body

    def _deezer_token(self, request: SandboxRequest) -> httpx.Response:
        form = request.form()
        app = self._app(form.get("app_id"))
        if app is None or form.get("secret") != app.client_secret:
            return httpx.Response(
                200,
                text="wrong app_id or secret",
                headers={"content-type": "text/html; charset=utf-8"},
            )
        code = self.state.codes.get(form.get("code", ""))
        if (
            code is None
            or code.used
            or code.provider != "deezer"
            or code.client_id != app.client_id
            or code.expires_at <= self.state.clock()
        ):
            return httpx.Response(
                200, text="wrong code", headers={"content-type": "text/html; charset=utf-8"}
            )
        code.used = True
        offline = "offline_access" in code.scopes
        pair = self.state.issue("deezer", code.user_id, app.client_id, code.scopes, offline=offline)
        expires = 0 if offline else self.state.config.access_token_ttl_s
        if form.get("output") == "json":
            return json_response(200, {"access_token": pair.access_token, "expires": expires})
        return httpx.Response(
            200,
            text=urlencode({"access_token": pair.access_token, "expires": expires}),
            headers={"content-type": "text/html; charset=utf-8"},
        )

    # Google revoke ---------------------------------------------------------------------------
    def revoke(self, request: SandboxRequest) -> httpx.Response:
        token = request.form().get("token", "")
        found = False
        if token in self.state.refresh:
            self.state.refresh[token].revoked = True
            found = True
        if token in self.state.access:
            self.state.access[token].expires_at = self.state.clock() - 1
            found = True
        if not found:
            return _oauth_error(400, "invalid_token", "Token expired or revoked")
        return json_response(200, {})


def _basic(request: SandboxRequest) -> tuple[str | None, str | None]:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value).decode()
    except ValueError:
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _numeric(user_id: str) -> str:
    if user_id.isdigit():
        return user_id
    return str(int.from_bytes(hashlib.sha256(user_id.encode()).digest()[:4], "big"))
