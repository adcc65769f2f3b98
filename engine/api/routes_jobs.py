"""Jobs: submit (idempotent), read, cancel, and follow progress as Server-Sent Events."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse

from engine import jobs
from engine.api.deps import Caller, get_caller, get_runtime
from engine.api.problems import problem_responses
from engine.api.schemas import Job, JobRequest, Limit
from engine.errors import DataError, InvalidParamsError, NotFoundError, UsageError
from engine.jobs.params import upload_ids, validate_params
from engine.jobs.progress import TERMINAL_STATES
from engine.jobs.runner import require_feature
from engine.jobs.submit import canonical_json, scoped_key
from engine.runtime import Runtime
from engine.userfiles import upload_path

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobState = Literal["queued", "running", "waiting", "succeeded", "failed", "cancelled"]

JobId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9\-]+$")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="Replaying a request with the same key returns the same job; "
        "the same key with a different body is refused (422).",
    ),
]


def available_kinds() -> list[str]:
    """Job kinds whose code is installed (``engine.jobs.JOB_KINDS``)."""
    return sorted(
        kind
        for kind, target in jobs.JOB_KINDS.items()
        if importlib.util.find_spec(target.split(":")[0]) is not None
    )


def _check_json(value: Any, where: str = "params") -> None:
    """Refuse what the store's JSON columns cannot hold (NUL, NaN, infinities)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise DataError(f"{where}: numbers must be finite")
    if isinstance(value, str):
        if "\x00" in value:
            raise DataError(f"{where}: text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DataError(f"{where}: text is not valid Unicode") from exc
    if isinstance(value, dict):
        for key, inner in value.items():
            _check_json(key, f"{where}.<key>")
            _check_json(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_json(inner, f"{where}[{index}]")


def _job(row: dict[str, Any]) -> Job:
    return Job.model_validate(row)


def _existing_job_id(runtime: Runtime, user_id: int, key: str) -> str | None:
    from sqlalchemy import select

    from engine.store.models import Job as JobRow

    with runtime.engine.connect() as connection:
        query = select(JobRow.id).where(JobRow.idempotency_key == scoped_key(user_id, key))
        return connection.execute(query).scalar()


def _check_uploads(runtime: Runtime, user_id: int, params: dict[str, Any]) -> None:
    """Refuse a job naming an upload the caller does not have (before queueing);
    a missing upload and another user's answer alike."""
    for upload_id in upload_ids(params):
        try:
            upload_path(runtime, user_id, upload_id)
        except NotFoundError as exc:
            loc = ["params", "source", "upload_id"]
            raise InvalidParamsError(
                f"params.source.upload_id: {exc}", [{"loc": loc, "msg": str(exc), "type": "upload"}]
            ) from None


def _submit(
    runtime: Runtime, caller: Caller, body: JobRequest, key: str | None, start: bool
) -> tuple[dict[str, Any], bool]:
    _check_json(body.params)
    if body.kind not in available_kinds():
        raise UsageError(f"unknown job kind {body.kind!r} (known: {', '.join(available_kinds())})")
    require_feature(runtime, body.kind)  # a switched-off kind answers 503 whatever its params
    params = validate_params(body.kind, body.params, local=False)
    _check_uploads(runtime, caller.user_id, params)
    existed = key is not None and _existing_job_id(runtime, caller.user_id, key) is not None
    job_id = jobs.submit(
        runtime,
        body.kind,
        params,
        user_id=caller.user_id,
        idempotency_key=key,
        start=start,
        local=False,
    )
    row = jobs.job_row(runtime, job_id, user_id=caller.user_id)
    same = row["kind"] == body.kind and canonical_json(row["params"]) == canonical_json(params)
    if not same:
        raise DataError(
            "Idempotency-Key was already used with a different request body "
            f"(job {job_id}); use a new key for a new request",
            kind="idempotency-mismatch",
        )
    return row, not existed


@router.post(
    "",
    status_code=201,
    response_model=Job,
    summary="Submit a job",
    responses={
        200: {"model": Job, "description": "A replay: the job this key already created."},
        **problem_responses(400, 401, 409, 422, 503),
    },
)
async def submit_job(
    body: JobRequest,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> Job:
    """Start a job (``pull``, ``migrate``, ``sync``, ``export``, ``snapshot_gc``...).
    Its parameters are checked against the kind's model first (422 naming each
    bad field); they name ids and uploads, never server paths. With an
    ``Idempotency-Key`` a replay returns the same job."""
    start = bool(request.app.state.start_jobs)
    row, created = await run_in_threadpool(_submit, runtime, caller, body, idempotency_key, start)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/jobs/{row['id']}"
    return _job(row)


@router.get("", response_model=list[Job], responses=problem_responses(401, 422))
def list_jobs(
    state: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
    limit: Limit = 50,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> list[Job]:
    """The caller's newest jobs."""
    rows = jobs.list_jobs(runtime, user_id=caller.user_id, state=state, limit=limit)
    return [_job(row) for row in rows]


@router.get("/{job_id}", response_model=Job, responses=problem_responses(401, 404, 422))
def get_job(
    job_id: JobId, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Job:
    """One of the caller's jobs with its state and latest progress."""
    row = jobs.job_row(runtime, job_id, user_id=caller.user_id)
    row["progress"] = jobs.read_progress(runtime, job_id, user_id=caller.user_id)
    return _job(row)


@router.post(
    "/{job_id}/cancel", response_model=Job, responses=problem_responses(401, 404, 409, 422)
)
def cancel_job(
    job_id: JobId, caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> Job:
    """Cancel a queued, waiting or running job (it stops at its next checkpoint)."""
    jobs.cancel(runtime, job_id, user_id=caller.user_id)
    return _job(jobs.job_row(runtime, job_id, user_id=caller.user_id))


async def progress_events(
    runtime: Runtime,
    job_id: str,
    poll_s: float,
    request: Request | None = None,
    *,
    user_id: int | None = None,
) -> AsyncIterator[dict[str, str]]:
    """One ``progress`` event each time the job's progress changes (the same
    channel the CLI and the app read), then an ``end`` event at a terminal state.
    Given ``user_id`` (the caller), only that user's job is read."""
    last: dict[str, Any] | None = None
    while True:
        value = await run_in_threadpool(jobs.read_progress, runtime, job_id, user_id=user_id)
        if value != last:
            yield {"event": "progress", "data": json.dumps(value, default=str)}
            last = value
        if value["state"] in TERMINAL_STATES or value["state"] == "waiting":
            yield {"event": "end", "data": json.dumps({"state": value["state"]})}
            return
        if request is not None and await request.is_disconnected():
            return
        await asyncio.sleep(poll_s)


@router.get(
    "/{job_id}/events",
    summary="Follow a job's progress (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "A stream of `progress` events, then one `end` event.",
        },
        **problem_responses(401, 404, 422),
    },
)
async def job_events(
    job_id: JobId,
    request: Request,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> EventSourceResponse:
    """Stream progress until the job finishes (or waits for its quota)."""
    await run_in_threadpool(jobs.read_progress, runtime, job_id, user_id=caller.user_id)
    poll_s = float(request.app.state.progress_poll_s)
    events = progress_events(runtime, job_id, poll_s, request, user_id=caller.user_id)
    return EventSourceResponse(events, ping=15)
