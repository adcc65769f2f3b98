"""Per-provider figures of the HTTP stack, for the app and the benchmarks.

Each provider has a flat map of numbers: ``requests`` (attempts sent),
``cache_hits``, ``cache_misses``, ``revalidations`` (304s served from cache),
``retries``, ``token_refreshes``, ``throttle_waits`` and ``throttle_wait_s``
(client-side rate limiting), ``attempt_errors.<what>`` (a failed attempt: a
status such as ``status_503``, ``timeout``, ``connect_error``, ``retryable``)
and ``errors.<kind>`` (an ``engine.errors`` kind raised to the caller).
Locally they live in memory; with Redis they are a hash per provider, so every
worker adds to the same figures.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

COUNTER_FIELDS = (
    "requests",
    "cache_hits",
    "cache_misses",
    "revalidations",
    "retries",
    "token_refreshes",
    "throttle_waits",
    "throttle_wait_s",
)
"""Fields always present (zero when nothing happened yet)."""


class CounterStore(Protocol):
    def add(self, provider: str, field: str, amount: float = 1) -> None: ...

    def read(self, provider: str) -> dict[str, float]: ...

    def providers(self) -> list[str]: ...

    def reset(self, provider: str) -> None: ...


class LocalCounters:
    """Counters of this process only."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._lock = threading.Lock()

    def add(self, provider: str, field: str, amount: float = 1) -> None:
        with self._lock:
            self._values[provider][field] += amount

    def read(self, provider: str) -> dict[str, float]:
        with self._lock:
            return dict(self._values.get(provider, {}))

    def providers(self) -> list[str]:
        with self._lock:
            return sorted(self._values)

    def reset(self, provider: str) -> None:
        with self._lock:
            self._values.pop(provider, None)


class RedisCounters:
    """Counters shared by every process using the same Redis database."""

    def __init__(self, redis: Redis, prefix: str = "crossfade:http:counters") -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, provider: str) -> str:
        return f"{self._prefix}:{provider}"

    def add(self, provider: str, field: str, amount: float = 1) -> None:
        pipe = self._redis.pipeline(transaction=False)
        if float(amount).is_integer():
            pipe.hincrby(self._key(provider), field, int(amount))
        else:
            pipe.hincrbyfloat(self._key(provider), field, float(amount))
        pipe.sadd(f"{self._prefix}:providers", provider)
        pipe.execute()

    def read(self, provider: str) -> dict[str, float]:
        raw = self._redis.hgetall(self._key(provider))
        return {_text(k): float(_text(v)) for k, v in raw.items()}

    def providers(self) -> list[str]:
        return sorted(_text(p) for p in self._redis.smembers(f"{self._prefix}:providers"))

    def reset(self, provider: str) -> None:
        self._redis.delete(self._key(provider))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def snapshot(values: dict[str, float], breaker_state: str) -> dict[str, object]:
    """The figures of one provider as the app shows them: plain fields as
    numbers, ``attempt_errors`` and ``errors`` as nested maps."""
    result: dict[str, object] = {name: 0 for name in COUNTER_FIELDS}
    attempt_errors: dict[str, int] = {}
    errors: dict[str, int] = {}
    for name, value in sorted(values.items()):
        group, _, label = name.partition(".")
        if group == "attempt_errors" and label:
            attempt_errors[label] = int(value)
        elif group == "errors" and label:
            errors[label] = int(value)
        else:
            result[name] = round(value, 6) if name.endswith("_s") else int(value)
    result["attempt_errors"] = attempt_errors
    result["errors"] = errors
    result["breaker_state"] = breaker_state
    return result
