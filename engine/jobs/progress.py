"""The one progress channel of every job: phase, done/total, rate, ETA, last error.

A job reports through a :class:`ProgressReporter`; the CLI, the Streamlit app
and the HTTP API read it back with :func:`read_progress` or :func:`follow`.
The ``jobs.progress`` column always holds the latest value; when Redis is
configured it is also stored under ``crossfade:job:<id>:progress`` and
published on the channel of the same name, so followers wake at once.

>>> # reporter = ProgressReporter(runtime, job_id); reporter.phase("adding", total=120)
>>> # reporter.advance(100); read_progress(runtime, job_id)["done"] -> 100
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from engine.errors import NotFoundError
from engine.store.models import Job

if TYPE_CHECKING:
    from engine.runtime import Runtime

TERMINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})
"""States after which a job never changes again (until an explicit retry)."""

WRITE_INTERVAL_S = 0.25
"""Minimum seconds between two progress writes, except phase changes, errors and
the final value: keeps the store cheap when a job advances one item at a time."""


def redis_key(job_id: str) -> str:
    """Redis key (and pub/sub channel) holding one job's latest progress."""
    return f"crossfade:job:{job_id}:progress"


@dataclass
class Progress:
    """A snapshot of how far a job is. ``rate`` is items per second within the
    current phase; ``eta_s`` is None until a rate is known."""

    phase: str = "queued"
    done: int = 0
    total: int | None = None
    rate: float | None = None
    eta_s: float | None = None
    last_error: str | None = None
    message: str | None = None
    updated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProgressReporter:
    """Writes one job's progress to the store (always) and Redis (when set)."""

    def __init__(
        self, runtime: Runtime, job_id: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self._clock = clock
        self._current = Progress()
        self._phase_started = clock()
        self._phase_start_done = 0
        self._last_write = float("-inf")

    @property
    def current(self) -> Progress:
        return self._current

    def phase(self, name: str, *, total: int | None = None, done: int = 0) -> None:
        """Start a new phase (resets the rate clock)."""
        self._current = Progress(
            phase=name,
            done=done,
            total=total,
            last_error=self._current.last_error,
            message=self._current.message,
        )
        self._phase_started = self._clock()
        self._phase_start_done = done
        self._write(force=True)

    def advance(self, n: int = 1, *, message: str | None = None) -> None:
        """Count ``n`` more items done in the current phase."""
        self.set_done(self._current.done + n, message=message)

    def set_done(self, done: int, *, message: str | None = None) -> None:
        current = self._current
        current.done = done
        if message is not None:
            current.message = message
        elapsed = self._clock() - self._phase_started
        progressed = done - self._phase_start_done
        if elapsed > 0 and progressed > 0:
            current.rate = progressed / elapsed
            if current.total is not None:
                current.eta_s = max(current.total - done, 0) / current.rate
        finished = current.total is not None and done >= current.total
        self._write(force=finished)

    def error(self, message: str) -> None:
        """Record the last error (the job may still go on)."""
        self._current.last_error = message
        self._write(force=True)

    def note(self, message: str) -> None:
        self._current.message = message
        self._write(force=True)

    def flush(self) -> None:
        self._write(force=True)

    def _write(self, *, force: bool) -> None:
        now = self._clock()
        if not force and now - self._last_write < WRITE_INTERVAL_S:
            return
        self._last_write = now
        self._current.updated_at = datetime.now(UTC).isoformat()
        write_progress(self.runtime, self.job_id, self._current.as_dict())


def write_progress(runtime: Runtime, job_id: str, value: dict[str, Any]) -> None:
    """Store ``value`` as the job's progress and publish it when Redis is set."""
    with runtime.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(progress=value))
    publish(runtime, job_id, value)


def publish(runtime: Runtime, job_id: str, value: dict[str, Any]) -> None:
    """Push a progress value (or a state change) to Redis followers, if any."""
    redis = runtime.redis
    if redis is None:
        return
    payload = json.dumps(value, default=str)
    pipe = redis.pipeline()
    pipe.set(redis_key(job_id), payload, ex=7 * 24 * 3600)
    pipe.publish(redis_key(job_id), payload)
    pipe.execute()


def read_progress(runtime: Runtime, job_id: str, *, user_id: int | None = None) -> dict[str, Any]:
    """The job's latest progress plus its ``state``, ``error`` and ``resume_after``.

    Reads the store (the source of truth for state); the progress part comes
    from Redis when it holds a newer value than the store. Given ``user_id``,
    another user's job is NotFoundError, exactly like a missing one.
    """
    with runtime.engine.connect() as conn:
        row = conn.execute(
            select(
                Job.state, Job.progress, Job.error, Job.resume_after, Job.kind, Job.user_id
            ).where(Job.id == job_id)
        ).first()
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFoundError(f"no job {job_id}")
    progress = dict(row.progress or {})
    redis = runtime.redis
    if redis is not None:
        cached = redis.get(redis_key(job_id))
        if cached:
            live = json.loads(cached)
            if str(live.get("updated_at", "")) >= str(progress.get("updated_at", "")):
                progress = live
    progress.setdefault("phase", "queued")
    progress.setdefault("done", 0)
    progress.setdefault("total", None)
    progress.update(
        job_id=job_id,
        kind=row.kind,
        state=row.state,
        error=row.error,
        resume_after=row.resume_after.isoformat() if row.resume_after else None,
    )
    return progress


def follow(
    runtime: Runtime,
    job_id: str,
    *,
    poll_s: float = 0.5,
    timeout_s: float | None = None,
    user_id: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the job's progress each time it changes, ending after a terminal
    state (or ``waiting``) has been yielded, or when ``timeout_s`` passes.
    Given ``user_id``, another user's job is NotFoundError.

    With Redis it wakes on pub/sub messages (and still re-reads the store every
    ``poll_s`` so a missed message never stalls it); otherwise it polls.
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pubsub = None
    if runtime.redis is not None:
        pubsub = runtime.redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(redis_key(job_id))
    try:
        last: dict[str, Any] | None = None
        while True:
            value = read_progress(runtime, job_id, user_id=user_id)
            if value != last:
                yield value
                last = value
            if value["state"] in TERMINAL_STATES or value["state"] == "waiting":
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            if pubsub is not None:
                pubsub.get_message(timeout=poll_s)
            else:
                time.sleep(poll_s)
    finally:
        if pubsub is not None:
            pubsub.close()
