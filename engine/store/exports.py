"""Exports: files written from a playlist (by a job or on request), per user."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import UsageError
from engine.store.models import Export
from engine.store.owned import get_owned


def record_export(
    session: Session,
    user_id: int,
    *,
    format: str,
    path: str,
    playlist_id: int | None = None,
    job_id: str | None = None,
    size_bytes: int | None = None,
) -> Export:
    """Remember a written export file so its owner can list and download it."""
    if not format or not path:
        raise UsageError("an export needs a format and a path")
    export = Export(
        user_id=user_id,
        format=format,
        path=path,
        playlist_id=playlist_id,
        job_id=job_id,
        size_bytes=size_bytes,
    )
    session.add(export)
    session.flush()
    return export


def get_export(session: Session, user_id: int, export_id: int) -> Export:
    """One of the user's exports (another user's is "not found")."""
    missing = f"export {export_id} does not exist"
    return get_owned(session, Export, export_id, user_id=user_id, missing=missing)


def list_exports(
    session: Session, user_id: int, *, offset: int = 0, limit: int | None = None
) -> Sequence[Export]:
    """The user's exports, newest first."""
    query = select(Export).where(Export.user_id == user_id).order_by(Export.id.desc())
    return session.scalars(query.offset(offset).limit(limit)).all()


def count_exports(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Export).where(Export.user_id == user_id)
    return int(session.scalar(query) or 0)
