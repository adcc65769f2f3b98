"""Job ``snapshot_gc``: snapshot retention.

Per playlist it keeps the newest ``keep_last`` snapshots and, for the last
``keep_daily_days`` days, the newest complete snapshot of each day; it never
deletes a snapshot that

- the effective view shows or falls back to (the two newest complete ones),
- is still in progress, or belongs to an unfinished job (or is named by one's
  parameters or checkpoint, e.g. the source of a running sync),
- a user pinned.

Parameters: ``playlist_id`` (else every playlist of the user), ``keep_last``,
``keep_daily_days``, ``dry_run``. A retention parameter left out (or ``None``)
comes from the job owner's saved retention (Settings page,
``engine.store.preferences.load_retention``); defaults when nothing is saved
or the job has no owner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.batching import chunks
from engine.errors import UsageError
from engine.jobs.runner import JobContext
from engine.store.models import Job, Playlist, Snapshot, SnapshotItem, aware
from engine.store.preferences import Retention, load_retention

DEFAULT_KEEP_LAST = 10
"""Newest snapshots of a playlist always kept."""

DEFAULT_KEEP_DAILY_DAYS = 30
"""Days for which one snapshot a day is kept."""

FALLBACK_DEPTH = 2
"""Complete snapshots the effective view may need: the current one and its fallback."""

ACTIVE_JOB_STATES = ("queued", "running", "waiting")


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    playlist_id: int
    status: str
    taken_at: datetime
    pinned: bool
    job_id: str | None


def choose_deletable(
    snapshots: Iterable[SnapshotInfo],
    *,
    now: datetime,
    keep_last: int = DEFAULT_KEEP_LAST,
    keep_daily_days: int = DEFAULT_KEEP_DAILY_DAYS,
    protected_ids: frozenset[int] = frozenset(),
    active_jobs: frozenset[str] = frozenset(),
) -> list[int]:
    """Ids of the snapshots retention lets go (pure: no I/O)."""
    if keep_last < 0 or keep_daily_days < 0:
        raise UsageError("keep_last and keep_daily_days must be >= 0")
    by_playlist: dict[int, list[SnapshotInfo]] = {}
    for snap in snapshots:
        by_playlist.setdefault(snap.playlist_id, []).append(snap)
    doomed: list[int] = []
    for group in by_playlist.values():
        group.sort(key=lambda s: (aware(s.taken_at), s.id), reverse=True)
        keep = {s.id for s in group[:keep_last]}
        complete = [s for s in group if s.status == "complete"]
        keep |= {s.id for s in complete[:FALLBACK_DEPTH]}
        cutoff = now - timedelta(days=keep_daily_days)
        days_seen: set[str] = set()
        for snap in group:
            taken = aware(snap.taken_at)
            day = taken.date().isoformat()
            if snap.status == "complete" and taken >= cutoff and day not in days_seen:
                days_seen.add(day)
                keep.add(snap.id)
        for snap in group:
            if (
                snap.id in keep
                or snap.pinned
                or snap.status == "in_progress"
                or snap.id in protected_ids
                or (snap.job_id is not None and snap.job_id in active_jobs)
            ):
                continue
            doomed.append(snap.id)
    return sorted(doomed)


def _ids_named_in(value: Any) -> set[int]:
    """Snapshot ids a job's parameters or checkpoint refer to."""
    found: set[int] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if "snapshot" in str(key) and isinstance(inner, int):
                found.add(inner)
            elif "snapshot" in str(key) and isinstance(inner, list):
                found.update(i for i in inner if isinstance(i, int))
            else:
                found |= _ids_named_in(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _ids_named_in(inner)
    return found


def effective_retention(ctx: JobContext) -> tuple[int, int]:
    """``(keep_last, keep_daily_days)``: explicit job parameters win, else the
    owner's saved retention, else the defaults."""
    params = ctx.params
    saved = (
        load_retention(ctx.runtime.engine, ctx.user_id)
        if ctx.user_id is not None
        else Retention(keep_last=DEFAULT_KEEP_LAST, keep_daily_days=DEFAULT_KEEP_DAILY_DAYS)
    )
    keep_last = params.get("keep_last")
    keep_daily = params.get("keep_daily_days")
    return (
        saved.keep_last if keep_last is None else int(keep_last),
        saved.keep_daily_days if keep_daily is None else int(keep_daily),
    )


def run(ctx: JobContext) -> dict[str, Any]:
    """Apply retention to one playlist or all of the user's playlists."""
    params = ctx.params
    keep_last, keep_daily = effective_retention(ctx)
    dry_run = bool(params.get("dry_run", False))
    ctx.progress.phase("scanning")
    with Session(ctx.runtime.engine) as session:
        query = select(Snapshot).join(Playlist, Playlist.id == Snapshot.playlist_id)
        if ctx.user_id is not None:
            query = query.where(Playlist.user_id == ctx.user_id)
        if params.get("playlist_id") is not None:
            query = query.where(Snapshot.playlist_id == int(params["playlist_id"]))
        snapshots = [
            SnapshotInfo(s.id, s.playlist_id, s.status, s.taken_at, s.pinned, s.job_id)
            for s in session.scalars(query)
        ]
        active = session.execute(
            select(Job.id, Job.params, Job.checkpoint).where(
                Job.state.in_(ACTIVE_JOB_STATES), Job.id != ctx.job_id
            )
        ).all()
    protected: set[int] = set()
    for row in active:
        protected |= _ids_named_in(row.params) | _ids_named_in(row.checkpoint)
    doomed = choose_deletable(
        snapshots,
        now=datetime.now(UTC),
        keep_last=keep_last,
        keep_daily_days=keep_daily,
        protected_ids=frozenset(protected),
        active_jobs=frozenset(row.id for row in active),
    )
    ctx.progress.phase("deleting", total=len(doomed))
    if not dry_run:
        for chunk in chunks(doomed, 500):
            with ctx.runtime.engine.begin() as conn:
                conn.execute(delete(SnapshotItem).where(SnapshotItem.snapshot_id.in_(chunk)))
                conn.execute(delete(Snapshot).where(Snapshot.id.in_(chunk)))
            ctx.progress.advance(len(chunk))
    return {
        "keep_last": keep_last,
        "keep_daily_days": keep_daily,
        "scanned": len(snapshots),
        "deleted": [] if dry_run else doomed,
        "would_delete": doomed if dry_run else [],
        "dry_run": dry_run,
    }
