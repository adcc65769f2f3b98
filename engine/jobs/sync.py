"""Job ``sync``: one-way, a stored playlist -> a provider playlist.

Parameters: ``source`` (``{"playlist_id"}`` or ``{"snapshot_id"}``),
``target_account_id``, ``target_playlist_id``, ``dry_run`` (default **true**),
``max_removals`` (default :data:`DEFAULT_MAX_REMOVALS`), ``review_policy``.

The wanted target contents are the source items mapped to target ids (the
user's standing match decisions, then ids already known for the target, then
the matcher for the rest), each once, in source order. The job diffs that
against the target's current contents (``engine.diff``) and removes, adds and
reorders. Every run starts from what the target holds now, so a re-run (or a
resumed run after a crash) never adds anything twice.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.batching import chunks
from engine.diff import diff_playlists
from engine.errors import JobError
from engine.frame import extras_dict
from engine.jobs.connect import open_account
from engine.jobs.isolation import is_track_error, reason
from engine.jobs.plan import load_source, make_plan
from engine.jobs.runner import JobContext
from engine.providers.base import Provider, playlist_track_ids
from engine.store.models import MatchDecision

DEFAULT_MAX_REMOVALS = 20
"""More removals than this and the sync refuses (nothing is changed)."""


def known_targets(ctx: JobContext, source: pl.DataFrame, provider: str) -> dict[int, str | None]:
    """track id -> target id (None = "not available") from the newest standing
    decision (a curator's beats the matcher's), else a stored provider id."""
    track_ids = [int(t) for t in source["track_id"].to_list()]
    found: dict[int, str | None] = {}
    for row in source.select("track_id", "extras").iter_rows():
        known = extras_dict(row[1]).get(f"{provider}_id")
        if known:
            found[int(row[0])] = known
    if ctx.user_id is None:
        return found
    with Session(ctx.runtime.engine) as session:
        rows = session.execute(
            select(
                MatchDecision.source_track_id,
                MatchDecision.status,
                MatchDecision.target_track_id,
                MatchDecision.decided_by,
            )
            .where(
                MatchDecision.user_id == ctx.user_id,
                MatchDecision.target_provider == provider,
                MatchDecision.undone_at.is_(None),
                MatchDecision.status.in_(("matched", "not_available")),
                MatchDecision.source_track_id.in_(track_ids),
            )
            .order_by(MatchDecision.decided_at, MatchDecision.id)
        ).all()
    curated: set[int] = set()
    for row in rows:
        if row.source_track_id in curated and row.decided_by != "curator":
            continue
        found[row.source_track_id] = row.target_track_id if row.status == "matched" else None
        if row.decided_by == "curator":
            curated.add(row.source_track_id)
    return found


def wanted_ids(ctx: JobContext, target: Provider, source: pl.DataFrame) -> list[str]:
    """The target ids the playlist should hold, each once, in source order."""
    known = known_targets(ctx, source, target.name)
    unresolved = source.filter(~pl.col("track_id").is_in(list(known)))
    if unresolved.height:
        policy = str(ctx.params.get("review_policy", "wait"))
        for row in make_plan(ctx, target, unresolved, policy):
            known[row["track_id"]] = row["target_id"]
    ordered = [known.get(int(t)) for t in source["track_id"].to_list()]
    return list(dict.fromkeys(t for t in ordered if t))


def _frame(ids: list[str], provider: str) -> pl.DataFrame:
    from engine.frame import tracks_frame

    return tracks_frame([{"provider": provider, "provider_id": i, "title": i} for i in ids])


def run(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    dry_run = bool(params.get("dry_run", True))
    max_removals = int(params.get("max_removals", DEFAULT_MAX_REMOVALS))
    playlist_id = str(params["target_playlist_id"])
    with open_account(ctx.runtime, int(params["target_account_id"]), user_id=ctx.user_id) as target:
        source, _, _ = load_source(ctx, dict(params.get("source") or {}))
        ctx.progress.phase("planning", total=source.height)
        wanted = wanted_ids(ctx, target, source)
        actual = playlist_track_ids(target, playlist_id)
        diff = diff_playlists(_frame(actual, target.name), _frame(wanted, target.name))
        summary: dict[str, Any] = {
            "wanted": len(wanted),
            "before": len(actual),
            "add": diff.added["provider_id"].to_list(),
            "remove": diff.removed["provider_id"].to_list(),
            "move": diff.moved["provider_id"].to_list(),
            "dry_run": dry_run,
        }
        if len(summary["remove"]) > max_removals:
            raise JobError(
                f"sync would remove {len(summary['remove'])} items from {playlist_id}, "
                f"more than max_removals={max_removals}; nothing was changed"
            )
        if dry_run:
            return summary
        changes = len(summary["add"]) + len(summary["remove"]) + len(summary["move"])
        ctx.progress.phase("applying", total=changes)
        summary["reordered"], summary["refused"] = apply(ctx, target, playlist_id, wanted)
        after = playlist_track_ids(target, playlist_id)
        summary["after"] = len(after)
        summary["in_sync"] = after == [i for i in wanted if i not in summary["refused"]]
    return summary


def _add_isolated(
    ctx: JobContext, target: Provider, playlist_id: str, missing: list[str]
) -> dict[str, str]:
    """Add ``missing`` in batches; a batch refused on a per-track 404/400 is added
    one track at a time and the refused ones are returned with their reason."""
    refused: dict[str, str] = {}
    for batch in chunks(missing, max(1, target.capabilities.add_batch_max)):
        try:
            target.add_items(playlist_id, batch)
        except Exception as exc:
            if not is_track_error(exc):
                raise
            for one in batch:
                try:
                    target.add_items(playlist_id, [one])
                except Exception as inner:
                    if not is_track_error(inner):
                        raise
                    refused[one] = f"add rejected: {reason(inner)}"
                    ctx.progress.error(f"{one}: {refused[one]}")
        ctx.progress.advance(len(batch))
    return refused


def apply(
    ctx: JobContext, target: Provider, playlist_id: str, wanted: list[str]
) -> tuple[bool, dict[str, str]]:
    """Remove, add, then reorder; returns whether the order could be fixed and
    the tracks the target refused (id -> reason; the rest are in order)."""
    caps = target.capabilities
    actual = playlist_track_ids(target, playlist_id)
    wanted_set = set(wanted)
    counts: dict[str, int] = {}
    for item in actual:
        counts[item] = counts.get(item, 0) + 1
    # removal is by track id (every occurrence), so duplicates go too and come back once
    doomed = [i for i in dict.fromkeys(actual) if i not in wanted_set or counts[i] > 1]
    for batch in chunks(doomed, max(1, caps.remove_batch_max)):
        target.remove_items(playlist_id, batch)
        ctx.progress.advance(len(batch))
    present = [i for i in actual if i not in set(doomed)]
    missing = [i for i in wanted if i not in set(present)]
    refused = _add_isolated(ctx, target, playlist_id, missing)
    if refused:  # one refused track never stops the sync: report it, order the rest
        missing = [i for i in missing if i not in refused]
        wanted = [i for i in wanted if i not in refused]
    current = present + missing
    if current == wanted:
        return True, refused
    if not caps.supports_reorder:
        ctx.progress.error(f"{target.name} cannot reorder: items are in the target, order differs")
        return False, refused
    for index, item in enumerate(wanted):
        at = current.index(item)
        if at != index:
            target.reorder(playlist_id, at, index)
            current.insert(index, current.pop(at))
            ctx.progress.advance()
    return True, refused
