"""Jobs as the app lists and follows them, always scoped to the user."""

from __future__ import annotations

from typing import Any

import polars as pl

from engine import jobs
from engine.runtime import Runtime

FINISHED = ("succeeded", "failed", "cancelled")
JOB_COLUMNS: dict[str, Any] = {
    "id": pl.Utf8,
    "kind": pl.Utf8,
    "state": pl.Utf8,
    "phase": pl.Utf8,
    "done": pl.Int64,
    "total": pl.Int64,
    "progress": pl.Float64,
    "attempts": pl.Int64,
    "error": pl.Utf8,
    "created_at": pl.Utf8,
    "finished_at": pl.Utf8,
}


def _fraction(done: Any, total: Any, state: str) -> float | None:
    if state == "succeeded":
        return 1.0
    if not total:
        return None
    return max(0.0, min(1.0, float(done or 0) / float(total)))


def job_table(
    runtime: Runtime,
    user_id: int,
    *,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 100,
) -> pl.DataFrame:
    """The user's newest jobs with their progress, one row each."""
    rows = jobs.list_jobs(runtime, user_id=user_id, state=state, kind=kind, limit=limit)
    records = []
    for job in rows:
        progress = job["progress"] or {}
        records.append(
            {
                "id": job["id"],
                "kind": job["kind"],
                "state": job["state"],
                "phase": progress.get("phase"),
                "done": progress.get("done"),
                "total": progress.get("total"),
                "progress": _fraction(progress.get("done"), progress.get("total"), job["state"]),
                "attempts": job["attempts"],
                "error": job["error"] or progress.get("last_error"),
                "created_at": job["created_at"],
                "finished_at": job["finished_at"],
            }
        )
    return pl.DataFrame(records, schema=JOB_COLUMNS)


def job_progress(runtime: Runtime, user_id: int, job_id: str) -> dict[str, Any]:
    """The job's live progress (NotFoundError when it is not the user's), with
    ``fraction`` (0..1 or None) and ``finished``."""
    row = jobs.job_row(runtime, job_id, user_id=user_id)
    progress = jobs.read_progress(runtime, job_id, user_id=user_id)
    progress["fraction"] = _fraction(progress.get("done"), progress.get("total"), row["state"])
    progress["finished"] = progress["state"] in FINISHED
    progress["result"] = row["result"] if progress["finished"] else {}
    progress["params"] = row["params"]
    return progress
