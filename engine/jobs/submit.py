"""Idempotent job submission.

Every submission carries an idempotency key: the caller's, or one derived from
the user, the kind and the canonical JSON of the parameters. The same key
within :data:`IDEMPOTENCY_WINDOW_S` gives the same job, even when two processes
submit at the same instant. With Redis the key is claimed with ``SET NX`` and a
TTL; the ``jobs.idempotency_key`` unique constraint backs it up (and is the
only guard on the embedded default).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import ConflictError, UsageError
from engine.jobs.params import validate_params
from engine.jobs.progress import TERMINAL_STATES
from engine.store.models import Job, aware

if TYPE_CHECKING:
    from engine.runtime import Runtime

IDEMPOTENCY_WINDOW_S = 24 * 3600
"""How long a key keeps returning the same job. After it, a finished job's key
is released so the same request (a nightly sync, say) runs again."""

REDIS_WAIT_S = 15.0
"""How long a losing submitter waits for the winner's row to appear."""

FORBIDDEN_PARAM_WORDS = ("token", "secret", "password")
"""Jobs take ids and paths only: parameters named like credentials are refused."""


def canonical_json(value: Any) -> str:
    """Key-sorted, compact JSON: equal parameters always give the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def derive_key(user_id: int | None, kind: str, params: dict[str, Any]) -> str:
    """The key of a submission that brings none: user + kind + parameters."""
    digest = hashlib.sha256(canonical_json([user_id, kind, params]).encode()).hexdigest()
    return f"{kind}:{digest[:48]}"


def scoped_key(user_id: int | None, key: str) -> str:
    """A caller's key scoped to its user (keys of two users never collide),
    hashed when it would not fit the column."""
    scoped = f"u{user_id}:{key}"
    if len(scoped) > 120:
        scoped = f"u{user_id}:h:" + hashlib.sha256(key.encode()).hexdigest()
    return scoped


def _check_params(params: dict[str, Any]) -> None:
    try:
        canonical_json(params)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"job parameters must be plain JSON values: {exc}") from exc

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                lowered = str(name).lower()
                if any(word in lowered for word in FORBIDDEN_PARAM_WORDS):
                    raise UsageError(
                        f"job parameter {where}{name} looks like a credential; "
                        "jobs take account ids, never tokens"
                    )
                walk(inner, f"{where}{name}.")
        elif isinstance(value, list):
            for inner in value:
                walk(inner, where)

    walk(params, "")


def submit(
    runtime: Runtime,
    kind: str,
    params: dict[str, Any],
    *,
    user_id: int | None,
    idempotency_key: str | None = None,
    start: bool = True,
    local: bool = True,
) -> str:
    """Create (or find) the job for this request and return its id.

    With Redis every new job goes onto the RQ queue, whoever submits it, so it
    always reaches a worker (a caller that also runs it, or a second worker,
    finds it held and follows it: one runner per job). On the embedded default
    ``start`` hands it to a background thread; ``start=False`` leaves it queued
    for the caller (the CLI, tests) or ``crossfade worker``.
    ``params`` are checked against the kind's model first
    (``engine.jobs.params``); ``local=False`` (the API, the app) refuses
    server paths: such a job names uploads and ids only.
    """
    from engine.jobs import runner

    runner.job_function(kind)  # refuses unknown kinds before anything is stored
    runner.require_feature(runtime, kind)
    _check_params(params)
    params = validate_params(kind, params, local=local)
    key = (
        scoped_key(user_id, idempotency_key)
        if idempotency_key
        else scoped_key(user_id, derive_key(user_id, kind, params))
    )
    if runtime.redis is not None:
        job_id, created = _claim_with_redis(runtime, key, kind, params, user_id)
    else:
        job_id, created = _claim_with_db(runtime, key, kind, params, user_id, uuid.uuid4().hex)
    if created and (start or runtime.redis is not None):
        runner.dispatch(runtime, job_id)
    return job_id


def _claim_with_redis(
    runtime: Runtime, key: str, kind: str, params: dict[str, Any], user_id: int | None
) -> tuple[str, bool]:
    redis = runtime.redis
    assert redis is not None
    redis_key = f"crossfade:idem:{key}"
    new_id = uuid.uuid4().hex
    if redis.set(redis_key, new_id, nx=True, ex=IDEMPOTENCY_WINDOW_S):
        job_id, created = _claim_with_db(runtime, key, kind, params, user_id, new_id)
        if not created:  # an older job still owns the key in the store
            redis.set(redis_key, job_id, ex=IDEMPOTENCY_WINDOW_S)
        return job_id, created
    deadline = time.monotonic() + REDIS_WAIT_S
    while True:
        raw = redis.get(redis_key)
        if raw is not None and _job_exists(runtime, raw.decode()):
            return raw.decode(), False
        existing = _job_by_key(runtime, key)
        if existing is not None:
            return existing, False
        if time.monotonic() >= deadline:
            raise ConflictError(f"job with idempotency key {key} is being created elsewhere")
        time.sleep(0.02)


def _claim_with_db(
    runtime: Runtime,
    key: str,
    kind: str,
    params: dict[str, Any],
    user_id: int | None,
    job_id: str,
) -> tuple[str, bool]:
    for _ in range(3):
        try:
            with runtime.engine.begin() as conn:
                conn.execute(
                    insert(Job).values(
                        id=job_id,
                        user_id=user_id,
                        kind=kind,
                        state="queued",
                        params=params,
                        idempotency_key=key,
                        progress={"phase": "queued", "done": 0, "total": None},
                        checkpoint={},
                        result={},
                        attempts=0,
                        created_at=datetime.now(UTC),
                    )
                )
            return job_id, True
        except IntegrityError:
            existing = _job_by_key(runtime, key)
            if existing is None:
                continue  # released between our insert and our read: try again
            if not _release_if_expired(runtime, existing, key):
                return existing, False
    raise ConflictError(f"could not claim idempotency key {key}")


def _release_if_expired(runtime: Runtime, job_id: str, key: str) -> bool:
    """Free the key of a finished job older than the window; True if freed."""
    cutoff = datetime.now(UTC) - timedelta(seconds=IDEMPOTENCY_WINDOW_S)
    with runtime.engine.begin() as conn:
        row = conn.execute(select(Job.state, Job.created_at).where(Job.id == job_id)).first()
        if row is None or row.state not in TERMINAL_STATES:
            return False
        created = aware(row.created_at)
        if created > cutoff:
            return False
        released = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.idempotency_key == key)
            .values(idempotency_key=f"{key[:80]}:done:{job_id}")
        )
        return released.rowcount == 1


def _job_by_key(runtime: Runtime, key: str) -> str | None:
    with runtime.engine.connect() as conn:
        return conn.execute(select(Job.id).where(Job.idempotency_key == key)).scalar()


def _job_exists(runtime: Runtime, job_id: str) -> bool:
    with runtime.engine.connect() as conn:
        return conn.execute(select(Job.id).where(Job.id == job_id)).scalar() is not None
