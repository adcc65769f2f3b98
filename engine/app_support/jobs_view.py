"""Jobs as the app lists and follows them, always scoped to the user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import jobs
from engine.runtime import Runtime
from engine.store.models import Playlist, ProviderAccount

FINISHED = ("succeeded", "failed", "cancelled")
WAITING_FOR_REVIEW = "waiting for review"
CANCELLABLE = ("queued", "running", "waiting")
RETRYABLE = ("failed", "cancelled")
JOB_COLUMNS: dict[str, Any] = {
    "id": pl.Utf8,
    "kind": pl.Utf8,
    "works on": pl.Utf8,
    "state": pl.Utf8,
    "summary": pl.Utf8,
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


def display_state(job: dict[str, Any]) -> str:
    """The job's state as people read it: a job waiting for its curator (no
    time to resume at) is "waiting for review", not a plain "waiting"."""
    if job["state"] == "waiting" and not job.get("resume_after"):
        return WAITING_FOR_REVIEW
    return str(job["state"])


def works_on(runtime: Runtime, user_id: int, job: dict[str, Any]) -> str:
    """What the job works on, e.g. ``playlist "Road trip" → spotify playlist 3xY…``."""
    params = job.get("params") or {}
    source = params.get("source") or {}
    if "file" in source:
        what = f"file {Path(str(source['file'])).name}"
    elif "playlist_id" in source:
        what = _playlist_name(runtime, user_id, int(source["playlist_id"]))
    elif "snapshot_id" in source:
        what = f"snapshot {source['snapshot_id']}"
    elif "account_id" in source:
        remote = source.get("provider_playlist_id") or "liked"
        what = "liked tracks" if remote == "liked" else f"provider playlist {remote}"
    elif params.get("playlists"):
        what = f"{len(params['playlists'])} playlist(s)"
    else:
        what = ""
    result = job.get("result") or {}
    target = result.get("target_provider") or _account_provider(
        runtime, user_id, params.get("target_account_id")
    )
    if not target:
        return what or str(job["kind"])
    playlists = [p for p in result.get("target_playlists") or [] if p]
    into = f"{target} playlist {', '.join(playlists)}" if playlists else str(target)
    return f"{what} → {into}" if what else into


def _playlist_name(runtime: Runtime, user_id: int, playlist_id: int) -> str:
    with Session(runtime.engine) as session:
        name = session.scalar(
            select(Playlist.name).where(Playlist.id == playlist_id, Playlist.user_id == user_id)
        )
    return f'playlist "{name}"' if name else f"playlist {playlist_id}"


def _account_provider(runtime: Runtime, user_id: int, account_id: Any) -> str | None:
    if account_id is None:
        return None
    with Session(runtime.engine) as session:
        provider = session.scalar(
            select(ProviderAccount.provider).where(
                ProviderAccount.id == int(account_id), ProviderAccount.user_id == user_id
            )
        )
    return None if provider is None else str(provider)


def waiting_for_review(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    """The user's jobs waiting for the curator, with their summary line."""
    rows = jobs.list_jobs(runtime, user_id=user_id, state="waiting", limit=100)
    return [
        {"id": r["id"], "summary": (r["result"] or {}).get("summary") or WAITING_FOR_REVIEW}
        for r in rows
        if display_state(r) == WAITING_FOR_REVIEW
    ]


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
                "works on": works_on(runtime, user_id, job),
                "state": display_state(job),
                "summary": (job["result"] or {}).get("summary"),
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
    progress["display_state"] = display_state(row)
    progress["summary"] = (row["result"] or {}).get("summary")
    if progress["display_state"] == WAITING_FOR_REVIEW:
        progress["result"] = row["result"]
    progress["params"] = row["params"]
    return progress


def report_file(runtime: Runtime, user_id: int, job_id: str) -> Path | None:
    """The job's report CSV when it is one of this user's jobs and the file lies
    in the data directory (a path from the job row is never trusted beyond it)."""
    row = jobs.job_row(runtime, job_id, user_id=user_id)
    raw = (row["result"] or {}).get("report") or (row["checkpoint"] or {}).get("report")
    if not raw or not str(raw).endswith(".csv"):
        return None
    path = Path(str(raw)).resolve()
    root = runtime.settings.data_dir.resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
