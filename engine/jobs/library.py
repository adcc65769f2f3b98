"""Job ``library``: move an account's liked tracks into another account's
liked library (not a new playlist), counting every kind in a dry run.

Parameters: ``source_account_id``, ``target_account_id``, ``dry_run``
(default **true**), ``review_policy`` (unused kinds are counted, not moved).

Liked tracks go through the target's documented liked-library endpoint
(Spotify ``PUT /me/library``, TIDAL ``userCollectionTracks``). Deezer
documents none, so there they go to one playlist, "Liked tracks (from
<provider>)", found again by name on a re-run, and the result says so. Each
track is resolved on the target like a sync group's (stored ids, standing
decisions, then the matcher); review-level matches wait on the Review page.
Every run starts from what the target holds now, so nothing is saved twice.
Saved albums and followed artists are counted; moving them is not built yet.
"""

from __future__ import annotations

from typing import Any

from engine.batching import chunks
from engine.jobs.connect import open_account
from engine.jobs.group_resolve import resolve
from engine.jobs.runner import JobContext
from engine.providers.base import Provider
from engine.store import repo
from engine.store.db import session_scope

FALLBACK_NAME = "Liked tracks (from {provider})"


def _fallback_playlist(
    target: Provider, source: str, *, create: bool
) -> tuple[str | None, list[str]]:
    name = FALLBACK_NAME.format(provider=source)
    found = [p for p in target.playlists() if p.name == name and p.owned]
    if found:
        pid = found[0].id
        return pid, [str(i) for i in target.playlist_items(pid)["provider_id"].to_list()]
    if not create:
        return None, []
    created = target.create_playlist(name, "Liked tracks moved by Crossfade")
    return created.id, []


def run(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    dry_run = bool(params.get("dry_run", True))
    with (
        open_account(ctx.runtime, int(params["source_account_id"]), user_id=ctx.user_id) as source,
        open_account(ctx.runtime, int(params["target_account_id"]), user_id=ctx.user_id) as target,
    ):
        ctx.progress.phase("reading", total=2)
        liked = source.liked_tracks()
        with session_scope(ctx.runtime.engine) as session:
            keys = [str(k) for k in repo.upsert_tracks(session, liked)]
        ctx.progress.advance()
        into_library = hasattr(target, "save_liked")
        if into_library:
            have = [str(i) for i in target.liked_tracks()["provider_id"].to_list()]
            playlist_id: str | None = None
        else:
            playlist_id, have = _fallback_playlist(target, source.name, create=False)
        ctx.progress.advance()
        ctx.progress.phase("matching", total=len(keys))
        found = resolve(ctx, target, keys)
        ctx.progress.advance(len(keys))
        present = set(have)
        wanted = list(dict.fromkeys(t for k in keys if (t := found.ids.get(k))))
        missing = [t for t in wanted if t not in present]
        albums = source.saved_albums()
        summary: dict[str, Any] = {
            "dry_run": dry_run,
            "liked": {
                "source": len(keys),
                "matched": len(wanted),
                "already_there": len(wanted) - len(missing),
                "to_add": len(missing),
                "not_available": sum(
                    1 for k in keys if found.ids.get(k) is None and k not in found.review
                ),
                "review": len(found.review),
                "into": "liked library"
                if into_library
                else f"playlist '{FALLBACK_NAME.format(provider=source.name)}' "
                f"({target.name} documents no endpoint to save liked tracks)",
            },
            "albums": {
                "source": len(albums),
                "moved": 0,
                "note": "saved albums are counted; moving them is not built yet",
            },
            "artists": {"note": "followed artists are not read yet"},
        }
        if dry_run or not missing:
            return summary
        ctx.progress.phase("saving", total=len(missing))
        if into_library:
            save = target.save_liked  # type: ignore[attr-defined]
            for batch in chunks(missing, max(1, target.capabilities.add_batch_max)):
                save(batch)
                ctx.progress.advance(len(batch))
        else:
            if playlist_id is None:
                playlist_id, _ = _fallback_playlist(target, source.name, create=True)
            assert playlist_id is not None
            target.add_items(playlist_id, missing)
            ctx.progress.advance(len(missing))
            summary["liked"]["playlist_id"] = playlist_id
        summary["liked"]["added"] = len(missing)
    return summary
