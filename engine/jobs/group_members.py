"""Reading and writing one sync-group member: a provider playlist, an account's
liked tracks, or a playlist file.

Every member is read as (its own ids in order, the stored track of each id);
a file's "ids" are the store's track ids (``t<track id>``), since a file has
none of its own. Writing starts from what the member holds *now* (read again),
so a resumed run never adds anything twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from engine.batching import chunks
from engine.errors import UsageError
from engine.jobs.connect import open_account
from engine.jobs.runner import JobContext
from engine.jobs.sync import _add_isolated
from engine.providers.base import Provider, playlist_track_ids
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import SyncGroupMember


@dataclass
class MemberState:
    """One member as this run read it."""

    member_id: int
    label: str
    kind: str
    provider: Provider | None
    items: list[str]
    """The member's own ids, in order, with repeats."""
    track_of: dict[str, str]
    """own id -> stored track id (as text: the recording key before unions)."""
    reorders: bool = True


def _stored_keys(ctx: JobContext, frame: pl.DataFrame) -> list[str]:
    with session_scope(ctx.runtime.engine) as session:
        return [str(t) for t in repo.upsert_tracks(session, frame)]


def read_member(ctx: JobContext, member: SyncGroupMember, provider: Provider | None) -> MemberState:
    """Read a member now and store its tracks (the identity of its ids)."""
    from engine.store.sync_groups import member_label

    label = member_label(member, provider.name if provider else None)
    if member.kind == "file":
        path = Path(str(member.file_path))
        if not path.exists():
            items: list[str] = []
            return MemberState(int(member.id), label, "file", None, items, {})
        from engine import formats

        frame = formats.read(path)
        keys = _stored_keys(ctx, frame)
        ids = [f"t{k}" for k in keys]
        return MemberState(
            int(member.id), label, "file", None, ids, dict(zip(ids, keys, strict=True))
        )
    assert provider is not None
    if member.kind == "liked":
        frame = provider.liked_tracks()
    else:
        frame = provider.playlist_items(str(member.provider_playlist_id))
    keys = _stored_keys(ctx, frame)
    ids = [str(i) for i in frame["provider_id"].to_list()]
    track_of: dict[str, str] = {}
    for own, key in zip(ids, keys, strict=True):
        track_of.setdefault(own, key)
    return MemberState(
        int(member.id),
        label,
        member.kind,
        provider,
        ids,
        track_of,
        reorders=member.kind == "playlist" and provider.capabilities.supports_reorder,
    )


@contextmanager
def opened(ctx: JobContext, member: SyncGroupMember) -> Iterator[Provider | None]:
    """The member's provider client (None for a file)."""
    if member.kind == "file":
        yield None
        return
    with open_account(ctx.runtime, int(member.account_id or 0), user_id=ctx.user_id) as provider:
        yield provider


def write_member(
    ctx: JobContext, member: SyncGroupMember, provider: Provider | None, final: list[str]
) -> dict[str, Any]:
    """Make the member hold ``final`` (its own ids, in order): remove, append,
    then arrange. Returns the writes made."""
    if member.kind == "file":
        return _write_file(ctx, member, final)
    assert provider is not None
    if member.kind == "liked":
        return _write_liked(provider, final)
    playlist_id = str(member.provider_playlist_id)
    actual = playlist_track_ids(provider, playlist_id)
    wanted = set(final)
    counts: dict[str, int] = {}
    for item in actual:
        counts[item] = counts.get(item, 0) + 1
    # removal is by track id (every occurrence): duplicates go, and come back once
    doomed = [i for i in dict.fromkeys(actual) if i not in wanted or counts[i] > 1]
    caps = provider.capabilities
    for batch in chunks(doomed, max(1, caps.remove_batch_max)):
        provider.remove_items(playlist_id, batch)
        ctx.progress.advance(len(batch))
    gone = set(doomed)
    present = [i for i in actual if i not in gone]
    missing = [i for i in final if i not in set(present)]
    refused: dict[str, str] = {}
    if missing:
        # one track the provider refuses (404/400) never stops the run: reported
        refused = _add_isolated(ctx, provider, playlist_id, missing)
        missing = [i for i in missing if i not in refused]
        final = [i for i in final if i not in refused]
    current = present + missing
    moves = 0
    if current != final:
        if not caps.supports_reorder:
            ctx.progress.error(
                f"{provider.name} cannot reorder: the order of {playlist_id} differs"
            )
        else:
            moves = provider.arrange(playlist_id, current, final)
            ctx.progress.advance(moves)
    return {"removed": len(doomed), "added": len(missing), "moved": moves, "refused": refused}


def _write_liked(provider: Provider, final: list[str]) -> dict[str, Any]:
    """Liked libraries have no order of their own (newest first): only saves
    and unsaves, through the provider's library endpoints."""
    save = getattr(provider, "save_liked", None)
    unsave = getattr(provider, "remove_liked", None)
    if save is None or unsave is None:
        raise UsageError(f"{provider.name} has no liked-tracks endpoint Crossfade can write")
    actual = [str(i) for i in provider.liked_tracks()["provider_id"].to_list()]
    have = set(actual)
    wanted = set(final)
    doomed = [i for i in dict.fromkeys(actual) if i not in wanted]
    missing = [i for i in final if i not in have]
    if doomed:
        unsave(doomed)
    if missing:
        save(missing)
    return {"removed": len(doomed), "added": len(missing), "moved": 0}


def _write_file(ctx: JobContext, member: SyncGroupMember, final: list[str]) -> dict[str, Any]:
    """Rewrite the file (atomically) with the final tracks, in order."""
    from engine import formats
    from engine.jobs.group_resolve import tracks_frame_of

    path = Path(str(member.file_path))
    keys = [i[1:] for i in final]
    frame = tracks_frame_of(ctx, keys)
    by_key = {str(r["id"]): r for r in frame.drop("track_id").to_dicts()}
    rows = [{**by_key[k], "position": n} for n, k in enumerate(keys) if k in by_key]
    from engine.frame import tracks_frame

    formats.write(tracks_frame(rows), path)
    return {"removed": 0, "added": 0, "moved": 0, "rewritten": len(rows)}


def member_writes_possible(member: SyncGroupMember) -> None:
    """Refuse members the group cannot write before anything is planned."""
    if member.kind == "file" and not member.file_path:
        raise UsageError(f"member {member.id} names no file")
