"""Looking at and steering jobs: list, status, cancel, retry, and the workers.

``crossfade worker`` runs an RQ worker (with its scheduler, so jobs waiting for
a quota reset come back) when Redis is configured; every few seconds it also
sweeps the store (:func:`sweep`) and enqueues any job that needs a runner and
has none: queued jobs that never reached the queue, waiting jobs past their
``resume_after``, and running jobs whose holder stopped renewing its lease (its
worker died). On the embedded default it polls the store for the same jobs
(:func:`due_jobs`) and runs them itself.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine.errors import ConflictError
from engine.jobs.lease import claimable
from engine.jobs.runner import dispatch, dispatch_mark, run_job
from engine.store.models import Job, aware
from engine.store.owned import get_owned

if TYPE_CHECKING:
    from engine.runtime import Runtime

SWEEP_MARK_S = 300
"""How long a sweep's mark stops the next sweeps from enqueueing the same job
again for the same reason (the lease keeps duplicates harmless anyway)."""


def job_row(runtime: Runtime, job_id: str, *, user_id: int | None = None) -> dict[str, Any]:
    """One job as a plain dict; NotFoundError if missing or another user's."""
    with Session(runtime.engine) as session:
        job = get_owned(session, Job, job_id, user_id=user_id, missing=f"no job {job_id}")
        return _as_dict(job)


def list_jobs(
    runtime: Runtime,
    *,
    user_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest jobs first, filtered by user, state and kind."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    if state is not None:
        query = query.where(Job.state == state)
    if kind is not None:
        query = query.where(Job.kind == kind)
    with Session(runtime.engine) as session:
        return [_as_dict(job) for job in session.scalars(query)]


def cancel(runtime: Runtime, job_id: str, *, user_id: int | None = None) -> str:
    """Cancel a queued, waiting or running job (a running one stops at its next
    checkpoint); returns the new state. A finished job cannot be cancelled."""
    job = job_row(runtime, job_id, user_id=user_id)
    with runtime.engine.begin() as conn:
        changed = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(("queued", "waiting", "running")))
            .values(state="cancelled", finished_at=datetime.now(UTC), error="cancelled by user")
        )
    if changed.rowcount != 1:
        raise ConflictError(f"job {job_id} is {job['state']}; only unfinished jobs cancel")
    return "cancelled"


def retry(runtime: Runtime, job_id: str, *, user_id: int | None = None, start: bool = True) -> str:
    """Queue a failed or cancelled job again; it resumes from its checkpoint.
    ``start`` hands it to a runner (RQ, or a background thread on the embedded
    default); with ``start=False`` the caller runs it (``run_or_follow``)."""
    job = job_row(runtime, job_id, user_id=user_id)
    with runtime.engine.begin() as conn:
        changed = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(("failed", "cancelled")))
            .values(state="queued", error=None, finished_at=None, resume_after=None)
        )
    if changed.rowcount != 1:
        raise ConflictError(f"job {job_id} is {job['state']}; only failed or cancelled jobs retry")
    if start or runtime.redis is not None:
        dispatch(runtime, job_id)
    return "queued"


def due_jobs(runtime: Runtime, *, now: datetime | None = None) -> list[str]:
    """Jobs that need a runner now and have none, oldest first: queued ones,
    waiting ones past ``resume_after``, running ones whose lease lapsed."""
    now = now or datetime.now(UTC)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Job.id)
            .where(
                or_(
                    Job.state == "queued",
                    Job.state == "running",
                    (Job.state == "waiting") & (Job.resume_after <= now),
                ),
                claimable(now),
            )
            .order_by(Job.created_at, Job.id)
        ).all()
    return [str(row.id) for row in rows]


def sweep(runtime: Runtime, *, now: datetime | None = None) -> list[str]:
    """Put on the RQ queue every job that needs a runner and has none (see
    :func:`due_jobs`): a job submitted where nothing enqueued it, one whose
    worker died holding it (re-enqueued once per lapsed holder), one whose
    delayed re-enqueue was lost. Returns the ids enqueued."""
    redis = runtime.redis
    assert redis is not None, "sweep enqueues on RQ; the embedded worker runs due_jobs itself"
    now = now or datetime.now(UTC)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Job.id, Job.state, Job.lease_owner, Job.attempts, Job.resume_after).where(
                Job.id.in_(due_jobs(runtime, now=now))
            )
        ).all()
    enqueued = []
    for row in rows:
        if row.state == "queued":
            mark = dispatch_mark(row.id)  # dispatch() sets it when it enqueues
        elif row.state == "running":
            mark = f"crossfade:job:{row.id}:rescue:{row.lease_owner}:{row.attempts}"
        else:
            mark = f"crossfade:job:{row.id}:due:{aware(row.resume_after).isoformat()}"
        if redis.set(mark, "1", nx=True, ex=SWEEP_MARK_S):
            dispatch(runtime, row.id)
            enqueued.append(str(row.id))
    return enqueued


def work_embedded(runtime: Runtime, *, burst: bool = False, poll_s: float = 2.0) -> int:
    """Run due jobs from the store one by one; with ``burst`` stop when none is
    due. Returns how many jobs were run."""
    from engine.jobs.group_schedule import run_due_schedules

    ran = 0
    while True:
        run_due_schedules(runtime)  # sync-group slots become queued jobs
        due = due_jobs(runtime)
        for job_id in due:
            run_job(runtime, job_id)
            ran += 1
        if not due:
            if burst:
                return ran
            time.sleep(poll_s)


def work_rq(runtime: Runtime, *, burst: bool = False) -> None:
    """An RQ worker on the crossfade queue, with the scheduler for delayed jobs,
    sweeping the store for jobs that need a runner every third of a lease."""
    from engine.jobs.rq_worker import SweepingWorker

    assert runtime.redis is not None
    SweepingWorker.for_runtime(runtime).work(burst=burst, with_scheduler=True)


def _as_dict(job: Job) -> dict[str, Any]:
    def stamp(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": job.id,
        "user_id": job.user_id,
        "kind": job.kind,
        "state": job.state,
        "params": job.params,
        "idempotency_key": job.idempotency_key,
        "progress": job.progress,
        "checkpoint": job.checkpoint,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "created_at": stamp(job.created_at),
        "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at),
        "resume_after": stamp(job.resume_after),
    }
