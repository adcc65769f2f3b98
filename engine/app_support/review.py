"""The curator's queue: pending match decisions, one page at a time, with the
source track, its candidates and the named part scores of each.

Only one page of decisions is ever loaded (``pending_reviews`` with offset and
limit), so the queue stays fast with 10,000 items pending. How items and their
candidates are built and scored: :mod:`engine.app_support.review_items`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from engine import flags
from engine.app_support.review_items import (
    PARTS,
    Candidate,
    ReviewItem,
    TrackView,
    draft,
    raw_candidates,
    record_of,
    score_candidates,
    score_drafts,
    stored_targets,
)
from engine.errors import NotFoundError, UsageError
from engine.formats._common import track_link
from engine.formats._links import pasted_track_id
from engine.matching import MatchConfig
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope
from engine.store.decisions import CURATOR, open_questions
from engine.store.models import MatchDecision, ProviderAccount, Track

__all__ = [
    "MAX_PAGE",
    "PARTS",
    "Candidate",
    "ReviewItem",
    "ReviewPage",
    "TrackView",
    "accept_confident",
    "accept_these",
    "complete_from_provider",
    "decide",
    "decide_checked",
    "is_confident",
    "look_up_track",
    "mark_all_not_available",
    "pending_providers",
    "preview_confident",
    "recent_decisions",
    "review_page",
    "score_candidates",
    "search_target",
    "undo",
    "undo_many",
]

MAX_PAGE = 200


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewItem]
    total: int
    offset: int


def _require(runtime: Runtime) -> None:
    flags.require(runtime, runtime.settings, "feature.review")


def _pending_for(
    session: Session, user_id: int, provider: str, offset: int, limit: int
) -> tuple[int, int, list[MatchDecision]]:
    query = open_questions(user_id, provider)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    offset = max(0, min(offset, max(total - 1, 0)))
    rows = session.scalars(query.order_by(MatchDecision.id).offset(offset).limit(limit)).all()
    return total, offset, list(rows)


def pending_providers(runtime: Runtime, user_id: int) -> dict[str, int]:
    """Target provider -> number of the user's open questions for it."""
    questions = open_questions(user_id).subquery()
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(questions.c.target_provider, func.count())
            .group_by(questions.c.target_provider)
            .order_by(questions.c.target_provider)
        ).all()
    return {str(p): int(n) for p, n in rows}


def review_page(
    runtime: Runtime,
    user_id: int,
    *,
    offset: int = 0,
    limit: int = 20,
    config: MatchConfig | None = None,
    provider: str | None = None,
) -> ReviewPage:
    """One page of the user's pending reviews, oldest first, ready to display;
    with ``provider``, only reviews for that target provider."""
    _require(runtime)
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"page size must be between 1 and {MAX_PAGE}, not {limit}")
    config = config or MatchConfig()
    with Session(runtime.engine) as session:
        if provider is None:
            total = repo.count_pending_reviews(session, user_id)
            offset = max(0, min(offset, max(total - 1, 0)))
            decisions = list(repo.pending_reviews(session, user_id, offset, limit))
        else:
            total, offset, decisions = _pending_for(session, user_id, provider, offset, limit)
        tracks = {
            t.id: t
            for t in session.scalars(
                select(Track)
                .where(Track.id.in_({d.source_track_id for d in decisions}))
                .options(selectinload(Track.provider_ids))  # one query for the page
            )
        }
        by_provider: dict[str, set[str]] = {}
        for decision in decisions:
            ids = {e["id"] for e in raw_candidates(decision)}
            by_provider.setdefault(decision.target_provider, set()).update(ids)
        stored = {p: stored_targets(session, p, ids) for p, ids in by_provider.items()}
        drafts = [
            draft(d, tracks[d.source_track_id], stored.get(d.target_provider, {}))
            for d in decisions
        ]
    return ReviewPage(items=score_drafts(drafts, config), total=total, offset=offset)


def decide(runtime: Runtime, user_id: int, decision_id: int, target_track_id: str | None) -> int:
    """Resolve one review with one of its candidates, or None for "not
    available" (a track found by hand goes through :func:`decide_checked`).
    Returns the curator decision's id (for undo)."""
    _require(runtime)
    if target_track_id is not None and not target_track_id.strip():
        raise UsageError("the chosen target track id is empty")
    with session_scope(runtime.engine) as session:
        chosen = repo.decide(
            session,
            user_id,
            decision_id,
            target_track_id=target_track_id.strip() if target_track_id else None,
        )
        answered = (int(chosen.source_track_id), chosen.target_provider)
        chosen_id = int(chosen.id)
    _answered(runtime, user_id, *answered)
    return chosen_id


def decide_checked(runtime: Runtime, user_id: int, decision_id: int, track: TrackView) -> int:
    """Resolve one review with a track the target provider itself returned (a
    search result, or a pasted link checked by :func:`look_up_track`); its
    metadata joins the review's evidence."""
    _require(runtime)
    checked = {**record_of(track), "url": track.url}
    with session_scope(runtime.engine) as session:
        chosen = repo.decide(
            session, user_id, decision_id, target_track_id=track.id, checked=checked
        )
        answered = (int(chosen.source_track_id), chosen.target_provider)
        chosen_id = int(chosen.id)
    _answered(runtime, user_id, *answered)
    return chosen_id


def _answered(runtime: Runtime, user_id: int, source_track_id: int, provider: str) -> None:
    """Wake the migrations waiting for this answer (they add it to their playlist)."""
    from engine.jobs.review_wait import wake_waiting

    wake_waiting(runtime, user_id, source_track_id, provider)


def look_up_track(runtime: Runtime, user_id: int, provider: str, text: str) -> TrackView:
    """The ``provider`` track a pasted share link, URI or id names, checked to
    exist with one lookup through the user's account; UsageError / NotFoundError
    with the reason otherwise."""
    from engine.jobs.connect import open_account

    track_id = pasted_track_id(provider, text)
    account_id = _account_id(runtime, user_id, provider)
    if account_id is None:
        raise NotFoundError(f"no {provider} account connected: connect it on the Connections page")
    with open_account(runtime, account_id, user_id=user_id) as client:
        found = client.get_track(track_id)
    if not found.height:
        raise NotFoundError(f"{provider} has no track {track_id}: check the link or id")
    return _view(provider, found.row(0, named=True))


def _view(provider: str, row: dict[str, Any]) -> TrackView:
    track_id = str(row.get("provider_id") or row.get("id"))
    return TrackView(
        id=track_id,
        title=row.get("title"),
        artists=list(row.get("artists") or []),
        album=row.get("album"),
        duration_ms=row.get("duration_ms"),
        isrc=row.get("isrc"),
        url=row.get("url") or track_link(provider, track_id),
        explicit=row.get("explicit"),
        release_date=row.get("release_date"),
    )


def undo(runtime: Runtime, user_id: int, decision_id: int) -> str:
    """Undo a curator decision; its review goes back into the queue. Returns the
    source track's name (``Artist - Title``) for the notice."""
    _require(runtime)
    with session_scope(runtime.engine) as session:
        undone = repo.undo_decision(session, user_id, decision_id)
        track = session.get(Track, undone.source_track_id)
        answered = (int(undone.source_track_id), undone.target_provider)
        artists = ", ".join(track.artists or []) if track else ""
        title = (track.title if track else None) or f"track {undone.source_track_id}"
    _answered(runtime, user_id, *answered)
    return f"{artists} - {title}" if artists else title


def recent_decisions(runtime: Runtime, user_id: int, *, limit: int = 20) -> pl.DataFrame:
    """The user's latest curator decisions still in force, newest first."""
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(MatchDecision, Track.title, Track.artists)
            .join(Track, Track.id == MatchDecision.source_track_id)
            .where(
                MatchDecision.user_id == user_id,
                MatchDecision.decided_by == CURATOR,
                MatchDecision.undone_at.is_(None),
            )
            .order_by(MatchDecision.decided_at.desc(), MatchDecision.id.desc())
            .limit(limit)
        ).all()
    return pl.DataFrame(
        [
            {
                "decision_id": d.id,
                "track": f"{', '.join(artists or [])} - {title}",
                "provider": d.target_provider,
                "decision": _chosen_name(d) if d.status == "matched" else "not available",
                "decided_at": d.decided_at,
            }
            for d, title, artists in rows
        ],
        schema={
            "decision_id": pl.Int64,
            "track": pl.Utf8,
            "provider": pl.Utf8,
            "decision": pl.Utf8,
            "decided_at": pl.Datetime(time_zone="UTC"),
        },
    )


def _chosen_name(decision: MatchDecision) -> str:
    """``Artist - Title (id)`` of the chosen track when its evidence names it."""
    chosen = str(decision.target_track_id)
    for entry in raw_candidates(decision):
        if entry["id"] == chosen and entry.get("title"):
            artists = ", ".join(entry.get("artists") or [])
            name = f"{artists} - {entry['title']}" if artists else str(entry["title"])
            return f"{name} ({chosen})"
    return chosen


def _require_confident_args(runtime: Runtime, min_score: float) -> None:
    """The checks shared by :func:`accept_confident` and :func:`preview_confident`."""
    _require(runtime)
    if not 0 < min_score <= 1:
        raise UsageError(f"min_score must be in (0, 1], not {min_score}")


def accept_confident(
    runtime: Runtime,
    user_id: int,
    *,
    min_score: float,
    min_margin: float = 0.05,
    max_items: int = 1000,
    config: MatchConfig | None = None,
    provider: str | None = None,
) -> int:
    """Bulk action for the easy cases: accept the best candidate of each pending
    review whose best score is at least ``min_score`` and leads the runner-up by
    ``min_margin``. Works page by page; returns how many were accepted."""
    _require_confident_args(runtime, min_score)
    accepted, offset = 0, 0
    while accepted < max_items:
        page = review_page(
            runtime, user_id, offset=offset, limit=MAX_PAGE, config=config, provider=provider
        )
        if not page.items or page.offset != offset:
            break
        confident = [
            i for i in page.items if is_confident(i, min_score=min_score, min_margin=min_margin)
        ][: max_items - accepted]
        accept_these(
            runtime, user_id, [(i.decision_id, i.candidates[0].track.id) for i in confident]
        )
        accepted += len(confident)
        skipped = len(page.items) - len(confident)
        offset += skipped  # accepted items left the queue; skipped ones stay ahead
        if len(page.items) < MAX_PAGE:
            break
    return accepted


def preview_confident(
    runtime: Runtime,
    user_id: int,
    *,
    min_score: float,
    min_margin: float = 0.05,
    max_items: int = 1000,
    config: MatchConfig | None = None,
    provider: str | None = None,
) -> list[ReviewItem]:
    """What :func:`accept_confident` would accept now (nothing is written), so
    the page can show it and ask once."""
    _require_confident_args(runtime, min_score)
    found: list[ReviewItem] = []
    offset = 0
    while len(found) < max_items:
        page = review_page(
            runtime, user_id, offset=offset, limit=MAX_PAGE, config=config, provider=provider
        )
        if not page.items or page.offset != offset:
            break
        found.extend(
            i for i in page.items if is_confident(i, min_score=min_score, min_margin=min_margin)
        )
        offset += len(page.items)
        if len(page.items) < MAX_PAGE:
            break
    return found[:max_items]


def accept_these(runtime: Runtime, user_id: int, choices: list[tuple[int, str]]) -> list[int]:
    """Accept ``(review decision id, candidate id)`` pairs in one transaction
    (each must be one of its review's candidates); returns the curator decision
    ids, which :func:`undo_many` reverts as one step."""
    _require(runtime)
    made: list[int] = []
    answered: set[tuple[int, str]] = set()
    with session_scope(runtime.engine) as session:
        for decision_id, target in choices:
            chosen = repo.decide(session, user_id, decision_id, target_track_id=target)
            made.append(int(chosen.id))
            answered.add((int(chosen.source_track_id), chosen.target_provider))
    for track_id, provider in sorted(answered):
        _answered(runtime, user_id, track_id, provider)
    return made


def undo_many(runtime: Runtime, user_id: int, decision_ids: list[int]) -> int:
    """Undo several curator decisions as one step (one transaction); their
    reviews go back into the queue. Returns how many were undone."""
    _require(runtime)
    answered: set[tuple[int, str]] = set()
    with session_scope(runtime.engine) as session:
        for decision_id in decision_ids:
            undone = repo.undo_decision(session, user_id, decision_id)
            answered.add((int(undone.source_track_id), undone.target_provider))
    for track_id, provider in sorted(answered):
        _answered(runtime, user_id, track_id, provider)
    return len(decision_ids)


def is_confident(item: ReviewItem, *, min_score: float, min_margin: float) -> bool:
    """True when the best candidate is good enough and clearly ahead."""
    if not item.candidates or item.candidates[0].score is None:
        return False
    best = item.candidates[0].score
    runner_up = item.candidates[1].score if len(item.candidates) > 1 else None
    return best >= min_score and (runner_up is None or best - runner_up >= min_margin)


def mark_all_not_available(runtime: Runtime, user_id: int, decision_ids: list[int]) -> int:
    """Bulk "not available" for the given reviews (e.g. the ones on screen)."""
    for decision_id in decision_ids:
        decide(runtime, user_id, decision_id, None)
    return len(decision_ids)


def _account_id(runtime: Runtime, user_id: int, provider: str) -> int | None:
    with Session(runtime.engine) as session:
        found = session.scalar(
            select(ProviderAccount.id).where(
                ProviderAccount.user_id == user_id,
                ProviderAccount.provider == provider,
                ProviderAccount.status == "connected",
            )
        )
    return None if found is None else int(found)


def complete_from_provider(
    runtime: Runtime, user_id: int, item: ReviewItem, config: MatchConfig | None = None
) -> ReviewItem:
    """Fill in candidates known only by id (rows recorded before ``migrate``
    stored its evidence, see :mod:`engine.jobs.evidence`) from the target
    provider (an item whose candidates carry their metadata makes no request):
    the text search the transfer ran, plus an ISRC lookup, through the user's
    account (the HTTP stack caches both). Their parts are then scored.
    Without a connected account the item is returned as it is."""
    missing = {c.track.id for c in item.candidates if not c.track.title}
    account_id = _account_id(runtime, user_id, item.target_provider) if missing else None
    if account_id is None:
        return item
    from engine.jobs.connect import open_account
    from engine.jobs.plan import search_query

    with open_account(runtime, account_id, user_id=user_id) as client:
        frames = [client.search_tracks(search_query(item.source.title, item.source.artists), 10)]
        if item.source.isrc and client.capabilities.isrc_lookup != "none":
            frames.append(client.lookup_isrcs([item.source.isrc]))
    found: dict[str, TrackView] = {}
    for frame in frames:
        for row in frame.iter_rows(named=True):
            pid = str(row.get("provider_id") or "")
            if pid in missing and pid not in found:
                found[pid] = TrackView(
                    id=pid,
                    title=row["title"],
                    artists=list(row["artists"] or []),
                    album=row["album"],
                    duration_ms=row["duration_ms"],
                    isrc=row["isrc"],
                    url=row.get("url") or track_link(item.target_provider, pid),
                )
    if not found:
        return item
    views = list(found.values())
    scored = dict(
        zip(found, score_candidates(item.source, views, config or MatchConfig()), strict=True)
    )
    candidates = []
    for candidate in item.candidates:
        if candidate.track.id in found:
            new_score, parts = scored[candidate.track.id]
            score = candidate.score if candidate.score is not None else new_score
            candidate = Candidate(found[candidate.track.id], score, parts)
        candidates.append(candidate)
    candidates.sort(key=lambda c: -1.0 if c.score is None else c.score, reverse=True)
    return replace(item, candidates=candidates)


def search_target(
    runtime: Runtime, user_id: int, provider: str, query: str, *, limit: int = 10
) -> list[TrackView]:
    """Search the target provider by hand, through the user's connected account."""
    from engine.jobs.connect import open_account

    if not query.strip():
        raise UsageError("type something to search for")
    account_id = _account_id(runtime, user_id, provider)
    if account_id is None:
        raise NotFoundError(f"no {provider} account connected: connect it on the Connections page")
    with open_account(runtime, int(account_id), user_id=user_id) as client:
        found = client.search_tracks(query.strip(), limit=limit)
    return [
        _view(provider, row)
        for row in found.iter_rows(named=True)
        if row.get("provider_id") or row.get("id")
    ]
