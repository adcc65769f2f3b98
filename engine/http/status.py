"""Translate HTTP outcomes into ``engine.errors`` at the boundary.

Final statuses (400, 403, 404, 409...) become errors at once; statuses that may
succeed later (429, 5xx) are classified here and retried by ``retry.py``.
"""

from __future__ import annotations

import httpx

from engine.errors import (
    AuthError,
    ConflictError,
    CrossfadeError,
    NotFoundError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)

_BODY_EXCERPT_CHARS = 300

SECRET_PARAMS = frozenset({"access_token", "key", "client_secret", "secret"})
"""Query parameters that carry credentials: never logged, cached or hashed."""


def redact_url(url: httpx.URL) -> str:
    """The URL without secrets (``access_token``, ``key``) for messages and logs."""
    params = [(k, v) for k, v in url.params.multi_items() if k not in SECRET_PARAMS]
    return str(url.copy_with(params=params)) if params else str(url.copy_with(query=None))


def body_excerpt(response: httpx.Response) -> str:
    """A short, single-line piece of the body for error messages."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    text = " ".join(text.split())
    if len(text) > _BODY_EXCERPT_CHARS:
        text = text[:_BODY_EXCERPT_CHARS] + "..."
    return text


def describe(response: httpx.Response) -> str:
    """``GET https://host/path -> 404: {body}`` without tokens."""
    request = response.request
    excerpt = body_excerpt(response)
    tail = f": {excerpt}" if excerpt else ""
    return f"{request.method} {redact_url(request.url)} -> {response.status_code}{tail}"


def final_error(provider: str, response: httpx.Response, note: str = "") -> CrossfadeError:
    """The error for a response that will not (or no longer) be retried."""
    status = response.status_code
    message = describe(response) + (f" ({note})" if note else "")
    if status == 401:
        return AuthError(f"{provider}: access token rejected ({message})")
    if status == 404:
        return NotFoundError(f"{provider}: not found ({message})")
    if status == 409:
        return ConflictError(f"{provider}: conflict ({message})")
    if status == 403:
        return ProviderError(message, provider=provider, kind="forbidden")
    if status == 429:
        return RateLimitedError(message, provider=provider)
    if status >= 500:
        return ProviderUnavailableError(message, provider=provider)
    return ProviderError(message, provider=provider, kind="bad-request" if status < 500 else None)


def transport_error(
    provider: str, request: httpx.Request, exc: httpx.RequestError
) -> CrossfadeError:
    """The error for a timeout or a connection failure after all retries."""
    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    return ProviderUnavailableError(
        f"{request.method} {redact_url(request.url)} {what}: {type(exc).__name__}",
        provider=provider,
    )
