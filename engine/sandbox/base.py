"""What the four emulated APIs share: token check, scopes, dispatch, errors."""

from __future__ import annotations

from abc import ABC, abstractmethod

import httpx

from engine.sandbox.state import AccessToken, SandboxState
from engine.sandbox.wire import ApiError, Router, SandboxRequest


class ProviderApi(ABC):
    """One emulated API; subclasses add routes and render errors in their shape."""

    name: str

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.router = Router()
        self.token: AccessToken | None = None
        self.register()

    @abstractmethod
    def register(self) -> None:
        """Add routes to ``self.router``."""

    @abstractmethod
    def render_error(self, error: ApiError) -> httpx.Response:
        """The API's own error body for ``error``."""

    def not_found_response(self, request: SandboxRequest) -> httpx.Response:
        return self.render_error(ApiError(404, "Service not found"))

    def token_of(self, request: SandboxRequest) -> str | None:
        return request.bearer()

    def before(self, request: SandboxRequest) -> None:
        """Per-request limits checked after authentication (rate limits, quotas)."""
        return None

    def quota_response(self) -> httpx.Response:
        """The provider's own answer when a quota or rate limit is exhausted."""
        return self.render_error(
            ApiError(429, "API rate limit exceeded", headers={"Retry-After": "1"})
        )

    def authenticate(self, request: SandboxRequest, scopes: tuple[str, ...]) -> AccessToken:
        raw = self.token_of(request)
        if raw is None:
            raise ApiError(401, "No token provided", reason="missing")
        token = self.state.valid_access(self.name, raw)
        if token is None:
            known = self.state.access.get(raw)
            expired = known is not None and known.provider == self.name
            raise ApiError(
                401,
                "The access token expired" if expired else "Invalid access token",
                reason="expired" if expired else "invalid",
            )
        if scopes and not set(scopes) & set(token.scopes):
            raise ApiError(403, "Insufficient client scope", reason="scope")
        return token

    def handle(self, request: SandboxRequest) -> httpx.Response:
        try:
            matched = self.router.match(request)
            if matched is None:
                return self.not_found_response(request)
            handler, scopes = matched
            self.token = self.authenticate(request, scopes)
            self.before(request)
            return handler(request)
        except ApiError as error:
            return self.render_error(error)
        finally:
            self.token = None

    @property
    def user_id(self) -> str:
        if self.token is None:  # pragma: no cover - handlers run after authenticate
            raise ApiError(401, "No token provided")
        return self.token.user_id
