"""Client-side rate limiting: one token bucket per provider.

A bucket holds up to ``burst`` tokens and refills at ``rate_per_s``. Each
request *reserves* a token and gets back how long to wait before sending; the
balance may go negative, so waiting callers queue fairly instead of spinning.
In-process by default; with Redis the bucket lives in one hash updated by a
Lua script (clocked by the Redis server), so every worker shares one budget.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from engine.errors import UsageError

if TYPE_CHECKING:
    from redis import Redis


class RateLimiter(Protocol):
    def reserve(self, provider: str, rate_per_s: float, burst: int) -> float:
        """Take one token; return the seconds to wait before using it."""
        ...


def _check(provider: str, rate_per_s: float, burst: int) -> None:
    if rate_per_s <= 0 or burst < 1:
        raise UsageError(
            f"{provider}: rate limit needs rate_per_s > 0 and burst >= 1 "
            f"(got {rate_per_s}, {burst})"
        )


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class LocalRateLimiter:
    """Token buckets of this process, clocked by ``clock`` (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def reserve(self, provider: str, rate_per_s: float, burst: int) -> float:
        _check(provider, rate_per_s, burst)
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(provider)
            if bucket is None:
                bucket = self._buckets[provider] = _Bucket(float(burst), now)
            elapsed = max(0.0, now - bucket.stamp)
            bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate_per_s) - 1
            bucket.stamp = now
            return 0.0 if bucket.tokens >= 0 else -bucket.tokens / rate_per_s


_RESERVE_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1])
local stamp = tonumber(state[2])
if tokens == nil or stamp == nil then
  tokens = burst
  stamp = now
end
local elapsed = math.max(0, now - stamp)
tokens = math.min(burst, tokens + elapsed * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
local wait = 0
if tokens < 0 then wait = -tokens / rate end
redis.call('EXPIRE', KEYS[1], math.ceil(wait + burst / rate) + 60)
return tostring(wait)
"""


class RedisRateLimiter:
    """Token buckets shared through Redis by every process of the deployment.

    Clocked by the Redis server's ``TIME`` so hosts need not agree on the time;
    ``clock`` (epoch seconds) replaces it where time is simulated (benchmarks).
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "crossfade:http:bucket",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._script = redis.register_script(_RESERVE_LUA)

    def reserve(self, provider: str, rate_per_s: float, burst: int) -> float:
        _check(provider, rate_per_s, burst)
        args: list[float] = [rate_per_s, burst]
        if self._clock is not None:
            args.append(self._clock())
        raw = self._script(keys=[f"{self._prefix}:{provider}"], args=args)
        wait = float(raw.decode() if isinstance(raw, bytes) else raw)
        return 0.0 if math.isclose(wait, 0.0, abs_tol=1e-9) else wait
