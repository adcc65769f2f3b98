"""Sync-group review items: what a run could not decide alone.

``removal_guard``: a run would remove more than the group's share from a
member; confirming it submits the run again with ``confirm_removals``.
``match``: a review-level match left a member without a track; the match
itself is decided on the Review page like any other (its decision is named in
``detail``), and the member gets the track on the next run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import UsageError
from engine.store.models import SyncGroup, SyncGroupReview
from engine.store.owned import get_owned

REVIEW_KINDS = ("removal_guard", "match")
RESOLUTIONS = ("confirmed", "dismissed")
"""What a person answers; a ``match`` item a run no longer needs closes as ``decided``."""


def _open_item(session: Session, group_id: int, kind: str, key: str) -> SyncGroupReview | None:
    rows = session.scalars(
        select(SyncGroupReview).where(
            SyncGroupReview.group_id == group_id,
            SyncGroupReview.kind == kind,
            SyncGroupReview.resolved_at.is_(None),
        )
    ).all()
    return next((r for r in rows if (r.detail or {}).get("key") == key), None)


def record_guard_hit(
    session: Session, group: SyncGroup, job_id: str, members: list[str]
) -> SyncGroupReview:
    """One open item per group (a later hit updates it, never piles up)."""
    item = _open_item(session, int(group.id), "removal_guard", "guard")
    detail = {"key": "guard", "members": members, "share": group.max_removal_share}
    if item is None:
        item = SyncGroupReview(
            user_id=group.user_id, group_id=group.id, kind="removal_guard", detail=detail
        )
        session.add(item)
    item.detail = detail
    item.job_id = job_id
    session.flush()
    return item


def record_match_review(
    session: Session, user_id: int, group_id: int, job_id: str, key: str, member: str, why: str
) -> SyncGroupReview:
    item = _open_item(session, group_id, "match", f"{member}:{key}")
    if item is None:
        item = SyncGroupReview(
            user_id=user_id,
            group_id=group_id,
            kind="match",
            detail={"key": f"{member}:{key}", "track_id": int(key), "member": member, "why": why},
        )
        session.add(item)
    item.job_id = job_id
    session.flush()
    return item


def open_items(session: Session, user_id: int, group_id: int | None = None) -> list[dict[str, Any]]:
    query = select(SyncGroupReview).where(
        SyncGroupReview.user_id == user_id, SyncGroupReview.resolved_at.is_(None)
    )
    if group_id is not None:
        query = query.where(SyncGroupReview.group_id == group_id)
    return [
        {
            "id": int(r.id),
            "group_id": int(r.group_id),
            "kind": r.kind,
            "job_id": r.job_id,
            "detail": dict(r.detail or {}),
            "created_at": r.created_at.isoformat() if r.created_at else None,
        }
        for r in session.scalars(query.order_by(SyncGroupReview.id))
    ]


def resolve_item(session: Session, user_id: int, item_id: int, resolution: str) -> SyncGroupReview:
    if resolution not in RESOLUTIONS:
        raise UsageError(f"resolution must be one of {RESOLUTIONS}")
    item = get_owned(
        session, SyncGroupReview, item_id, user_id=user_id, missing=f"no group review {item_id}"
    )
    item.resolved_at = datetime.now(UTC)
    item.resolution = resolution
    return item


def close_decided_matches(session: Session, group_id: int, still_open: set[str]) -> int:
    """Close the group's ``match`` items whose track no longer waits (decided on
    the Review page); returns how many."""
    rows = session.scalars(
        select(SyncGroupReview).where(
            SyncGroupReview.group_id == group_id,
            SyncGroupReview.kind == "match",
            SyncGroupReview.resolved_at.is_(None),
        )
    ).all()
    closed = 0
    for row in rows:
        if (row.detail or {}).get("key") not in still_open:
            row.resolved_at = datetime.now(UTC)
            row.resolution = "decided"
            closed += 1
    return closed
