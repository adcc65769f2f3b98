"""``crossfade diff``: a stored snapshot against another one or a live playlist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from engine.diff import PlaylistDiff, diff_playlists
from engine.errors import NotFoundError, UsageError
from engine.jobs.connect import open_account
from engine.store import repo
from engine.store.models import Snapshot

if TYPE_CHECKING:
    import polars as pl

    from engine.runtime import Runtime


def _snapshot(runtime: Runtime, snapshot_id: int, user_id: int | None) -> pl.DataFrame:
    with Session(runtime.engine) as session:
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None:
            raise NotFoundError(f"snapshot {snapshot_id} does not exist")
        repo.get_playlist(session, snapshot.playlist_id, user_id=user_id)
    return repo.snapshot_frame(runtime.engine, snapshot_id)


def diff_snapshot(
    runtime: Runtime,
    old_snapshot_id: int,
    *,
    new_snapshot_id: int | None = None,
    account_id: int | None = None,
    live_playlist_id: str | None = None,
    user_id: int | None,
) -> PlaylistDiff:
    """Diff a snapshot against a newer snapshot, or against the live playlist
    ``live_playlist_id`` read now from provider account ``account_id``."""
    old = _snapshot(runtime, old_snapshot_id, user_id)
    if new_snapshot_id is not None:
        return diff_playlists(old, _snapshot(runtime, new_snapshot_id, user_id))
    if account_id is None or live_playlist_id is None:
        raise UsageError("give a second snapshot, or --live-account and --live-playlist")
    with open_account(runtime, account_id, user_id=user_id) as provider:
        live = provider.playlist_items(live_playlist_id)
    return diff_playlists(old, live)
