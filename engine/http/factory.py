"""The one place where Crossfade creates HTTP clients.

    factory = HttpFactory(settings, redis=runtime.redis)
    http = factory.session(SPOTIFY_HTTP, user_key=account_id, token=tokens)
    me = http.get_json("me")
    factory.counters("spotify")   # {"requests": 1, "cache_hits": 0, ...}

Every provider module talks through the :class:`~engine.http.types.ProviderHttp`
it is given; tests and the sandbox pass ``transport=`` instead of patching.
Without Redis the rate limiter, breaker and counters are in-process and the
cache is a diskcache under ``data_dir/http-cache``; with Redis all four are
shared by every worker. Nothing connects or touches the disk until the first
request.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from engine.http.breaker import ProviderBreaker
from engine.http.cache import DiskBackend, RedisBackend, ResponseCache
from engine.http.counters import CounterStore, LocalCounters, RedisCounters, snapshot
from engine.http.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from engine.http.retry import RetryPolicy
from engine.http.session import HttpSession, StackParts
from engine.http.types import ProviderHttp, ProviderHttpConfig, TokenSource
from engine.settings import Settings

if TYPE_CHECKING:
    from redis import Redis


class HttpFactory:
    """Builds per-user provider sessions that share one httpx client and, per
    provider, one rate limiter, one circuit breaker and one set of counters."""

    def __init__(
        self,
        settings: Settings,
        *,
        redis: Redis | None = None,
        transport: httpx.BaseTransport | None = None,
        cache_dir: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        policy: RetryPolicy | None = None,
        shared_clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.policy = policy or RetryPolicy(max_retries=settings.http_max_retries)
        self._transport = transport
        self._cache_dir = cache_dir
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng
        self._shared_clock = shared_clock
        self._parts: StackParts | None = None
        self._breakers: dict[str, ProviderBreaker] = {}
        self._counters: CounterStore | None = None
        self._lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------

    def session(
        self, config: ProviderHttpConfig, *, user_key: str, token: TokenSource | None
    ) -> ProviderHttp:
        """A session for one user of one provider; ``user_key`` (an account id,
        never a token) keeps each user's cached responses apart."""
        if not user_key:
            from engine.errors import UsageError

            raise UsageError(f"{config.provider}: an HTTP session needs a user_key")
        return HttpSession(config, parts=self._stack(), user_key=user_key, token=token)

    def _stack(self) -> StackParts:
        with self._lock:
            if self._parts is None:
                self._parts = StackParts(
                    client=self._new_client(),
                    limiter=self._new_limiter(),
                    breaker=self.breaker,
                    cache=self._new_cache(),
                    counters=self._counter_store(),
                    policy=self.policy,
                    sleep=self._sleep,
                    wall_clock=self._wall_clock,
                    rng=self._rng,
                )
            return self._parts

    def _new_client(self) -> httpx.Client:
        timeout = httpx.Timeout(
            self.settings.http_timeout_s, connect=min(10.0, self.settings.http_timeout_s)
        )
        return httpx.Client(
            transport=self._transport,
            timeout=timeout,
            headers={"User-Agent": self.settings.user_agent},
            follow_redirects=False,
        )

    def _new_limiter(self) -> RateLimiter:
        if self.redis is not None:
            return RedisRateLimiter(self.redis, clock=self._shared_clock)
        return LocalRateLimiter(self._clock)

    def _new_cache(self) -> ResponseCache | None:
        ttl = self.settings.http_cache_ttl_s
        if ttl <= 0:
            return None
        if self.redis is not None:
            return ResponseCache(RedisBackend(self.redis), ttl)
        directory = self._cache_dir or self.settings.data_dir / "http-cache"
        return ResponseCache(DiskBackend(directory), ttl)

    def _counter_store(self) -> CounterStore:
        if self._counters is None:
            self._counters = (
                RedisCounters(self.redis) if self.redis is not None else LocalCounters()
            )
        return self._counters

    def breaker(self, provider: str) -> ProviderBreaker:
        """The circuit breaker of ``provider`` (one per factory; shared state with Redis)."""
        if provider not in self._breakers:
            self._breakers.setdefault(
                provider,
                ProviderBreaker(
                    provider,
                    fail_max=self.settings.breaker_fail_max,
                    reset_timeout_s=self.settings.breaker_reset_s,
                    redis=self.redis,
                ),
            )
        return self._breakers[provider]

    # -- figures ----------------------------------------------------------------------

    def counters(self, provider: str) -> dict[str, Any]:
        """Requests, cache hits, revalidations, retries, throttle waits, errors
        and breaker state of one provider (all workers' figures with Redis)."""
        values = self._counter_store().read(provider)
        return snapshot(values, self.breaker(provider).state)

    def all_counters(self) -> dict[str, dict[str, Any]]:
        """:meth:`counters` of every provider that has made a request."""
        return {name: self.counters(name) for name in self._counter_store().providers()}

    def reset_counters(self, provider: str) -> None:
        """Start a provider's figures from zero (benchmarks, tests)."""
        self._counter_store().reset(provider)

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client and the local cache files; the Redis client
        belongs to the caller."""
        with self._lock:
            if self._parts is not None:
                self._parts.client.close()
                if self._parts.cache is not None:
                    self._parts.cache.close()
                self._parts = None

    def __enter__(self) -> HttpFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
