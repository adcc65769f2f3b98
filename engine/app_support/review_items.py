"""Review items: the source track and its candidates as the review page shows
them, and the scoring of candidates whose part scores were not recorded.

Candidates are stored as dicts carrying metadata, ``score`` and ``parts``
(what ``migrate`` records since :mod:`engine.jobs.evidence`), or, in older
rows, as bare ids; missing metadata is filled from
tracks already in the store, and missing parts are scored with
:func:`engine.matching.score_pairs`, one call per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.formats._common import track_link
from engine.frame import tracks_frame
from engine.matching import PART_COLUMNS, MatchConfig, score_pairs
from engine.store.models import MatchDecision, Track, TrackProviderId

PARTS = tuple(column.removeprefix("part_") for column in PART_COLUMNS)
"""Part names shown for every candidate, in display order."""


@dataclass(frozen=True)
class TrackView:
    """What the review panel shows of one track."""

    id: str
    title: str | None
    artists: list[str]
    album: str | None
    duration_ms: int | None
    isrc: str | None = None
    url: str | None = None
    explicit: bool | None = None
    release_date: str | None = None


@dataclass(frozen=True)
class Candidate:
    track: TrackView
    score: float | None
    parts: dict[str, float | None]


@dataclass(frozen=True)
class ReviewItem:
    decision_id: int
    source: TrackView
    target_provider: str
    score: float | None
    tier: str | None
    job_id: str | None
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def source_view(track: Track) -> TrackView:
    ids = {pid.provider: pid.provider_track_id for pid in track.provider_ids}
    url = next((track_link(p, i) for p, i in ids.items() if track_link(p, i)), None)
    return TrackView(
        id=str(track.id),
        title=track.title,
        artists=list(track.artists or []),
        album=track.album,
        duration_ms=track.duration_ms,
        isrc=track.isrc,
        url=url,
        explicit=track.explicit,
        release_date=track.release_date,
    )


def stored_targets(session: Session, provider: str, ids: set[str]) -> dict[str, Track]:
    if not ids:
        return {}
    rows = session.execute(
        select(TrackProviderId.provider_track_id, Track)
        .join(Track, Track.id == TrackProviderId.track_id)
        .where(TrackProviderId.provider == provider, TrackProviderId.provider_track_id.in_(ids))
    ).all()
    return {str(pid): track for pid, track in rows}


def raw_candidates(decision: MatchDecision) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for raw in decision.candidates or []:
        entry = dict(raw) if isinstance(raw, dict) else {"id": raw}
        if entry.get("id") not in (None, ""):
            entry["id"] = str(entry["id"])
            out.append(entry)
    return out


def _candidate_view(entry: dict[str, Any], provider: str, stored: Track | None) -> TrackView:
    artists = entry.get("artists")
    if artists is None and stored is not None:
        artists = stored.artists
    return TrackView(
        id=entry["id"],
        title=entry.get("title") or (stored.title if stored else None),
        artists=list(artists or []),
        album=entry.get("album") or (stored.album if stored else None),
        duration_ms=entry.get("duration_ms") or (stored.duration_ms if stored else None),
        isrc=entry.get("isrc") or (stored.isrc if stored else None),
        url=entry.get("url") or track_link(provider, entry["id"]),
        explicit=entry.get("explicit")
        if "explicit" in entry
        else (stored.explicit if stored else None),
        release_date=_text(entry.get("release_date"))
        or (_text(stored.release_date) if stored else None),
    )


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _stored_parts(entry: dict[str, Any]) -> dict[str, float | None] | None:
    parts = entry.get("parts")
    if not isinstance(parts, dict):
        return None
    named = {str(k).removeprefix("part_"): v for k, v in parts.items()}
    if (
        not any(named.get(name) is not None for name in PARTS if name != "title")
        and len(named) <= 1
    ):
        return None  # a bare score, not a breakdown: rescore when metadata allows
    return {name: named.get(name) for name in PARTS}


def record_of(view: TrackView) -> dict[str, Any]:
    return {
        "id": view.id,
        "title": view.title,
        "artists": view.artists,
        "album": view.album,
        "duration_ms": view.duration_ms,
        "isrc": view.isrc,
        "explicit": view.explicit,
    }


def score_candidates(
    source: TrackView, candidates: list[TrackView], config: MatchConfig
) -> list[tuple[float, dict[str, float | None]]]:
    """Score and part scores of each candidate against the source track."""
    return score_many([(source, c) for c in candidates], config)


def score_many(
    pairs: list[tuple[TrackView, TrackView]], config: MatchConfig
) -> list[tuple[float, dict[str, float | None]]]:
    """Score and part scores of many (source, candidate) pairs in one call to the
    matcher (which has a fixed cost per call, so a page is scored at once)."""
    if not pairs:
        return []
    left = tracks_frame([record_of(source) for source, _ in pairs])
    right = tracks_frame([record_of(candidate) for _, candidate in pairs])
    scored = score_pairs(left, right, config)
    results = []
    for row in scored.iter_rows(named=True):
        parts = {name: row[f"part_{name}"] for name in PARTS}
        results.append((float(row["score"]), parts))
    return results


@dataclass
class _Draft:
    """A review item before its candidates are scored."""

    decision: MatchDecision
    source: TrackView
    entries: list[dict[str, Any]]
    views: list[TrackView]

    def to_score(self) -> list[int]:
        """Candidates whose metadata is known but whose score or parts are not."""
        return [
            i
            for i, (entry, view) in enumerate(zip(self.entries, self.views, strict=True))
            if view.title and (_stored_parts(entry) is None or entry.get("score") is None)
        ]


def draft(decision: MatchDecision, source: Track, stored: dict[str, Track]) -> _Draft:
    entries = raw_candidates(decision)
    views = [_candidate_view(e, decision.target_provider, stored.get(e["id"])) for e in entries]
    return _Draft(decision, source_view(source), entries, views)


def _finish(
    draft: _Draft, rescored: dict[int, tuple[float, dict[str, float | None]]]
) -> ReviewItem:
    decision = draft.decision
    candidates = []
    for index, (entry, view) in enumerate(zip(draft.entries, draft.views, strict=True)):
        parts = _stored_parts(entry)
        score = entry.get("score")
        if index in rescored:
            new_score, new_parts = rescored[index]
            parts = parts or new_parts
            score = score if score is not None else new_score
        if score is None and index == 0:
            score = decision.score
        candidates.append(
            Candidate(view, None if score is None else float(score), parts or dict.fromkeys(PARTS))
        )
    candidates.sort(key=lambda c: -1.0 if c.score is None else c.score, reverse=True)
    return ReviewItem(
        decision_id=decision.id,
        source=draft.source,
        target_provider=decision.target_provider,
        score=decision.score,
        tier=decision.tier,
        job_id=decision.job_id,
        candidates=candidates,
    )


def score_drafts(drafts: list[_Draft], config: MatchConfig) -> list[ReviewItem]:
    wanted = [(d, i) for d, draft in enumerate(drafts) for i in draft.to_score()]
    results = score_many([(drafts[d].source, drafts[d].views[i]) for d, i in wanted], config)
    rescored: list[dict[int, tuple[float, dict[str, float | None]]]] = [{} for _ in drafts]
    for (d, i), result in zip(wanted, results, strict=True):
        rescored[d][i] = result
    return [_finish(draft, rescored[d]) for d, draft in enumerate(drafts)]
