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
Saved albums (Spotify, TIDAL targets) are found by UPC first, then (Spotify)
by title + first artist + track count, and saved through the library
endpoints; a Deezer target's albums are counted only. Followed artists are not
read yet.
"""

from __future__ import annotations

from typing import Any

from engine.batching import chunks
from engine.jobs.connect import open_account
from engine.jobs.group_resolve import resolve
from engine.jobs.runner import JobContext
from engine.providers.base import AlbumInfo, Provider
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


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").casefold().split()) == " ".join((b or "").casefold().split())


def _find_album(target: Provider, album: AlbumInfo) -> tuple[AlbumInfo | None, str]:
    """The target's release of ``album``: UPC first, then title + first artist +
    track count (all three must agree)."""
    find = target.find_albums  # type: ignore[attr-defined]
    if album.upc:
        hits = find(upc=album.upc)
        if hits:
            return hits[0], "upc"
    artist = album.artists[0] if album.artists else None
    for hit in find(title=album.title, artist=artist):
        same_artist = (
            not hit.artists or artist is None or any(_same(a, artist) for a in hit.artists)
        )
        same_count = (
            None in (hit.track_count, album.track_count) or hit.track_count == album.track_count
        )
        if _same(hit.title, album.title) and same_artist and same_count:
            return hit, "title+artist+track count"
    return None, "not found"


def _plan_albums(source: Provider, target: Provider) -> dict[str, Any]:
    albums = source.saved_albums()
    counts: dict[str, Any] = {"source": len(albums)}
    if not (hasattr(target, "find_albums") and hasattr(target, "save_albums")):
        counts["note"] = f"saving albums on {target.name} is not built yet: counted only"
        return {"counts": counts, "to_save": []}
    have = {a.id for a in target.saved_albums()}
    how: dict[str, int] = {}
    to_save: list[str] = []
    for album in albums:
        found, rule = _find_album(target, album)
        how[rule] = how.get(rule, 0) + 1
        if found is not None and found.id not in have and found.id not in to_save:
            to_save.append(found.id)
    counts.update(
        matched_by_upc=how.get("upc", 0),
        matched_by_text=how.get("title+artist+track count", 0),
        not_found=how.get("not found", 0),
        to_save=len(to_save),
    )
    return {"counts": counts, "to_save": to_save}


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
        albums_plan = _plan_albums(source, target)
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
            "albums": albums_plan["counts"],
            "artists": {"note": "followed artists are not read yet"},
        }
        if dry_run:
            return summary
        album_ids = albums_plan["to_save"]
        if album_ids:
            target.save_albums(album_ids)  # type: ignore[attr-defined]
            summary["albums"]["added"] = len(album_ids)
        if not missing:
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
