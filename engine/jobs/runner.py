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
- a cancel request -> ``cancelled`` at the next checkpoint;
- :class:`WaitForReview` (a migration whose curator has questions left) ->
  ``waiting`` with no ``resume_after``: a decision wakes it
  (:mod:`engine.jobs.review_wait`).

Exactly one runner holds a job at a time (``engine.jobs.lease``): a second
caller of :func:`run_job` gets the job's state back without running it, and
:func:`run_or_follow` waits for the holder to finish (or its lease to lapse,
then takes over). A worker killed at any moment leaves the job ``running``
with a lease nobody renews; once it lapses, any runner resumes it from its
checkpoint (each job reconciles with the target first), and every worker
re-enqueues such jobs by itself (``engine.jobs.control.sweep``).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
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
    LeaseLostError,
    NotFoundError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitedError,
    UsageError,
)
from engine.jobs.lease import Lease, claimable, lease_lapsed, new_owner
from engine.jobs.progress import TERMINAL_STATES, ProgressReporter, publish
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


class WaitForReview(Exception):
    """Raised by a job that did all it can until a curator answers: the job
    waits (no ``resume_after``) with ``result`` as its summary so far.
    ``recheck`` is called once the job is waiting; True (answers arrived while
    it ran) queues it again at once."""

    def __init__(
        self,
        summary: str,
        result: dict[str, Any],
        checkpoint: dict[str, Any],
        recheck: Callable[[], bool],
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.result = result
        self.checkpoint = checkpoint
        self.recheck = recheck


REVIEW_RUNS = "review_runs"
"""Checkpoint key: the attempt number of the last run that ended waiting for
review; transient errors get :data:`MAX_ATTEMPTS` runs counted from there."""


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
    lease: Lease | None = field(default=None, repr=False)
    """The runner's lease (None only for job functions called directly in tests)."""

    def save_checkpoint(self, **values: Any) -> None:
        """Merge ``values`` into the stored checkpoint, then honour a cancel.
        Fenced by the lease: a runner that lost the job writes nothing."""
        self.checkpoint.update(values)
        statement = update(Job).values(checkpoint=dict(self.checkpoint))
        if self.lease is not None:
            self.lease.check()
            statement = self.lease.fenced(statement)
        else:
            statement = statement.where(Job.id == self.job_id)
        with self.runtime.engine.begin() as conn:
            written = conn.execute(statement)
        if written.rowcount != 1 and self.lease is not None:
            raise LeaseLostError(f"job {self.job_id}: another runner holds it now")
        self.check_cancelled()

    def check_cancelled(self) -> None:
        """Raise JobCancelledError when someone cancelled this job (and
        LeaseLostError when another runner took it over)."""
        if self.lease is not None:
            self.lease.check()
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

DISPATCH_MARK_S = 300
"""With Redis, how long a dispatch mark (``crossfade:job:<id>:queued``) tells the
workers' sweep that the job is already on the RQ queue."""


def dispatch_mark(job_id: str) -> str:
    return f"crossfade:job:{job_id}:queued"


def dispatch(runtime: Runtime, job_id: str, *, at: datetime | None = None) -> None:
    """Hand a job to the RQ queue (Redis) or a background thread (embedded)."""
    if runtime.redis is not None:
        from rq import Queue

        queue = Queue(QUEUE_NAME, connection=runtime.redis)
        if at is None:
            runtime.redis.set(dispatch_mark(job_id), "1", ex=DISPATCH_MARK_S)
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


def _claim(runtime: Runtime, job_id: str, owner: str) -> Job | None:
    """Take the job for ``owner`` unless another runner holds a live lease."""
    now = datetime.now(UTC)
    with runtime.engine.begin() as conn:
        claimed = conn.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.state.in_(("queued", "running", "waiting")),
                claimable(now),
            )
            .values(
                state="running",
                attempts=Job.attempts + 1,
                started_at=now,
                resume_after=None,
                error=None,
                lease_owner=owner,
                lease_until=now + timedelta(seconds=runtime.settings.job_lease_s),
            )
        )
        if claimed.rowcount != 1:
            return None
    with Session(runtime.engine, expire_on_commit=False) as session:
        return session.get(Job, job_id)


def _finish(runtime: Runtime, lease: Lease, **values: Any) -> bool:
    """Move the running job this runner holds to its end state and release the
    lease; False if it was cancelled or taken over meanwhile."""
    lease.stop()
    with runtime.engine.begin() as conn:
        done = conn.execute(
            lease.fenced(update(Job))
            .where(Job.state == "running")
            .values(lease_owner=None, lease_until=None, **values)
        )
        lease.mark_seen(conn)
    if done.rowcount != 1:
        lease.release()  # cancelled meanwhile: still give the lease up
    return bool(done.rowcount == 1)


def run_job(runtime: Runtime, job_id: str) -> str:
    """Claim and run one job; return the state it ended in. When another
    runner holds the job, return its state at once without running it."""
    return _run(runtime, job_id)[1]


def run_or_follow(runtime: Runtime, job_id: str, *, poll_s: float = 0.5) -> str:
    """Run the job, or, while another runner holds it, wait for it to end (a
    second caller follows the running job), taking it over if the holder's
    lease lapses. Returns the state the job ended in (or ``waiting``)."""
    while True:
        _ran, state = _run(runtime, job_id)
        if state in TERMINAL_STATES or state == "waiting":
            return state
        # not ours, or ours until our lease lapsed (a stall) and another runner
        # took it over: follow whoever holds it now
        while True:
            with runtime.engine.connect() as conn:
                row = conn.execute(
                    select(Job.state, Job.lease_owner, Job.lease_until).where(Job.id == job_id)
                ).one()
            if row.state in TERMINAL_STATES or row.state == "waiting":
                return str(row.state)
            if lease_lapsed(row.lease_owner, row.lease_until, datetime.now(UTC)):
                break
            time.sleep(poll_s)


def _run(runtime: Runtime, job_id: str) -> tuple[bool, str]:
    owner = new_owner()
    job = _claim(runtime, job_id, owner)
    if job is None:
        return False, job_state(runtime, job_id)
    lease = Lease(runtime, job_id, owner, job.attempts)
    lease.start()
    try:
        return True, _execute(runtime, job, lease)
    finally:
        lease.stop()


def _execute(runtime: Runtime, job: Job, lease: Lease) -> str:
    job_id = job.id
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
        lease=lease,
    )
    reporter.phase("starting")
    try:
        require_feature(runtime, job.kind)
        from engine.jobs.params import validate_params

        context.params = validate_params(job.kind, context.params, local=True)
        result = job_function(job.kind)(context)
    except JobCancelledError:
        reporter.note("cancelled")
        lease.release()
        return job_state(runtime, job_id)
    except LeaseLostError as exc:
        log.warning("job %s: %s; the new holder carries on", job_id, exc)
        return job_state(runtime, job_id)
    except WaitForReview as wait:
        return _wait_for_review(runtime, reporter, lease, wait)
    except QuotaExceededError as exc:
        resets_at = _quota_resets_at(exc)
        if resets_at is None:
            return _fail(runtime, reporter, lease, exc)
        return _wait(runtime, reporter, lease, str(exc), resets_at)
    except RETRYABLE_ERRORS as exc:
        if job.attempts - int(context.checkpoint.get(REVIEW_RUNS, 0)) >= MAX_ATTEMPTS:
            return _fail(runtime, reporter, lease, exc)
        until = datetime.now(UTC) + timedelta(seconds=BACKOFF_BASE_S * 2 ** (job.attempts - 1))
        return _wait(runtime, reporter, lease, str(exc), until)
    except FeatureDisabledError as exc:
        return _fail(runtime, reporter, lease, exc, state="cancelled")
    except CrossfadeError as exc:
        return _fail(runtime, reporter, lease, exc)
    except Exception as exc:
        if lease.lost.is_set():  # a runner that lost the job reports nothing
            return job_state(runtime, job_id)
        log.error("job %s crashed:\n%s", job_id, traceback.format_exc())
        return _fail(runtime, reporter, lease, exc)
    reporter.phase("done", total=reporter.current.total, done=reporter.current.total or 0)
    if context.checkpoint.get("read_warnings") and isinstance(result, dict):
        # what a file reader repaired or dropped (engine.formats) reaches the job's result
        result = {**result, "read_warnings": context.checkpoint["read_warnings"]}
    _finish(runtime, lease, state="succeeded", result=result, finished_at=datetime.now(UTC))
    _announce(runtime, job_id)
    return job_state(runtime, job_id)


def _fail(
    runtime: Runtime,
    reporter: ProgressReporter,
    lease: Lease,
    exc: BaseException,
    *,
    state: str = "failed",
) -> str:
    if isinstance(exc, CrossfadeError):
        from engine.jobs.isolation import systemic_reason

        why = systemic_reason(exc)
        message = f"{exc.kind}: {exc}" + (f" (systemic: {why})" if why else "")
    else:  # internal detail (KeyError: 'x', a traceback) stays in the log
        message = f"internal: the job stopped on an unexpected error (logged as job {lease.job_id})"
    reporter.error(message)
    _finish(runtime, lease, state=state, error=message, finished_at=datetime.now(UTC))
    _announce(runtime, lease.job_id)
    return job_state(runtime, lease.job_id)


def _wait(
    runtime: Runtime, reporter: ProgressReporter, lease: Lease, message: str, until: datetime
) -> str:
    reporter.error(f"{message} (resuming after {until.isoformat()})")
    if _finish(runtime, lease, state="waiting", resume_after=until, error=message):
        dispatch(runtime, lease.job_id, at=until)
    _announce(runtime, lease.job_id)
    return job_state(runtime, lease.job_id)


def _wait_for_review(
    runtime: Runtime, reporter: ProgressReporter, lease: Lease, wait: WaitForReview
) -> str:
    job_id = lease.job_id
    total = reporter.current.total
    reporter.phase("waiting for review", total=total, done=reporter.current.done or 0)
    reporter.note(wait.summary)
    # the retry budget counts runs since the last one that ended waiting for the
    # curator (attempts also number the lease's claims, so they are never reset)
    checkpoint = {**wait.checkpoint, REVIEW_RUNS: lease.attempt}
    waiting = _finish(
        runtime,
        lease,
        state="waiting",
        resume_after=None,
        result=wait.result,
        checkpoint=checkpoint,
    )
    _announce(runtime, job_id)
    if waiting and wait.recheck():
        from engine.jobs.review_wait import requeue

        requeue(runtime, job_id)
    return job_state(runtime, job_id)


DAILY_QUOTA_PROVIDERS = frozenset({"youtube"})
"""Providers whose spent quota comes back at the next midnight Pacific time."""


def _quota_resets_at(exc: QuotaExceededError) -> datetime | None:
    """When a spent quota comes back: the error's own reset time, else the next
    midnight Pacific time (plus a minute) for a daily-quota provider (YouTube's
    documented reset); None when nothing says it ever resets (the job fails)."""
    explicit = getattr(exc, "resets_at", None)
    if isinstance(explicit, datetime):
        return explicit
    if exc.provider is None or exc.provider in DAILY_QUOTA_PROVIDERS:
        return next_quota_reset(datetime.now(UTC))
    return None


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
