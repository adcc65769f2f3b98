"""Curators' overrides of playlist items: hide an item, or show another track."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError, UsageError
from engine.store.models import ItemOverride, Track
from engine.store.playlists import get_playlist

OVERRIDE_ACTIONS = ("hide", "replace")


def set_override(
    session: Session,
    user_id: int,
    playlist_id: int,
    track_id: int,
    action: str,
    *,
    replacement_track_id: int | None = None,
) -> ItemOverride:
    """Hide ``track_id`` in the playlist, or replace it with another track
    (one override per playlist and track; setting again changes it)."""
    get_playlist(session, playlist_id, user_id=user_id)
    if action not in OVERRIDE_ACTIONS:
        raise UsageError(f"override action must be one of {OVERRIDE_ACTIONS}, not {action!r}")
    if action == "replace":
        if replacement_track_id is None:
            raise UsageError("a 'replace' override needs replacement_track_id")
        if session.get(Track, replacement_track_id) is None:
            raise NotFoundError(f"track {replacement_track_id} does not exist")
    else:
        replacement_track_id = None
    override = _override_of(session, playlist_id, track_id)
    if override is None:
        override = ItemOverride(playlist_id=playlist_id, track_id=track_id, user_id=user_id)
        session.add(override)
    override.action = action
    override.replacement_track_id = replacement_track_id
    session.flush()
    return override


def clear_override(session: Session, user_id: int, playlist_id: int, track_id: int) -> bool:
    """Remove the override of ``track_id``; returns whether there was one."""
    get_playlist(session, playlist_id, user_id=user_id)
    override = _override_of(session, playlist_id, track_id)
    if override is None:
        return False
    session.delete(override)
    session.flush()
    return True


def _override_of(session: Session, playlist_id: int, track_id: int) -> ItemOverride | None:
    """The playlist's one override of ``track_id``, if set."""
    query = select(ItemOverride).where(
        ItemOverride.playlist_id == playlist_id, ItemOverride.track_id == track_id
    )
    return session.scalars(query).one_or_none()
