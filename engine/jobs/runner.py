"""Runs jobs: the same job functions on RQ workers (``REDIS_URL`` set) or in-process.

A job function takes a :class:`JobContext` (ids, parameters, checkpoint,
progress reporter) and returns a JSON-able result. :func:`run_job` claims a job,
runs it and records how it ended:

- success -> ``succeeded`` with its result;
- an error that cannot succeed (bad input, a full playlist, a revoked account)
  -> ``failed`` at once, never retried;
- a transient error (provider down, rate limited, breaker open) -> ``waiting``
  with a backoff ``resume_after``, up to :data:`MAX_ATTEMPTS`;
- a spent daily quota -> ``waiting`` until the quota resets (next day);
- a cancel request -> ``cancelled`` at the next checkpoint.

A worker killed at any moment leaves the job ``running``; running it again
resumes from its checkpoint (each job reconciles with the target first).
"""

from __future__ import annotations

import importlib
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.errors import (
    CircuitOpenError,
    CrossfadeError,
    FeatureDisabledError,
    JobCancelledError,
    NotFoundError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitedError,
    UsageError,
)
from engine.jobs.progress import ProgressReporter, publish
from engine.store.models import Job

if TYPE_CHECKING:
    from engine.runtime import Runtime

log = logging.getLogger(__name__)

QUEUE_NAME = "crossfade"
"""The RQ queue every job goes to."""

MAX_ATTEMPTS = 5
"""Runs of one job before a transient error counts as final."""

BACKOFF_BASE_S = 30.0
"""First backoff after a transient error; doubles with each attempt."""

RQ_JOB_TIMEOUT_S = 6 * 3600
"""RQ's hard limit on one run (a large migrate on a slow provider)."""

JOB_KINDS: dict[str, str] = {
    "pull": "engine.jobs.pull:run",
    "migrate": "engine.jobs.migrate:run",
    "sync": "engine.jobs.sync:run",
    "export": "engine.jobs.export:run",
    "snapshot_gc": "engine.jobs.gc:run",
}
"""Job kind -> ``module:function``; imported only when a job of that kind runs."""

FEATURE_OF_KIND = {kind: f"feature.{kind}" for kind in JOB_KINDS}
"""The feature flag each kind needs (``engine.flags``)."""

RETRYABLE_ERRORS = (ProviderUnavailableError, RateLimitedError, CircuitOpenError)

JobFunction = Callable[["JobContext"], dict[str, Any]]


@dataclass
class JobContext:
    """What a job function gets: ids and parameters, never tokens or frames."""

    runtime: Runtime
    job_id: str
    kind: str
    user_id: int | None
    params: dict[str, Any]
    checkpoint: dict[str, Any]
    attempt: int
    progress: ProgressReporter = field(repr=False)

    def save_checkpoint(self, **values: Any) -> None:
        """Merge ``values`` into the stored checkpoint, then honour a cancel."""
        self.checkpoint.update(values)
        with self.runtime.engine.begin() as conn:
            conn.execute(
                update(Job).where(Job.id == self.job_id).values(checkpoint=dict(self.checkpoint))
            )
        self.check_cancelled()

    def check_cancelled(self) -> None:
        """Raise JobCancelledError when someone cancelled this job."""
        with self.runtime.engine.connect() as conn:
            state = conn.execute(select(Job.state).where(Job.id == self.job_id)).scalar()
        if state == "cancelled":
            raise JobCancelledError(f"job {self.job_id} was cancelled")


def register_kind(
    kind: str, target: str, *, feature: str | None = None, params: type[BaseModel] | None = None
) -> None:
    """Add a job kind (``"package.module:function"``), as the built-ins are.
    ``params`` is its parameter model; without one the kind cannot be submitted
    over the API or the app (``engine.jobs.params``)."""
    JOB_KINDS[kind] = target
    FEATURE_OF_KIND[kind] = feature or f"feature.{kind}"
    if params is not None:
        from engine.jobs.params import register_params

        register_params(kind, params)


def job_function(kind: str) -> JobFunction:
    """The function that runs jobs of ``kind``."""
    target = JOB_KINDS.get(kind)
    if target is None:
        raise UsageError(f"unknown job kind {kind!r} (known: {', '.join(sorted(JOB_KINDS))})")
    module_name, name = target.split(":")
    function: JobFunction = getattr(importlib.import_module(module_name), name)
    return function


def require_feature(runtime: Runtime, kind: str) -> None:
    """Raise FeatureDisabledError when the kind's feature flag is off."""
    from engine.flags import require

    require(runtime, runtime.settings, FEATURE_OF_KIND[kind])


_BACKGROUND_LOCK = threading.Lock()


def dispatch(runtime: Runtime, job_id: str, *, at: datetime | None = None) -> None:
    """Hand a job to the RQ queue (Redis) or a background thread (embedded)."""
    if runtime.redis is not None:
        from rq import Queue

        queue = Queue(QUEUE_NAME, connection=runtime.redis)
        if at is None:
            queue.enqueue(rq_entry, job_id, job_timeout=RQ_JOB_TIMEOUT_S)
        else:
            queue.enqueue_at(at, rq_entry, job_id, job_timeout=RQ_JOB_TIMEOUT_S)
        return
    if at is not None:
        return  # the embedded worker (``crossfade worker``) picks it up when due
    thread = threading.Thread(
        target=run_job, args=(runtime, job_id), name=f"crossfade-job-{job_id}"
    )
    with _BACKGROUND_LOCK:  # API requests dispatch from several threads
        runtime.background[:] = [t for t in runtime.background if t.is_alive()]
        runtime.background.append(thread)  # Runtime.close() waits for it
        thread.start()  # started under the lock: never pruned before it runs


def rq_entry(job_id: str) -> str:
    """What RQ runs: build the runtime from this worker's settings and run."""
    from engine.runtime import Runtime
    from engine.settings import load_settings

    runtime = Runtime(load_settings())
    try:
        return run_job(runtime, job_id)
    finally:
        runtime.close()


def _claim(runtime: Runtime, job_id: str) -> Job | None:
    now = datetime.now(UTC)
    with runtime.engine.begin() as conn:
        claimed = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(("queued", "running", "waiting")))
            .values(
                state="running",
                attempts=Job.attempts + 1,
                started_at=now,
                resume_after=None,
                error=None,
            )
        )
        if claimed.rowcount != 1:
            return None
    with Session(runtime.engine, expire_on_commit=False) as session:
        return session.get(Job, job_id)


def _finish(runtime: Runtime, job_id: str, **values: Any) -> bool:
    """Move a running job to its end state; False if it was cancelled meanwhile."""
    with runtime.engine.begin() as conn:
        done = conn.execute(
            update(Job).where(Job.id == job_id, Job.state == "running").values(**values)
        )
    return done.rowcount == 1


def run_job(runtime: Runtime, job_id: str) -> str:
    """Claim and run one job; return the state it ended in."""
    job = _claim(runtime, job_id)
    if job is None:
        return job_state(runtime, job_id)
    reporter = ProgressReporter(runtime, job_id)
    context = JobContext(
        runtime=runtime,
        job_id=job_id,
        kind=job.kind,
        user_id=job.user_id,
        params=dict(job.params or {}),
        checkpoint=dict(job.checkpoint or {}),
        attempt=job.attempts,
        progress=reporter,
    )
    reporter.phase("starting")
    try:
        require_feature(runtime, job.kind)
        from engine.jobs.params import validate_params

        context.params = validate_params(job.kind, context.params, local=True)
        result = job_function(job.kind)(context)
    except JobCancelledError:
        reporter.note("cancelled")
        return job_state(runtime, job_id)
    except QuotaExceededError as exc:
        return _wait(runtime, reporter, job_id, str(exc), _quota_resets_at(exc))
    except RETRYABLE_ERRORS as exc:
        if job.attempts >= MAX_ATTEMPTS:
            return _fail(runtime, reporter, job_id, exc)
        until = datetime.now(UTC) + timedelta(seconds=BACKOFF_BASE_S * 2 ** (job.attempts - 1))
        return _wait(runtime, reporter, job_id, str(exc), until)
    except FeatureDisabledError as exc:
        return _fail(runtime, reporter, job_id, exc, state="cancelled")
    except CrossfadeError as exc:
        return _fail(runtime, reporter, job_id, exc)
    except Exception as exc:
        log.error("job %s crashed:\n%s", job_id, traceback.format_exc())
        return _fail(runtime, reporter, job_id, exc)
    reporter.phase("done", total=reporter.current.total, done=reporter.current.total or 0)
    _finish(runtime, job_id, state="succeeded", result=result, finished_at=datetime.now(UTC))
    _announce(runtime, job_id)
    return job_state(runtime, job_id)


def _fail(
    runtime: Runtime,
    reporter: ProgressReporter,
    job_id: str,
    exc: BaseException,
    *,
    state: str = "failed",
) -> str:
    if isinstance(exc, CrossfadeError):
        message = f"{exc.kind}: {exc}"
    else:  # internal detail (KeyError: 'x', a traceback) stays in the log
        message = f"internal: the job stopped on an unexpected error (logged as job {job_id})"
    reporter.error(message)
    _finish(runtime, job_id, state=state, error=message, finished_at=datetime.now(UTC))
    _announce(runtime, job_id)
    return job_state(runtime, job_id)


def _wait(
    runtime: Runtime, reporter: ProgressReporter, job_id: str, message: str, until: datetime
) -> str:
    reporter.error(f"{message} (resuming after {until.isoformat()})")
    if _finish(runtime, job_id, state="waiting", resume_after=until, error=message):
        dispatch(runtime, job_id, at=until)
    _announce(runtime, job_id)
    return job_state(runtime, job_id)


def _quota_resets_at(exc: QuotaExceededError) -> datetime:
    """When a daily quota is spent: the error's own reset time, else the next
    midnight Pacific time (YouTube's documented reset), plus a minute."""
    explicit = getattr(exc, "resets_at", None)
    if isinstance(explicit, datetime):
        return explicit
    return next_quota_reset(datetime.now(UTC))


def next_quota_reset(now: datetime) -> datetime:
    """Next midnight in America/Los_Angeles after ``now``, plus one minute, in UTC."""
    pacific: tzinfo
    try:
        pacific = ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # no tz database on this machine: standard time is close enough
        pacific = timezone(timedelta(hours=-8))
    local = now.astimezone(pacific)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=1, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def _announce(runtime: Runtime, job_id: str) -> None:
    """Wake followers on a state change (progress readers re-read the store)."""
    try:
        from engine.jobs.progress import read_progress

        publish(runtime, job_id, read_progress(runtime, job_id))
    except NotFoundError:
        pass


def job_state(runtime: Runtime, job_id: str) -> str:
    with runtime.engine.connect() as conn:
        state = conn.execute(select(Job.state).where(Job.id == job_id)).scalar()
    if state is None:
        raise NotFoundError(f"no job {job_id}")
    return str(state)
