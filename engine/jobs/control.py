"""Looking at and steering jobs: list, status, cancel, retry, and the workers.

``crossfade worker`` runs an RQ worker (with its scheduler, so jobs waiting for
a quota reset come back) when Redis is configured; on the embedded default it
polls the store for queued jobs, jobs whose ``resume_after`` has passed, and
jobs left ``running`` by a worker that died (no progress for
:data:`STALE_AFTER_S`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine.errors import ConflictError
from engine.jobs.runner import QUEUE_NAME, dispatch, run_job
from engine.store.models import Job, aware
from engine.store.owned import get_owned

if TYPE_CHECKING:
    from engine.runtime import Runtime

STALE_AFTER_S = 120.0
"""A running job with no progress write for this long is taken over by the
embedded worker (its own worker must have died)."""


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
    """Queue a failed or cancelled job again; it resumes from its checkpoint."""
    job = job_row(runtime, job_id, user_id=user_id)
    with runtime.engine.begin() as conn:
        changed = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(("failed", "cancelled")))
            .values(state="queued", error=None, finished_at=None, resume_after=None)
        )
    if changed.rowcount != 1:
        raise ConflictError(f"job {job_id} is {job['state']}; only failed or cancelled jobs retry")
    if start:
        dispatch(runtime, job_id)
    return "queued"


def due_jobs(runtime: Runtime, *, now: datetime | None = None) -> list[str]:
    """Jobs the embedded worker should run now, oldest first."""
    now = now or datetime.now(UTC)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Job.id, Job.state, Job.progress, Job.started_at)
            .where(
                or_(
                    Job.state == "queued",
                    Job.state == "running",
                    (Job.state == "waiting") & (Job.resume_after <= now),
                )
            )
            .order_by(Job.created_at)
        ).all()
    due = []
    for row in rows:
        if row.state == "running" and not _is_stale(row.progress, row.started_at, now):
            continue
        due.append(row.id)
    return due


def _is_stale(progress: dict[str, Any] | None, started_at: datetime | None, now: datetime) -> bool:
    stamp = (progress or {}).get("updated_at")
    last = datetime.fromisoformat(stamp) if stamp else started_at
    if last is None:
        return True
    return now - aware(last) > timedelta(seconds=STALE_AFTER_S)


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
    """An RQ worker on the crossfade queue, with the scheduler for delayed jobs."""
    from rq import Queue, Worker

    assert runtime.redis is not None
    queue = Queue(QUEUE_NAME, connection=runtime.redis)
    Worker([queue], connection=runtime.redis).work(burst=burst, with_scheduler=True)


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
