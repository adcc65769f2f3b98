"""A user's curator decisions as labelled pairs, for ``crossfade matcher retrain``.

Each live (not undone) curator decision that carries candidates becomes a
``matching.retrain.Decision``: the source track's metadata, the candidates the
curator saw (stored metadata, or the store's copy of a candidate recorded as a
bare id) and the chosen id (None for "not available").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.matching.retrain import Decision
from engine.store.decisions import CURATOR, MATCHED, NOT_AVAILABLE
from engine.store.models import MatchDecision, Track, TrackProviderId

_FIELDS = ("title", "artists", "album", "duration_ms", "isrc", "explicit", "release_date")


def _track_dict(track: Track) -> dict[str, Any]:
    return {name: getattr(track, name) for name in _FIELDS}


def _known_candidate(session: Session, provider: str, raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict) and raw.get("title"):
        return {k: raw.get(k) for k in ("id", *_FIELDS)}
    cid = raw.get("id") if isinstance(raw, dict) else raw
    if cid in (None, ""):
        return None
    track = session.scalars(
        select(Track)
        .join(TrackProviderId)
        .where(TrackProviderId.provider == provider, TrackProviderId.provider_track_id == str(cid))
    ).first()
    return None if track is None else {"id": str(cid), **_track_dict(track)}


def curator_decisions(session: Session, user_id: int) -> list[Decision]:
    """The user's live curator decisions, oldest first, as labelled decisions."""
    rows = session.scalars(
        select(MatchDecision)
        .where(
            MatchDecision.user_id == user_id,
            MatchDecision.decided_by == CURATOR,
            MatchDecision.status.in_([MATCHED, NOT_AVAILABLE]),
            MatchDecision.undone_at.is_(None),
        )
        .order_by(MatchDecision.id)
    ).all()
    out = []
    for row in rows:
        source = session.get(Track, row.source_track_id)
        candidates = [
            found
            for raw in row.candidates or []
            if (found := _known_candidate(session, row.target_provider, raw)) is not None
        ]
        if source is not None and candidates:
            chosen = str(row.target_track_id) if row.status == MATCHED else None
            out.append(Decision(_track_dict(source), candidates, chosen))
    return out
