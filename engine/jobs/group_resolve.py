"""A sync group's recordings on one member's provider: key -> that provider's id.

In this order, the first that answers: an id the store already knows for the
track on that provider, the user's standing decision (a curator's first, see
``engine.jobs.sync.known_targets``), then the matcher over the candidates of
the query ladder (ISRC lookups, then text rungs). Every matcher answer is
recorded as a decision, so the next run asks the provider nothing:
``matched``, ``not_available`` (the member lacks the recording; it stays in
the group and on the other members), or ``pending`` (a review-level match: a
person decides on the Review page and the member leaves the track out until
then).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import select

from engine.frame import conform
from engine.jobs.runner import JobContext
from engine.jobs.search_ladder import Ladder, MemoryStore, budget_for
from engine.jobs.sync import known_targets
from engine.providers.base import Provider
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import MatchDecision, Track, TrackProviderId
from engine.store.preferences import load_match_config
from engine.store.tracks import provider_ids_of


@dataclass
class Resolution:
    """What one member's provider calls each recording (None: lacks it)."""

    ids: dict[str, str | None] = field(default_factory=dict)
    review: dict[str, str] = field(default_factory=dict)
    """key -> why a person must decide (a review-level match)."""
    requests: int = 0
    """Lookups and searches made (0 when every answer was known)."""


def tracks_frame_of(ctx: JobContext, keys: Iterable[str]) -> pl.DataFrame:
    """The stored tracks of these keys as a canonical frame with ``track_id``."""
    ids = sorted({int(k) for k in keys})
    if not ids:
        return conform(pl.DataFrame()).with_columns(track_id=pl.lit(None, dtype=pl.Int64))
    with ctx.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Track.id, Track.title, Track.artists, Track.album, Track.duration_ms, Track.isrc)
            .where(Track.id.in_(ids))
            .order_by(Track.id)
        ).all()
        known = provider_ids_of(conn, ids)
    records = [
        {
            "id": str(row.id),
            "title": row.title,
            "artists": list(row.artists or []),
            "album": row.album,
            "duration_ms": row.duration_ms,
            "isrc": row.isrc,
            "position": n,
            "extras": [
                {"key": f"{p}_id", "value": v} for p, v in sorted(known.get(row.id, {}).items())
            ],
        }
        for n, row in enumerate(rows)
    ]
    frame = conform(pl.DataFrame(records, infer_schema_length=None))
    return frame.with_columns(track_id=pl.col("id").cast(pl.Int64))


def stored_ids(ctx: JobContext, keys: list[str], provider: str) -> dict[str, str]:
    """Provider ids the store already links to these tracks (lowest row first)."""
    found: dict[str, str] = {}
    with ctx.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(TrackProviderId.track_id, TrackProviderId.provider_track_id)
            .where(
                TrackProviderId.provider == provider,
                TrackProviderId.track_id.in_([int(k) for k in keys]),
            )
            .order_by(TrackProviderId.id)
        ).all()
    for track_id, provider_id in rows:
        found.setdefault(str(track_id), str(provider_id))
    return found


def pending_keys(ctx: JobContext, keys: list[str], provider: str) -> set[str]:
    """Keys with an open review on this provider (not asked again until decided)."""
    if ctx.user_id is None or not keys:
        return set()
    with ctx.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(MatchDecision.source_track_id).where(
                MatchDecision.user_id == ctx.user_id,
                MatchDecision.target_provider == provider,
                MatchDecision.status == "pending",
                MatchDecision.undone_at.is_(None),
                MatchDecision.source_track_id.in_([int(k) for k in keys]),
            )
        ).all()
    return {str(r[0]) for r in rows}


def resolve(ctx: JobContext, provider: Provider, keys: Iterable[str]) -> Resolution:
    """Each key's id on ``provider`` (see the module docstring for the order)."""
    todo = sorted(set(keys), key=int)
    result = Resolution()
    if not todo:
        return result
    result.ids.update(stored_ids(ctx, todo, provider.name))
    rest = [k for k in todo if k not in result.ids]
    if rest:
        frame = tracks_frame_of(ctx, rest)
        for track_id, target in known_targets(ctx, frame, provider.name).items():
            result.ids[str(track_id)] = target
    waiting = pending_keys(ctx, [k for k in todo if k not in result.ids], provider.name)
    for key in waiting:
        result.ids[key] = None
        result.review[key] = f"waiting for review on {provider.name}"
    rest = [k for k in todo if k not in result.ids]
    if rest:
        _match(ctx, provider, tracks_frame_of(ctx, rest), result)
    return result


def _candidates(
    ctx: JobContext, provider: Provider, source: pl.DataFrame, result: Resolution
) -> pl.DataFrame:
    """Candidates by the query ladder every migration uses (``engine.jobs.search_ladder``)."""
    ladder = Ladder(
        provider,
        MemoryStore(),
        config=load_match_config(ctx.runtime.engine, ctx.user_id),
        budget=budget_for(provider, ctx.runtime.settings),
    )
    candidates, _ = ladder.run(source.with_columns(pl.col("id").cast(pl.Utf8)))
    result.requests += ladder.requests
    return candidates


def _match(ctx: JobContext, provider: Provider, source: pl.DataFrame, result: Resolution) -> None:
    from engine.matching import match

    candidates = _candidates(ctx, provider, source, result)
    config = load_match_config(ctx.runtime.engine, ctx.user_id)
    if candidates.height:
        matched = match(source, candidates, config=config)
        rows = {str(r["source_id"]): r for r in matched.iter_rows(named=True)}
    else:
        rows = {}
    with session_scope(ctx.runtime.engine) as session:
        for key in source["id"].to_list():
            row = rows.get(str(key))
            decision = row["decision"] if row else "none"
            score = row["score"] if row and row["score"] is not None else None
            score = None if score is None or math.isnan(score) else round(float(score), 4)
            if decision == "auto" and row and row["catalog_id"]:
                status, target = "matched", str(row["catalog_id"])
                result.ids[str(key)] = target
            elif decision == "review" and row and row["catalog_id"]:
                status, target = "pending", None
                result.ids[str(key)] = None
                result.review[str(key)] = (
                    f"review-level match on {provider.name} (score {score}): a person decides"
                )
            else:
                status, target = "not_available", None
                result.ids[str(key)] = None
            if ctx.user_id is None:
                continue
            candidates_note = _review_candidates(row, candidates) if status == "pending" else []
            repo.record_decision(
                session,
                ctx.user_id,
                int(key),
                provider.name,
                status=status,
                target_track_id=target,
                score=score,
                tier=decision,
                rule=row["rule"] if row else "none",
                candidates=candidates_note,
                job_id=ctx.job_id,
            )


def _review_candidates(
    row: dict[str, Any] | None, candidates: pl.DataFrame
) -> list[dict[str, Any]]:
    """The chosen candidate and its alternatives with their metadata, as the
    Review page shows them (``id`` = the provider's track id)."""
    if row is None:
        return []
    ids = [str(row["catalog_id"])] + [
        str(a["catalog_id"]) for a in (row.get("alternatives") or []) if a.get("catalog_id")
    ]
    by_id = {
        str(r["id"]): r
        for r in candidates.select(
            "id", "title", "artists", "album", "duration_ms", "isrc"
        ).to_dicts()
    }
    out = []
    for n, ident in enumerate(dict.fromkeys(ids)):
        meta = by_id.get(ident, {})
        score = row["score"] if n == 0 else None
        out.append({**meta, "id": ident, "score": score})
    return out[:4]
