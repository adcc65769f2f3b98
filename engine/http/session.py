"""One provider's HTTP session for one user: the :class:`ProviderHttp` the
provider modules receive from :class:`engine.http.factory.HttpFactory`.

Every attempt goes: circuit breaker check -> rate limiter -> send -> breaker
outcome -> 401 refresh -> provider ``check_response`` hook -> status mapping;
transient failures loop back through ``retry.py``. ``get_json`` adds the
per-user GET cache with ETag revalidation around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from redis.exceptions import RedisError

from engine.errors import (
    CircuitOpenError,
    ConfigError,
    CrossfadeError,
    ProviderError,
    RateLimitedError,
    UsageError,
)
from engine.http import status
from engine.http.breaker import ProviderBreaker
from engine.http.cache import ResponseCache, cache_key
from engine.http.counters import CounterStore
from engine.http.ratelimit import RateLimiter
from engine.http.retry import NOT_SENT_ERRORS, RetryPolicy, may_retry, parse_retry_after
from engine.http.types import ProviderHttpConfig, Retryable, TokenSource


@dataclass
class StackParts:
    """What every session of one factory shares."""

    client: httpx.Client
    limiter: RateLimiter
    breaker: Callable[[str], ProviderBreaker]
    cache: ResponseCache | None
    counters: CounterStore
    policy: RetryPolicy
    sleep: Callable[[float], None]
    wall_clock: Callable[[], float]
    rng: Callable[[], float]


@dataclass(frozen=True)
class _Transient:
    """A failed attempt that another attempt might fix."""

    label: str
    retry_after: float | None
    not_processed: bool
    error: Callable[[str], CrossfadeError]

    def final(self, note: str) -> CrossfadeError:
        """The error that ends the request, carrying the provider's Retry-After."""
        error = self.error(note)
        if isinstance(error, ProviderError) and self.retry_after:
            error.retry_after = self.retry_after
        return error


class HttpSession:
    """Builds requests (base URL, auth, headers) and runs them through the stack."""

    def __init__(
        self,
        config: ProviderHttpConfig,
        *,
        parts: StackParts,
        user_key: str,
        token: TokenSource | None,
    ) -> None:
        self.provider = config.provider
        self.config = config
        self.user_key = user_key
        self._parts = parts
        self._token = token
        self._base = httpx.URL(config.base_url.rstrip("/") + "/")

    # -- the ProviderHttp protocol -------------------------------------------------

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET ``path`` and decode its JSON body; served from the user's cache
        while fresh, revalidated with If-None-Match when it has an ETag."""
        with _shared_state_errors(self.provider):
            return self._get_json(path, params, cache=cache, headers=headers)

    def _get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        cache: bool,
        headers: Mapping[str, str] | None,
    ) -> Any:
        url = self.url_for(path, params)
        store = self._parts.cache if cache else None
        if store is None:
            return decode_json(self.provider, self._run("GET", url, headers=headers))
        key = cache_key(self.provider, "GET", url, self.user_key)
        entry = store.get(key)
        now = self._parts.wall_clock()
        if entry is not None and entry.is_fresh(now):
            self._count("cache_hits")
            return entry.json()
        self._count("cache_misses")
        request_headers = dict(headers or {})
        if entry is not None and entry.etag:
            request_headers["If-None-Match"] = entry.etag
        response = self._run("GET", url, headers=request_headers)
        if response.status_code == 304 and entry is not None:
            self._count("revalidations")
            return store.refresh(key, entry, self._parts.wall_clock()).json()
        data = decode_json(self.provider, response)
        if response.status_code == 200 and not _no_store(response):
            store.store(key, response, self._parts.wall_clock())
        return data

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
        """Send one logical request (never cached); return the final successful
        response or raise the ``engine.errors`` error that ended it."""
        url = self.url_for(path, params)
        with _shared_state_errors(self.provider):
            return self._run(method, url, json=json, data=data, headers=headers)

    # -- building requests ----------------------------------------------------------

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.URL:
        """Absolute URL of ``path`` (relative to base_url, or an absolute ``next``
        link on the same origin) with ``params`` merged over its query.

        A list or tuple value becomes a repeated parameter (OpenAPI's default
        ``form``/``explode``); pass a comma-joined string where an API wants one.
        """
        if path.startswith(("http://", "https://")):
            url = httpx.URL(path)
            base = self._base
            if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
                raise UsageError(
                    f"{self.provider}: refusing to send credentials to {status.redact_url(url)} "
                    f"(not on {base.host})"
                )
        else:
            url = self._base.join(path.lstrip("/"))
        given = {k: v for k, v in (params or {}).items() if v is not None}
        # access_token is added per attempt, never kept with the URL
        merged = [
            (k, v) for k, v in url.params.multi_items() if k not in given and k != "access_token"
        ]
        for key, value in given.items():
            values = value if isinstance(value, list | tuple) else [value]
            merged.extend((key, _param_value(v)) for v in values)
        return url.copy_with(params=merged) if merged else url.copy_with(query=None)

    def _build(
        self,
        method: str,
        url: httpx.URL,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        merged_headers = dict(self.config.default_headers or {})
        merged_headers.update(headers or {})
        if self._token is not None and self.config.auth_style == "bearer":
            merged_headers["Authorization"] = f"Bearer {self._token.access_token()}"
        elif self._token is not None and self.config.auth_style == "query_access_token":
            url = url.copy_add_param("access_token", self._token.access_token())
        return self._parts.client.build_request(
            method.upper(), url, json=json, data=data, headers=merged_headers
        )

    # -- running requests -----------------------------------------------------------

    def _run(
        self,
        method: str,
        url: httpx.URL,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return self._attempts(method, url, json=json, data=data, headers=headers)
        except CrossfadeError as exc:
            self._count(f"errors.{exc.kind}")
            raise

    def _attempts(
        self,
        method: str,
        url: httpx.URL,
        *,
        json: Any,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        policy = self._parts.policy
        retries = 0
        refreshed = False
        while True:
            request = self._build(method, url, json=json, data=data, headers=headers)
            outcome = self._attempt(request)
            if isinstance(outcome, httpx.Response):
                if outcome.status_code == 401 and self._token is not None and not refreshed:
                    self._token.refresh()
                    self._count("token_refreshes")
                    refreshed = True
                    continue
                outcome = self._judge(outcome)
                if isinstance(outcome, httpx.Response):
                    return outcome
            self._count(f"attempt_errors.{outcome.label}")
            if not may_retry(request.method, request.headers, not_processed=outcome.not_processed):
                raise outcome.final(f"not retried: {request.method} may have been applied")
            if retries >= policy.max_retries:
                raise outcome.final(f"after {retries} retries")
            self._stop_if_circuit_opened(outcome)
            wait = policy.wait(retries, outcome.retry_after, self._parts.rng)
            if wait > policy.max_wait_s:
                raise outcome.final(f"provider asks to wait {wait:.0f}s; not waiting")
            self._count("retries")
            self._parts.sleep(wait)
            retries += 1

    def _stop_if_circuit_opened(self, outcome: _Transient) -> None:
        """An open circuit ends the retries at once, naming the last failure."""
        breaker = self._breaker()
        remaining = breaker.seconds_until_probe()
        if remaining > 0:
            cause = outcome.error("")
            raise CircuitOpenError(
                f"circuit opened after {breaker.fail_max} consecutive failures, "
                f"next probe in {remaining:.0f}s; last failure: {cause.message}",
                provider=self.provider,
            ) from cause

    def _attempt(self, request: httpx.Request) -> httpx.Response | _Transient:
        """One attempt through breaker and rate limiter; 5xx and transport
        failures come back as a :class:`_Transient` and count against the breaker."""
        breaker = self._breaker()
        breaker.allow()
        self._throttle()
        self._count("requests")
        try:
            response = self._parts.client.send(request)
        except httpx.RequestError as exc:
            failure = exc  # ``exc`` is unbound after the block; the lambda needs it
            breaker.record(failed=True)
            return _Transient(
                label=_transport_label(exc),
                retry_after=None,
                not_processed=isinstance(exc, NOT_SENT_ERRORS),
                error=lambda note: _with_note(
                    status.transport_error(self.provider, request, failure), note
                ),
            )
        failed = response.status_code >= 500
        breaker.record(failed=failed)
        if not failed:
            return response
        retry_after = parse_retry_after(response.headers, self._parts.wall_clock())
        return _Transient(
            label=f"status_{response.status_code}",
            retry_after=retry_after,
            not_processed=response.status_code == 503 and retry_after is not None,
            error=lambda note: status.final_error(self.provider, response, note),
        )

    def _judge(self, response: httpx.Response) -> httpx.Response | _Transient:
        """Provider hook first (it knows errors hidden in 200s), then the status."""
        try:
            if self.config.check_response is not None:
                self.config.check_response(response)
        except Retryable as exc:
            reason = str(exc)
            return _Transient(
                label="retryable",
                retry_after=exc.retry_after,
                not_processed=True,
                error=lambda note: RateLimitedError(
                    f"{status.describe(response)} ({'; '.join(filter(None, [reason, note]))})",
                    provider=self.provider,
                ),
            )
        if response.status_code == 429:
            return _Transient(
                label="status_429",
                retry_after=parse_retry_after(response.headers, self._parts.wall_clock()),
                not_processed=True,
                error=lambda note: status.final_error(self.provider, response, note),
            )
        if response.status_code >= 400:
            raise status.final_error(self.provider, response)
        return response

    def _throttle(self) -> None:
        wait = self._parts.limiter.reserve(self.provider, self.config.rate_per_s, self.config.burst)
        if wait > 0:
            self._count("throttle_waits")
            self._count("throttle_wait_s", wait)
            self._parts.sleep(wait)

    def _breaker(self) -> ProviderBreaker:
        return self._parts.breaker(self.provider)

    def _count(self, field: str, amount: float = 1) -> None:
        self._parts.counters.add(self.provider, field, amount)


@contextmanager
def _shared_state_errors(provider: str) -> Iterator[None]:
    """Redis holds the stack's shared state; when it fails, say so plainly
    instead of letting a redis-py exception (or a silent local fallback) through."""
    try:
        yield
    except RedisError as exc:
        raise ConfigError(
            f"{provider}: the HTTP stack's shared state in Redis (REDIS_URL) is unavailable: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _no_store(response: httpx.Response) -> bool:
    """``Cache-Control: no-store`` is honoured; ``private``/``max-age`` are not,
    since this cache is already per user and its TTL is ours to choose."""
    directives = response.headers.get("cache-control", "").lower()
    return "no-store" in (d.strip() for d in directives.split(","))


def _transport_label(exc: httpx.RequestError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, NOT_SENT_ERRORS):
        return "connect_error"
    return "transport_error"


def _with_note(error: CrossfadeError, note: str) -> CrossfadeError:
    if note:
        error.message = f"{error.message} ({note})"
        error.args = (error.message,)
    return error


def _param_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decode_json(provider: str, response: httpx.Response) -> Any:
    """The JSON body, or a ProviderError naming the request when it is not JSON."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(
            f"response is not JSON ({status.describe(response)})",
            provider=provider,
            kind="bad-response",
        ) from exc
