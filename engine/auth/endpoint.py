"""Calls to the providers' token endpoints (code exchange, refresh, revoke).

Choice (documented in docs/connecting.md): oauthlib — the engine underneath
requests-oauthlib — builds the PKCE verifier/challenge and the token request
bodies; the requests themselves go through the shared HTTP stack
(``engine.http.factory.HttpFactory``) like every other call, so the same
injected transport reaches the sandbox in tests, timeouts and the User-Agent
apply, and POSTs are never blindly retried (a Spotify PKCE refresh token is
single-use: a retried refresh that had been processed would lose the
account). ``requests_oauthlib.OAuth2Session`` itself is not used: it insists
on HTTPS (the loopback sandbox is HTTP), logs token bodies at DEBUG, and
sends through ``requests`` rather than our transport.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import httpx
from oauthlib.oauth2 import WebApplicationClient

from engine.auth.redact import redact
from engine.auth.specs import OAuthSpec
from engine.errors import AuthError, NeedsReconnectError
from engine.http.types import ProviderHttp, ProviderHttpConfig, TokenSource

INVALID_GRANT = "invalid-grant"
"""``AuthError.kind`` of a refused code or refresh token."""


@dataclass(frozen=True)
class TokenPair:
    """Tokens of one account; never shown in a repr."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    """None: the token does not expire (Deezer offline_access)."""
    scope: str | None = None
    provider_user_id: str | None = None

    def expiring(self, now: datetime, skew: timedelta) -> bool:
        return self.expires_at is not None and self.expires_at - skew <= now


@dataclass(frozen=True)
class AppCredentials:
    """A user's own app registration for one provider."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str | None = None


class SessionFactory(Protocol):
    """What this package needs of ``engine.http.factory.HttpFactory``."""

    def session(
        self, config: ProviderHttpConfig, *, user_key: str, token: TokenSource | None
    ) -> ProviderHttp: ...


def pkce_pair() -> tuple[str, str]:
    """A fresh (code_verifier, S256 code_challenge)."""
    client = WebApplicationClient("")
    verifier = client.create_code_verifier(64)
    return verifier, client.create_code_challenge(verifier, "S256")


class TokenEndpoint:
    """One provider's token endpoint for one app registration."""

    def __init__(
        self,
        spec: OAuthSpec,
        app: AppCredentials,
        http_factory: SessionFactory,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.spec = spec
        self.app = app
        self._factory = http_factory
        self._now = now

    def __repr__(self) -> str:
        return f"TokenEndpoint({self.spec.provider!r}, client_id={self.app.client_id!r})"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None) -> TokenPair:
        """Trade an authorization code for tokens."""
        if self.spec.flow == "deezer":
            form = {
                "app_id": self.app.client_id,
                "secret": self.app.client_secret or "",
                "code": code,
                "output": "json",
            }
            return self._post(form, previous_refresh=None)
        client = WebApplicationClient(self.app.client_id)
        extra: dict[str, Any] = {}
        if self.spec.client_auth == "body" and self.app.client_secret:
            extra["client_secret"] = self.app.client_secret
        if self.spec.send_scope:
            extra["scope"] = " ".join(self.spec.scopes)
        body = client.prepare_request_body(
            code=code,
            redirect_uri=redirect_uri,
            include_client_id=True,
            code_verifier=code_verifier,
            **extra,
        )
        return self._post(dict(parse_qsl(body)), previous_refresh=None)

    def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair; NeedsReconnectError when the refresh token is refused."""
        client = WebApplicationClient(self.app.client_id)
        extra: dict[str, Any] = {"client_id": self.app.client_id}
        if self.spec.client_auth == "body" and self.app.client_secret:
            extra["client_secret"] = self.app.client_secret
        scope = list(self.spec.scopes) if self.spec.send_scope else None
        body = client.prepare_refresh_body(refresh_token=refresh_token, scope=scope, **extra)
        try:
            return self._post(dict(parse_qsl(body)), previous_refresh=refresh_token)
        except AuthError as exc:
            if exc.kind == INVALID_GRANT:
                raise NeedsReconnectError(
                    f"{self.spec.provider}: the refresh token was revoked or has expired; "
                    "reconnect the account"
                ) from None
            raise

    def revoke(self, token: str) -> bool:
        """Revoke at the provider where it has an endpoint; False where it has none."""
        if not self.spec.revoke_url:
            return False
        self._session().send("POST", self.spec.revoke_url, data={"token": token})
        return True

    # -- internals ---------------------------------------------------------------

    def _session(self) -> ProviderHttp:
        parts = urlsplit(self.spec.token_url)
        config = ProviderHttpConfig(
            provider=f"{self.spec.provider}-oauth",
            base_url=f"{parts.scheme}://{parts.netloc}",
            auth_style="none",
            check_response=_check_token_response(self.spec.provider),
            default_headers={"Accept": "application/json"},
        )
        session: ProviderHttp = self._factory.session(config, user_key="oauth", token=None)
        return session

    def _post(self, form: Mapping[str, str], *, previous_refresh: str | None) -> TokenPair:
        # Timeouts and connection failures come back as ProviderError from the stack.
        response = self._session().send("POST", self.spec.token_url, data=form)
        payload = _token_payload(self.spec.provider, response)
        return self._pair(payload, previous_refresh)

    def _pair(self, payload: Mapping[str, Any], previous_refresh: str | None) -> TokenPair:
        access = str(payload.get("access_token") or "")
        if not access:
            raise AuthError(f"{self.spec.provider}: the token endpoint returned no access token")
        raw_expiry = payload.get("expires_in", payload.get("expires"))
        expires_at = None
        if raw_expiry not in (None, "", 0, "0"):
            try:
                expires_at = self._now() + timedelta(seconds=int(float(str(raw_expiry))))
            except ValueError:
                raise AuthError(
                    f"{self.spec.provider}: the token endpoint returned a bad expiry"
                ) from None
        refresh = payload.get("refresh_token") or previous_refresh
        user_id = payload.get("user_id")
        return TokenPair(
            access_token=access,
            refresh_token=str(refresh) if refresh else None,
            expires_at=expires_at,
            scope=str(payload["scope"]) if payload.get("scope") else None,
            provider_user_id=str(user_id) if user_id not in (None, "") else None,
        )


def _token_payload(provider: str, response: httpx.Response) -> Mapping[str, Any]:
    """JSON, or Deezer's form text ``access_token=...&expires=0``."""
    text = response.text.strip()
    try:
        payload = json.loads(text)
    except ValueError:
        payload = dict(parse_qsl(text))
    if not isinstance(payload, dict) or "access_token" not in payload:
        error = payload.get("error") if isinstance(payload, dict) else None
        detail = _error_text(error) if error else redact(text[:120]) or "empty response"
        raise AuthError(f"{provider}: token request refused ({detail})")
    return payload


def _error_text(error: Any) -> str:
    if isinstance(error, dict):  # Deezer: {"error": {"type", "message", "code"}}
        return redact(f"{error.get('type', '')} {error.get('message', '')}".strip())
    return redact(str(error))


def _check_token_response(provider: str) -> Callable[[httpx.Response], None]:
    """Map OAuth error bodies (RFC 6749 §5.2) before the stack maps the status."""

    def check(response: httpx.Response) -> None:
        if response.status_code < 400 or response.status_code == 429 or response.status_code >= 500:
            return
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = str(body.get("error", "")) if isinstance(body, dict) else ""
        description = body.get("error_description", "") if isinstance(body, dict) else ""
        detail = redact(f"{error}: {description}" if description else error) or str(
            response.status_code
        )
        if error == "invalid_grant":
            raise AuthError(f"{provider}: grant refused ({detail})", kind=INVALID_GRANT)
        if error in {"invalid_client", "unauthorized_client"}:
            raise AuthError(
                f"{provider}: the app credentials were refused ({detail}); "
                f"check `crossfade apps set {provider}`"
            )
        raise AuthError(f"{provider}: token request refused ({detail})")

    return check
