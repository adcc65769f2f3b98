"""Job ``pull``: snapshot a provider library (playlists, liked tracks) into the store.

Parameters: ``account_id``, ``playlists`` (provider playlist ids; None = every
playlist of the account), ``liked`` (also the liked tracks), ``albums`` (also
the saved albums, into ``saved_albums``).

Each playlist is captured in order into a new snapshot that is completed only
when every item is stored, or marked failed: readers (the effective view)
never see half a snapshot. Done playlists are checkpointed; a resumed run
fails the snapshot it was writing when it died and captures that playlist again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from engine.errors import CrossfadeError
from engine.jobs.connect import open_account
from engine.jobs.runner import JobContext
from engine.providers.base import PlaylistInfo, Provider
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import Snapshot

LIKED_ID = "__liked__"
"""``provider_playlist_id`` of the stored playlist mirroring the liked tracks."""


def _interrupted(ctx: JobContext) -> None:
    """Fail the snapshots a killed run of this job left in progress."""
    with ctx.runtime.engine.begin() as conn:
        conn.execute(
            update(Snapshot)
            .where(Snapshot.job_id == ctx.job_id, Snapshot.status == "in_progress")
            .values(status="failed", error="interrupted: the worker stopped")
        )


def capture(
    ctx: JobContext, provider: Provider, account_id: int, info: PlaylistInfo, kind: str
) -> dict[str, Any]:
    """Store one playlist's current items as a complete snapshot."""
    assert ctx.user_id is not None
    with session_scope(ctx.runtime.engine) as session:
        playlist = repo.find_provider_playlist(session, ctx.user_id, provider.name, info.id)
        if playlist is None:
            playlist = repo.create_playlist(
                session,
                ctx.user_id,
                info.name or info.id,
                source="provider",
                provider=provider.name,
                provider_playlist_id=info.id,
                account_id=account_id,
                kind=kind,
                description=info.description,
            )
        snapshot = repo.begin_snapshot(session, playlist.id, job_id=ctx.job_id)
        playlist_id, snapshot_id = int(playlist.id), int(snapshot.id)
    try:
        frame = provider.liked_tracks() if kind == "liked" else provider.playlist_items(info.id)
        with session_scope(ctx.runtime.engine) as session:
            track_ids = repo.upsert_tracks(session, frame)
            repo.add_snapshot_items(session, snapshot_id, track_ids)
            repo.complete_snapshot(session, snapshot_id)
    except CrossfadeError as exc:
        with session_scope(ctx.runtime.engine) as session:
            repo.fail_snapshot(session, snapshot_id, str(exc))
        raise
    return {"playlist_id": playlist_id, "snapshot_id": snapshot_id, "items": frame.height}


def run(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    account_id = int(params["account_id"])
    _interrupted(ctx)
    with open_account(ctx.runtime, account_id, user_id=ctx.user_id) as provider:
        wanted = params.get("playlists")
        infos = [p for p in provider.playlists() if not wanted or p.id in wanted]
        missing = set(wanted or []) - {p.id for p in infos}
        if missing:
            from engine.errors import NotFoundError

            raise NotFoundError(f"{provider.name} playlists not found: {sorted(missing)}")
        todo: list[tuple[PlaylistInfo, str]] = [(info, "playlist") for info in infos]
        if params.get("liked"):
            todo.append((PlaylistInfo(id=LIKED_ID, name="Liked tracks"), "liked"))
        done: dict[str, Any] = dict(ctx.checkpoint.get("done") or {})
        ctx.progress.phase("pulling", total=len(todo), done=len(done))
        for info, kind in todo:
            if info.id in done:
                continue
            done[info.id] = capture(ctx, provider, account_id, info, kind)
            ctx.progress.advance(message=info.name)
            ctx.save_checkpoint(done=done)
        albums = None
        if params.get("albums"):
            albums = _pull_albums(ctx, provider, account_id)
    result: dict[str, Any] = {
        "playlists": len(done),
        "items": sum(int(d["items"]) for d in done.values()),
        "snapshots": {pid: d["snapshot_id"] for pid, d in done.items()},
    }
    if albums is not None:
        result["albums"] = albums
    return result


def _pull_albums(ctx: JobContext, provider: Provider, account_id: int) -> int:
    """Store the account's saved albums (``engine.store.saved_albums``)."""
    from engine.store.saved_albums import replace_saved_albums

    assert ctx.user_id is not None
    albums = provider.saved_albums()
    with session_scope(ctx.runtime.engine) as session:
        return replace_saved_albums(session, ctx.user_id, account_id, provider.name, albums)
