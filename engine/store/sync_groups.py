"""Sync groups in the store: create, list, pause, resume, delete, schedule, and
the base (last synced state) a run reads and writes.

A member is named by a small dict: ``{"kind": "playlist", "account_id": 3,
"playlist_id": "37i9..."}``, ``{"kind": "liked", "account_id": 3}`` or
``{"kind": "file", "path": "/home/me/road-trip.m3u8"}`` (files: CLI only; the
API refuses them since a server path is never taken from a request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.errors import ConflictError, NotFoundError, UsageError
from engine.store.models import ProviderAccount, SyncGroup, SyncGroupMember
from engine.store.owned import get_owned

MEMBER_KINDS = ("playlist", "liked", "file")
DEFAULT_REMOVAL_SHARE = 0.2
"""A run that would remove more than this share of a member's playlist waits
for a confirmation (a broken pull must never empty the other members)."""
GROUP_STATES = ("active", "paused")


def _member_row(session: Session, user_id: int, spec: Mapping[str, Any]) -> SyncGroupMember:
    kind = str(spec.get("kind") or "")
    if kind not in MEMBER_KINDS:
        raise UsageError(f"member kind must be one of {MEMBER_KINDS}, not {kind!r}")
    if kind == "file":
        path = spec.get("path")
        if not path:
            raise UsageError("a file member needs a path")
        return SyncGroupMember(kind="file", file_path=str(Path(str(path)).resolve()), held={})
    if spec.get("account_id") is None:
        raise UsageError(f"a {kind} member needs an account_id")
    account_id = int(spec["account_id"])
    account = get_owned(
        session,
        ProviderAccount,
        account_id,
        user_id=user_id,
        missing=f"no provider account {account_id}",
    )
    if kind == "liked":
        from engine.providers import provider_class

        if not hasattr(provider_class(account.provider), "save_liked"):
            raise UsageError(
                f"{account.provider} documents no endpoint to save liked tracks: "
                "use one of its playlists as the member instead"
            )
    playlist = spec.get("playlist_id")
    if kind == "playlist" and not playlist:
        raise UsageError("a playlist member needs a playlist_id")
    return SyncGroupMember(
        kind=kind,
        account_id=account_id,
        provider_playlist_id=str(playlist) if kind == "playlist" else None,
        held={},
    )


def member_label(member: SyncGroupMember, provider: str | None = None) -> str:
    """How a member is named in plans and messages (``m2 spotify:37i9...``)."""
    account = provider or f"account {member.account_id}"
    where = {
        "playlist": f"{account}:{member.provider_playlist_id}",
        "liked": f"{account}:liked",
        "file": f"file:{member.file_path}",
    }[member.kind]
    return f"m{member.position} {where}"


def create_group(
    session: Session,
    user_id: int,
    name: str,
    members: Sequence[Mapping[str, Any]],
    *,
    max_removal_share: float = DEFAULT_REMOVAL_SHARE,
) -> SyncGroup:
    """A new active group; members in precedence order (the last decides ties)."""
    name = name.strip()
    if not name:
        raise UsageError("a sync group needs a name")
    if len(members) < 2:
        raise UsageError("a sync group needs at least two members")
    if not 0.0 <= max_removal_share <= 1.0:
        raise UsageError("max_removal_share must be between 0 and 1")
    if session.scalar(
        select(SyncGroup.id).where(SyncGroup.user_id == user_id, SyncGroup.name == name)
    ):
        raise ConflictError(f"a sync group named {name!r} exists")
    rows = [_member_row(session, user_id, spec) for spec in members]
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        ident = (row.kind, row.account_id, row.provider_playlist_id, row.file_path)
        if ident in seen:
            raise UsageError(f"member {ident} is named twice")
        seen.add(ident)
    group = SyncGroup(
        user_id=user_id,
        name=name,
        status="active",
        max_removal_share=max_removal_share,
        base_order=[],
    )
    for position, row in enumerate(rows):
        row.position = position
        group.members.append(row)
    session.add(group)
    session.flush()
    return group


def get_group(session: Session, user_id: int | None, ref: int | str) -> SyncGroup:
    """A group by id or by name; another user's is "not found"."""
    text = str(ref).strip()
    if text.isdigit():
        return get_owned(
            session, SyncGroup, int(text), user_id=user_id, missing=f"no sync group {text}"
        )
    query = select(SyncGroup).where(SyncGroup.name == text)
    if user_id is not None:
        query = query.where(SyncGroup.user_id == user_id)
    found = session.scalars(query).first()
    if found is None:
        raise NotFoundError(f"no sync group {text!r}")
    return found


def list_groups(session: Session, user_id: int) -> list[SyncGroup]:
    query = (
        select(SyncGroup)
        .where(SyncGroup.user_id == user_id)
        .options(selectinload(SyncGroup.members))
        .order_by(SyncGroup.id)
    )
    return list(session.scalars(query))


def set_status(session: Session, user_id: int, ref: int | str, status: str) -> SyncGroup:
    if status not in GROUP_STATES:
        raise UsageError(f"status must be one of {GROUP_STATES}")
    group = get_group(session, user_id, ref)
    group.status = status
    return group


def delete_group(session: Session, user_id: int, ref: int | str) -> int:
    group = get_group(session, user_id, ref)
    group_id = int(group.id)
    session.delete(group)
    return group_id


def set_schedule(
    session: Session,
    user_id: int,
    ref: int | str,
    schedule: str | None,
    next_run_at: datetime | None,
) -> SyncGroup:
    group = get_group(session, user_id, ref)
    group.schedule = schedule
    group.next_run_at = next_run_at
    return group


def save_base(
    session: Session,
    group_id: int,
    order: Sequence[str],
    held: Mapping[int, Mapping[str, str]],
    job_id: str,
) -> None:
    """Record an applied run as the group's new base (one transaction)."""
    group = session.get(SyncGroup, group_id)
    if group is None:
        raise NotFoundError(f"no sync group {group_id}")
    group.base_order = list(order)
    for member in group.members:
        member.held = dict(held.get(int(member.id), member.held or {}))
    group.last_synced_at = datetime.now(UTC)
    group.last_job_id = job_id


def mark_previewed(session: Session, group_id: int, job_id: str) -> None:
    group = session.get(SyncGroup, group_id)
    if group is not None:
        group.previewed_at = group.previewed_at or datetime.now(UTC)
        group.last_job_id = job_id


def describe(group: SyncGroup) -> dict[str, Any]:
    """A group as plain values (CLI, API, app)."""
    return {
        "id": int(group.id),
        "name": group.name,
        "status": group.status,
        "max_removal_share": group.max_removal_share,
        "schedule": group.schedule,
        "next_run_at": group.next_run_at.isoformat() if group.next_run_at else None,
        "last_synced_at": group.last_synced_at.isoformat() if group.last_synced_at else None,
        "previewed": group.previewed_at is not None,
        "last_job_id": group.last_job_id,
        "tracks": len(group.base_order or []),
        "members": [
            {
                "id": int(m.id),
                "position": m.position,
                "kind": m.kind,
                "account_id": m.account_id,
                "playlist_id": m.provider_playlist_id,
                "path": m.file_path,
                "held": len(m.held or {}),
            }
            for m in group.members
        ],
    }
