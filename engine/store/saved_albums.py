"""Saved albums in the store: what ``pull`` (with ``albums``) last saw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.providers.base import AlbumInfo
from engine.store.models import SavedAlbum


def replace_saved_albums(
    session: Session, user_id: int, account_id: int, provider: str, albums: Sequence[AlbumInfo]
) -> int:
    """The account's saved albums become ``albums`` (in the provider's order)."""
    session.execute(delete(SavedAlbum).where(SavedAlbum.account_id == account_id))
    now = datetime.now(UTC)
    seen: set[str] = set()
    for position, album in enumerate(albums):
        if album.id in seen:
            continue
        seen.add(album.id)
        session.add(
            SavedAlbum(
                user_id=user_id,
                account_id=account_id,
                provider=provider,
                provider_album_id=album.id,
                title=album.title,
                artists=list(album.artists),
                upc=album.upc or None,
                release_date=(album.release_date or None) and str(album.release_date)[:10],
                track_count=album.track_count,
                position=position,
                pulled_at=now,
            )
        )
    session.flush()
    return len(seen)


def saved_albums(session: Session, user_id: int, account_id: int) -> list[AlbumInfo]:
    rows = session.scalars(
        select(SavedAlbum)
        .where(SavedAlbum.user_id == user_id, SavedAlbum.account_id == account_id)
        .order_by(SavedAlbum.position)
    )
    return [
        AlbumInfo(
            id=r.provider_album_id,
            title=r.title,
            artists=tuple(r.artists or []),
            upc=r.upc,
            release_date=r.release_date,
            track_count=r.track_count,
        )
        for r in rows
    ]
