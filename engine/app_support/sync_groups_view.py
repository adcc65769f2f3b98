"""Sync groups as the app shows and steers them, always scoped to the user.

Members offered in the app are the user's stored provider playlists (pulled
from a connected account) and each account's liked tracks; playlist files
are a CLI-only member (the app never takes a server path).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select

from engine.jobs import job_row
from engine.jobs.group_runs import submit_run
from engine.jobs.group_schedule import parse_schedule, schedule_group
from engine.runtime import Runtime
from engine.store import group_reviews, sync_groups
from engine.store.db import session_scope
from engine.store.models import Playlist, ProviderAccount

GROUP_COLUMNS: dict[str, Any] = {
    "id": pl.Int64,
    "name": pl.Utf8,
    "status": pl.Utf8,
    "members": pl.Int64,
    "tracks": pl.Int64,
    "schedule": pl.Utf8,
    "next_run_at": pl.Utf8,
    "last_synced_at": pl.Utf8,
    "previewed": pl.Boolean,
}


def groups(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    with session_scope(runtime.engine) as session:
        return [sync_groups.describe(g) for g in sync_groups.list_groups(session, user_id)]


def group_table(rows: list[dict[str, Any]]) -> pl.DataFrame:
    records = [
        {**{k: r[k] for k in GROUP_COLUMNS if k != "members"}, "members": len(r["members"])}
        for r in rows
    ]
    return pl.DataFrame(records, schema=GROUP_COLUMNS)


def member_choices(runtime: Runtime, user_id: int) -> dict[str, dict[str, Any]]:
    """label -> member spec: stored provider playlists, and each account's liked tracks."""
    choices: dict[str, dict[str, Any]] = {}
    with runtime.engine.connect() as conn:
        accounts = conn.execute(
            select(ProviderAccount.id, ProviderAccount.provider)
            .where(ProviderAccount.user_id == user_id, ProviderAccount.status == "connected")
            .order_by(ProviderAccount.id)
        ).all()
        playlists = conn.execute(
            select(
                Playlist.account_id, Playlist.provider_playlist_id, Playlist.name, Playlist.provider
            )
            .where(
                Playlist.user_id == user_id,
                Playlist.source == "provider",
                Playlist.kind == "playlist",
                Playlist.account_id.is_not(None),
            )
            .order_by(Playlist.provider, Playlist.name)
        ).all()
    for account_id, provider, pid, name in (
        (p.account_id, p.provider, p.provider_playlist_id, p.name) for p in playlists
    ):
        choices[f"{provider}: {name} ({pid})"] = {
            "kind": "playlist",
            "account_id": int(account_id),
            "playlist_id": pid,
        }
    for account_id, provider in accounts:
        choices[f"{provider}: liked tracks (account {account_id})"] = {
            "kind": "liked",
            "account_id": int(account_id),
        }
    return choices


def create(
    runtime: Runtime, user_id: int, name: str, members: list[dict[str, Any]], share: float
) -> int:
    if any(m.get("kind") == "file" for m in members):
        from engine.errors import UsageError

        raise UsageError("playlist files join a group from the CLI only")
    with session_scope(runtime.engine) as session:
        group = sync_groups.create_group(session, user_id, name, members, max_removal_share=share)
        return int(group.id)


def run(
    runtime: Runtime, user_id: int, group_id: int, *, apply: bool, confirm: bool = False
) -> str:
    """Submit a run (the background runner or RQ takes it); its job id."""
    with session_scope(runtime.engine) as session:
        sync_groups.get_group(session, user_id, group_id)  # another user's: not found
    return submit_run(
        runtime, user_id, group_id, apply=apply, confirm_removals=confirm, local=False
    )


def set_status(runtime: Runtime, user_id: int, group_id: int, status: str) -> None:
    with session_scope(runtime.engine) as session:
        sync_groups.set_status(session, user_id, group_id, status)


def delete(runtime: Runtime, user_id: int, group_id: int) -> None:
    with session_scope(runtime.engine) as session:
        sync_groups.delete_group(session, user_id, group_id)


def set_schedule(runtime: Runtime, user_id: int, group_id: int, text: str) -> None:
    """``6h`` / ``30m`` (an interval), a cron expression, or empty for none."""
    text = text.strip()
    if not text:
        schedule = None
    elif len(text.split()) == 5:
        schedule = parse_schedule(cron=text)
    else:
        schedule = parse_schedule(every=text)
    schedule_group(runtime, user_id, group_id, schedule)


def last_plan(runtime: Runtime, user_id: int, group: dict[str, Any]) -> pl.DataFrame | None:
    """Per member of the group's last run: before, after, adds, removes, moves."""
    if not group.get("last_job_id"):
        return None
    row = job_row(runtime, str(group["last_job_id"]), user_id=user_id)
    result = row.get("result") or {}
    members = result.get("members") or []
    if not members:
        return None
    return pl.DataFrame(
        [
            {
                "member": m["label"],
                "before": m["before"],
                "after": m["after"],
                "add": len(m["add"]),
                "remove": len(m["remove"]),
                "move": len(m["move"]),
                "missing": len(m["missing"]),
                "review": len(m["review"]),
                "guard": "blocked" if m["guard"]["blocked"] else "",
            }
            for m in members
        ]
    )


def reviews(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    with session_scope(runtime.engine) as session:
        return group_reviews.open_items(session, user_id)


def resolve_review(runtime: Runtime, user_id: int, item_id: int, resolution: str) -> str | None:
    """Resolve an item; confirming a removal guard submits the run past it."""
    with session_scope(runtime.engine) as session:
        item = group_reviews.resolve_item(session, user_id, item_id, resolution)
        kind, group_id = item.kind, int(item.group_id)
    if kind == "removal_guard" and resolution == "confirmed":
        return run(runtime, user_id, group_id, apply=True, confirm=True)
    return None
