"""Uploads: playlist files a user handed over (API or app), per user."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store.models import Upload
from engine.store.owned import get_owned


def record_upload(
    session: Session, user_id: int, *, filename: str, path: str, format: str, size_bytes: int
) -> Upload:
    """Remember an uploaded file so jobs can name it by id."""
    upload = Upload(
        user_id=user_id, filename=filename, path=path, format=format, size_bytes=size_bytes
    )
    session.add(upload)
    session.flush()
    return upload


def get_upload(session: Session, user_id: int, upload_id: int) -> Upload:
    """One of the user's uploads (another user's is "not found")."""
    missing = f"upload {upload_id} does not exist"
    return get_owned(session, Upload, upload_id, user_id=user_id, missing=missing)


def list_uploads(
    session: Session, user_id: int, *, offset: int = 0, limit: int | None = None
) -> Sequence[Upload]:
    """The user's uploads, newest first."""
    query = select(Upload).where(Upload.user_id == user_id).order_by(Upload.id.desc())
    return session.scalars(query.offset(offset).limit(limit)).all()


def count_uploads(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Upload).where(Upload.user_id == user_id)
    return int(session.scalar(query) or 0)
