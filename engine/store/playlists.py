"""Playlists and their snapshots: immutable captures of the items at a time.

A capture runs ``begin_snapshot`` -> ``add_snapshot_items`` (any number of
times) -> ``complete_snapshot`` or ``fail_snapshot``. Readers only ever see
complete snapshots, through the view ``v_playlist_item_effective``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from engine.errors import ConflictError, NotFoundError, UsageError
from engine.store.models import Playlist, Snapshot, SnapshotItem, utcnow
from engine.store.owned import get_owned

PLAYLIST_SOURCES = ("provider", "file")
PLAYLIST_KINDS = ("playlist", "liked", "albums")
SNAPSHOT_IN_PROGRESS, SNAPSHOT_COMPLETE, SNAPSHOT_FAILED = "in_progress", "complete", "failed"


def create_playlist(
    session: Session,
    user_id: int,
    name: str,
    *,
    source: str = "file",
    provider: str | None = None,
    provider_playlist_id: str | None = None,
    account_id: int | None = None,
    kind: str = "playlist",
    description: str | None = None,
    file_path: str | None = None,
) -> Playlist:
    """A new playlist owned by ``user_id`` (from a provider account or a file)."""
    if source not in PLAYLIST_SOURCES:
        raise UsageError(f"playlist source must be one of {PLAYLIST_SOURCES}, not {source!r}")
    if kind not in PLAYLIST_KINDS:
        raise UsageError(f"playlist kind must be one of {PLAYLIST_KINDS}, not {kind!r}")
    if not name.strip():
        raise UsageError("a playlist needs a name")
    playlist = Playlist(
        user_id=user_id,
        name=name,
        source=source,
        provider=provider,
        provider_playlist_id=provider_playlist_id,
        account_id=account_id,
        kind=kind,
        description=description,
        file_path=file_path,
    )
    session.add(playlist)
    session.flush()
    return playlist


def get_playlist(session: Session, playlist_id: int, *, user_id: int | None = None) -> Playlist:
    """The playlist; with ``user_id``, another user's playlist is "not found"."""
    missing = f"playlist {playlist_id} does not exist"
    return get_owned(session, Playlist, playlist_id, user_id=user_id, missing=missing)


def find_provider_playlist(
    session: Session, user_id: int, provider: str, provider_playlist_id: str
) -> Playlist | None:
    """The user's playlist mirroring this provider playlist, if stored."""
    query = select(Playlist).where(
        Playlist.user_id == user_id,
        Playlist.provider == provider,
        Playlist.provider_playlist_id == provider_playlist_id,
    )
    return session.scalars(query.order_by(Playlist.id)).first()


def list_playlists(
    session: Session, user_id: int, *, offset: int = 0, limit: int | None = None
) -> Sequence[Playlist]:
    """The user's playlists, oldest first."""
    query = select(Playlist).where(Playlist.user_id == user_id).order_by(Playlist.id)
    return session.scalars(query.offset(offset).limit(limit)).all()


def count_playlists(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Playlist).where(Playlist.user_id == user_id)
    return int(session.scalar(query) or 0)


def begin_snapshot(
    session: Session,
    playlist_id: int,
    job_id: str | None = None,
    *,
    taken_at: datetime | None = None,
) -> Snapshot:
    """Start capturing a playlist: an in-progress snapshot readers do not see yet."""
    get_playlist(session, playlist_id)
    snapshot = Snapshot(
        playlist_id=playlist_id,
        status=SNAPSHOT_IN_PROGRESS,
        taken_at=taken_at or utcnow(),
        job_id=job_id,
        item_count=0,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def _open_snapshot(session: Session, snapshot_id: int) -> Snapshot:
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise NotFoundError(f"snapshot {snapshot_id} does not exist")
    if snapshot.status != SNAPSHOT_IN_PROGRESS:
        raise ConflictError(f"snapshot {snapshot_id} is {snapshot.status}, no longer in progress")
    return snapshot


def add_snapshot_items(
    session: Session,
    snapshot_id: int,
    track_ids: Sequence[int],
    start_position: int = 0,
    *,
    provider_item_ids: Sequence[str | None] | None = None,
    added_at: Sequence[datetime | None] | None = None,
) -> int:
    """Append items at positions ``start_position``, ``start_position + 1``...;
    returns how many were added. Re-adding a position is a ConflictError."""
    _open_snapshot(session, snapshot_id)
    if start_position < 0:
        raise UsageError("start_position must be >= 0")
    n = len(track_ids)
    for name, values in (("provider_item_ids", provider_item_ids), ("added_at", added_at)):
        if values is not None and len(values) != n:
            raise UsageError(f"{name} has {len(values)} values for {n} tracks")
    rows = [
        {
            "snapshot_id": snapshot_id,
            "position": start_position + i,
            "track_id": int(track_id),
            "provider_item_id": provider_item_ids[i] if provider_item_ids else None,
            "added_at": added_at[i] if added_at else None,
        }
        for i, track_id in enumerate(track_ids)
    ]
    if rows:
        taken = session.scalar(
            select(func.count())
            .select_from(SnapshotItem)
            .where(
                SnapshotItem.snapshot_id == snapshot_id,
                SnapshotItem.position >= start_position,
                SnapshotItem.position < start_position + n,
            )
        )
        if taken:
            raise ConflictError(
                f"snapshot {snapshot_id} already has items at positions "
                f"{start_position}..{start_position + n - 1}"
            )
        session.execute(insert(SnapshotItem), rows)
    return n


def complete_snapshot(session: Session, snapshot_id: int) -> Snapshot:
    """Mark a capture complete: from now on it is what readers see."""
    snapshot = _open_snapshot(session, snapshot_id)
    count = session.scalar(
        select(func.count())
        .select_from(SnapshotItem)
        .where(SnapshotItem.snapshot_id == snapshot_id)
    )
    snapshot.item_count = int(count or 0)
    snapshot.status = SNAPSHOT_COMPLETE
    snapshot.completed_at = utcnow()
    session.flush()
    return snapshot


def fail_snapshot(session: Session, snapshot_id: int, error: str) -> Snapshot:
    """Mark a capture failed with its reason; readers keep seeing the previous one."""
    snapshot = _open_snapshot(session, snapshot_id)
    snapshot.status = SNAPSHOT_FAILED
    snapshot.error = error
    snapshot.completed_at = utcnow()
    session.flush()
    return snapshot


def list_snapshots(session: Session, playlist_id: int) -> Sequence[Snapshot]:
    """A playlist's snapshots, newest first."""
    query = (
        select(Snapshot)
        .where(Snapshot.playlist_id == playlist_id)
        .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
    )
    return session.scalars(query).all()


def current_snapshot(session: Session, playlist_id: int) -> Snapshot | None:
    """The snapshot readers see: the latest complete one, or None."""
    query = (
        select(Snapshot)
        .where(Snapshot.playlist_id == playlist_id, Snapshot.status == SNAPSHOT_COMPLETE)
        .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
    )
    return session.scalars(query.limit(1)).first()
