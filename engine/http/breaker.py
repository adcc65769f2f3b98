"""One circuit breaker per provider (pybreaker).

After ``breaker_fail_max`` consecutive failed attempts (5xx, timeouts,
connection errors; not 4xx or 429, which show the service is up) the circuit
opens and every call fails fast with ``CircuitOpenError``; after
``breaker_reset_s`` one probe is let through (half-open) and its success closes
the circuit again. With Redis the state lives in Redis so every worker sees the
same circuit. pybreaker's own ``CircuitRedisStorage`` swallows Redis errors into
a silent "closed" fallback, decodes values as bytes only (it breaks with
``decode_responses=True``) and stores the opening time in whole seconds, so
:class:`RedisBreakerStorage` below replaces it.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pybreaker

from engine.errors import CircuitOpenError

if TYPE_CHECKING:
    from redis import Redis

STATE_CLOSED = pybreaker.STATE_CLOSED
STATE_OPEN = pybreaker.STATE_OPEN
STATE_HALF_OPEN = pybreaker.STATE_HALF_OPEN


class ProviderFault(Exception):
    """Fed to pybreaker for an attempt that counts as a failure."""


class RedisBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker state in a Redis hash ``{prefix}:{provider}``; errors propagate."""

    def __init__(self, redis: Redis, provider: str, prefix: str = "crossfade:http:breaker") -> None:
        super().__init__("redis")
        self._redis = redis
        self._key = f"{prefix}:{provider}"

    def _get(self, field: str) -> str | None:
        value = self._redis.hget(self._key, field)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    @property
    def state(self) -> str:
        return self._get("state") or STATE_CLOSED

    @state.setter
    def state(self, state: str) -> None:
        self._redis.hset(self._key, "state", str(state))

    def increment_counter(self) -> None:
        self._redis.hincrby(self._key, "fail_counter", 1)

    def reset_counter(self) -> None:
        self._redis.hset(self._key, "fail_counter", 0)

    def increment_success_counter(self) -> None:
        self._redis.hincrby(self._key, "success_counter", 1)

    def reset_success_counter(self) -> None:
        self._redis.hset(self._key, "success_counter", 0)

    @property
    def counter(self) -> int:
        return int(self._get("fail_counter") or 0)

    @property
    def success_counter(self) -> int:
        return int(self._get("success_counter") or 0)

    @property
    def opened_at(self) -> datetime | None:
        value = self._get("opened_at")
        return None if value is None else datetime.fromtimestamp(float(value), UTC)

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        self._redis.hset(self._key, "opened_at", repr(now.timestamp()))


class ProviderBreaker:
    """The circuit of one provider, built on pybreaker's state machine.

    pybreaker's ``call`` holds a lock for the whole guarded call, which would
    serialise every request to a provider within a process; so the stack asks
    :meth:`allow` before an attempt and :meth:`record` the outcome after it,
    each through pybreaker with the lock held only briefly.
    """

    def __init__(
        self, provider: str, *, fail_max: int, reset_timeout_s: float, redis: Redis | None = None
    ) -> None:
        self.provider = provider
        self.fail_max = fail_max
        self.reset_timeout_s = reset_timeout_s
        self._redis = redis
        self._built: tuple[pybreaker.CircuitBreaker, pybreaker.CircuitBreakerStorage] | None = None

    def _parts(self) -> tuple[pybreaker.CircuitBreaker, pybreaker.CircuitBreakerStorage]:
        if self._built is None:
            storage: pybreaker.CircuitBreakerStorage
            if self._redis is not None:
                storage = RedisBreakerStorage(self._redis, self.provider)
            else:
                storage = pybreaker.CircuitMemoryStorage(STATE_CLOSED)
            breaker = pybreaker.CircuitBreaker(
                fail_max=self.fail_max,
                reset_timeout=self.reset_timeout_s,
                state_storage=storage,
                throw_new_error_on_trip=False,
                name=self.provider,
            )
            self._built = (breaker, storage)
        return self._built

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open`` as stored (shared through Redis)."""
        return self._parts()[0].current_state

    def seconds_until_probe(self) -> float:
        """0 when a call may go ahead; else how long the circuit stays open."""
        breaker, storage = self._parts()
        if breaker.current_state != STATE_OPEN:
            return 0.0
        opened_at = storage.opened_at
        if opened_at is None:
            return 0.0
        remaining = opened_at.timestamp() + self.reset_timeout_s - datetime.now(UTC).timestamp()
        return max(0.0, remaining)

    def allow(self) -> None:
        """Raise CircuitOpenError while the circuit is open (fail fast)."""
        remaining = self.seconds_until_probe()
        if remaining > 0:
            raise CircuitOpenError(
                f"circuit open after {self.fail_max} consecutive failures; "
                f"next probe in {remaining:.1f}s",
                provider=self.provider,
            )

    def reset(self) -> None:
        """Close the circuit and forget its failures (an operator's "try again now")."""
        self._parts()[0].close()

    def record(self, *, failed: bool) -> None:
        """Feed one attempt's outcome to the state machine (may open or close it)."""
        breaker, _ = self._parts()
        # The caller already holds the outcome; only the state change matters here.
        with contextlib.suppress(ProviderFault, pybreaker.CircuitBreakerError):
            breaker.call(_fail if failed else _succeed)


def _fail() -> None:
    raise ProviderFault("attempt failed")


def _succeed() -> None:
    return None
