"""When to try a request again, and how long to wait first.

Waits are exponential backoff with full jitter (``uniform(0, min(cap, base *
2**attempt))``) unless the provider says how long: a ``Retry-After`` header in
seconds or as an HTTP date (any header case), or ``Retryable.retry_after``. A
missing, zero, negative or unreadable Retry-After falls back to the backoff; a
wait longer than ``max_wait_s`` is not waited out: the error is reported.

Idempotent methods are retried on any transient failure. POST and PATCH are
retried only when the request is known not to have been processed (the
connection was never made, a 429, a 503 carrying Retry-After, a provider's
``Retryable``) or when it carries an ``Idempotency-Key`` header.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Transport failures after which the server cannot have seen the request."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    max_wait_s: float = 120.0

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Full-jitter wait before retry number ``attempt + 1``."""
        return rng() * min(self.cap_s, self.base_s * (2**attempt))

    def wait(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """The provider's wait when it gave a positive one, else the backoff."""
        if retry_after is not None and retry_after > 0:
            return retry_after
        return self.backoff(attempt, rng)


def parse_retry_after(headers: Mapping[str, str] | httpx.Headers, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None
    when it is missing or unreadable. ``now`` is wall-clock epoch seconds."""
    value = _header(headers, "retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def _header(headers: Mapping[str, str] | httpx.Headers, name: str) -> str | None:
    if isinstance(headers, httpx.Headers):
        return headers.get(name)
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def has_idempotency_key(headers: httpx.Headers) -> bool:
    return bool(headers.get("idempotency-key"))


def may_retry(
    method: str,
    request_headers: httpx.Headers,
    *,
    not_processed: bool,
) -> bool:
    """Whether repeating this request cannot apply it twice."""
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    return not_processed or has_idempotency_key(request_headers)
