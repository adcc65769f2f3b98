"""The contract between provider modules and the shared HTTP stack.

Providers receive a :class:`ProviderHttp` built by ``engine.http.factory`` and
never touch httpx directly. The stack owns timeouts, retries with backoff
(honouring Retry-After), rate limiting, the GET cache, the circuit breaker,
auth headers, and the mapping of HTTP failures to ``engine.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

AuthStyle = Literal["bearer", "query_access_token", "none"]


class TokenSource(Protocol):
    """Gives the access token for one account; ``refresh`` is called on a 401
    and returns a new one (or raises NeedsReconnectError)."""

    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


@dataclass(frozen=True)
class StaticToken:
    """A fixed token (tests, sandbox, public catalogue calls)."""

    token: str

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> str:
        return self.token


class Retryable(Exception):
    """Raised by a provider's response check for a failure that may succeed
    later (e.g. Deezer's quota error inside an HTTP 200)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


ResponseCheck = Callable[[httpx.Response], None]
"""Provider hook run on every response: raise ``Retryable`` or an
``engine.errors`` exception (QuotaExceededError, PlaylistFullError...)."""


@dataclass(frozen=True)
class ProviderHttpConfig:
    provider: str
    base_url: str
    auth_style: AuthStyle = "bearer"
    rate_per_s: float = 10.0
    burst: int = 10
    check_response: ResponseCheck | None = None
    default_headers: Mapping[str, str] | None = None


class ProviderHttp(Protocol):
    """One provider's HTTP session for one user."""

    provider: str

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET ``path`` (relative to base_url, or an absolute ``next`` URL) and
        return the decoded JSON; cached per user when ``cache`` is true."""
        ...

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Any request, with retries where the method is safe to retry or an
        idempotency key is sent; returns the final successful response."""
        ...
