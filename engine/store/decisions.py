"""Match decisions: source track -> a target provider's track or "not available".

The matcher records ``auto`` decisions; those it is unsure of are ``pending``
and wait for review. A curator's decision (``decided_by="curator"``) acts as a
rule for later runs (:func:`curator_rule_for`). Nothing is deleted: deciding a
review marks it ``reviewed`` and adds the curator's row; undoing sets
``undone_at`` and reopens the review.

One question is asked once: when a second job is unsure of the same source track
on the same target provider, the open review stands for both (it is not stored
twice), and one decision answers every open review of that pair (rows from
before this rule included); undo reopens them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine.errors import ConflictError, NotFoundError, UsageError
from engine.store.models import MatchDecision, Track, utcnow
from engine.store.owned import get_owned

MATCHED, NOT_AVAILABLE, PENDING, REVIEWED = "matched", "not_available", "pending", "reviewed"
AUTO, CURATOR = "auto", "curator"


def record_decision(
    session: Session,
    user_id: int,
    source_track_id: int,
    target_provider: str,
    *,
    status: str,
    target_track_id: str | None = None,
    score: float | None = None,
    tier: str | None = None,
    rule: str | None = None,
    parts: dict[str, Any] | None = None,
    candidates: list[Any] | None = None,
    decided_by: str = AUTO,
    job_id: str | None = None,
) -> MatchDecision:
    """Store one decision. ``matched`` needs ``target_track_id``; ``pending``
    means "needs review" and should carry the ``candidates``; a ``pending``
    one whose question is already open returns that open review instead."""
    if status not in (MATCHED, NOT_AVAILABLE, PENDING):
        raise UsageError(f"decision status must be matched, not_available or pending: {status!r}")
    if status == MATCHED and not target_track_id:
        raise UsageError("a 'matched' decision needs target_track_id")
    if session.get(Track, source_track_id) is None:
        raise NotFoundError(f"track {source_track_id} does not exist")
    if status == PENDING:
        asked = session.scalars(
            open_questions(user_id, target_provider)
            .where(MatchDecision.source_track_id == source_track_id)
            .order_by(MatchDecision.id)
            .limit(1)
        ).first()
        if asked is not None:
            return asked  # the question is already open: asked once
    decision = MatchDecision(
        user_id=user_id,
        source_track_id=source_track_id,
        target_provider=target_provider,
        target_track_id=target_track_id if status == MATCHED else None,
        status=status,
        score=score,
        tier=tier,
        rule=rule,
        parts=parts or {},
        candidates=candidates or [],
        decided_by=decided_by,
        decided_at=utcnow(),
        job_id=job_id,
    )
    session.add(decision)
    session.flush()
    return decision


def get_decision(session: Session, user_id: int, decision_id: int) -> MatchDecision:
    """One of the user's decisions (another user's is "not found")."""
    missing = f"match decision {decision_id} does not exist"
    return get_owned(session, MatchDecision, decision_id, user_id=user_id, missing=missing)


def curator_rule_for(
    session: Session, user_id: int, source_track_id: int, target_provider: str
) -> MatchDecision | None:
    """The curator's standing decision for this track on this provider, if any."""
    query = (
        select(MatchDecision)
        .where(
            MatchDecision.user_id == user_id,
            MatchDecision.source_track_id == source_track_id,
            MatchDecision.target_provider == target_provider,
            MatchDecision.decided_by == CURATOR,
            MatchDecision.undone_at.is_(None),
        )
        .order_by(MatchDecision.decided_at.desc(), MatchDecision.id.desc())
    )
    return session.scalars(query.limit(1)).first()


def decisions_for_track(
    session: Session, user_id: int, source_track_id: int, target_provider: str | None = None
) -> Sequence[MatchDecision]:
    """Every decision (history included) about one source track, newest first."""
    query = select(MatchDecision).where(
        MatchDecision.user_id == user_id, MatchDecision.source_track_id == source_track_id
    )
    if target_provider is not None:
        query = query.where(MatchDecision.target_provider == target_provider)
    order = (MatchDecision.decided_at.desc(), MatchDecision.id.desc())
    return session.scalars(query.order_by(*order)).all()


def open_questions(user_id: int, provider: str | None = None) -> Any:
    """The user's pending reviews (optionally for one target provider). Each
    question is stored once (:func:`record_decision` keeps one open review per
    source track and provider), so no query needs to group them."""
    query = select(MatchDecision).where(
        MatchDecision.user_id == user_id,
        MatchDecision.status == PENDING,
        MatchDecision.undone_at.is_(None),
    )
    if provider is not None:
        query = query.where(MatchDecision.target_provider == provider)
    return query


def pending_reviews(
    session: Session, user_id: int, offset: int = 0, limit: int = 50
) -> Sequence[MatchDecision]:
    """The user's open questions, oldest first (each pair of source track and
    target provider once)."""
    query = open_questions(user_id).order_by(MatchDecision.id)
    return session.scalars(query.offset(offset).limit(limit)).all()


def count_pending_reviews(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(open_questions(user_id).subquery())
    return int(session.scalar(query) or 0)


def _same_question(decision: MatchDecision, status: str) -> Any:
    """Reviews of the same source track for the same target provider."""
    return select(MatchDecision).where(
        and_(
            MatchDecision.user_id == decision.user_id,
            MatchDecision.source_track_id == decision.source_track_id,
            MatchDecision.target_provider == decision.target_provider,
            MatchDecision.status == status,
            MatchDecision.undone_at.is_(None),
        )
    )


def candidate_ids(decision: MatchDecision) -> list[str]:
    """The ids of the candidates a review shows (bare ids or dicts with ``id``)."""
    ids = []
    for raw in decision.candidates or []:
        value = raw.get("id") if isinstance(raw, dict) else raw
        if value not in (None, ""):
            ids.append(str(value))
    return ids


def decide(
    session: Session,
    user_id: int,
    decision_id: int,
    *,
    target_track_id: str | None,
    checked: dict[str, Any] | None = None,
    decided_by: str = CURATOR,
) -> MatchDecision:
    """A curator resolves a pending review: ``target_track_id`` is the chosen
    track, or None for "not available". Returns the curator's new decision.

    The chosen id must be one of the review's candidates, or ``checked``: the
    target provider's own record of that track (found by search or looked up
    after it was pasted), which joins the stored evidence. Every other open
    review of the same source track for the same provider is answered too."""
    pending = get_decision(session, user_id, decision_id)
    if pending.status != PENDING or pending.undone_at is not None:
        raise ConflictError(f"match decision {decision_id} is {pending.status}, not pending")
    candidates = list(pending.candidates or [])
    if target_track_id is not None:
        target_track_id = str(target_track_id)
        if checked is not None and str(checked.get("id")) != target_track_id:
            raise UsageError("the checked track is not the chosen one")
        if target_track_id not in candidate_ids(pending):
            if checked is None:
                raise UsageError(
                    f"{target_track_id!r} is not one of this review's candidates: search "
                    f"{pending.target_provider} for it or paste its link"
                )
            candidates.append({**checked, "id": target_track_id, "rule": "curator"})
    chosen = next(
        (c for c in candidates if isinstance(c, dict) and str(c.get("id")) == target_track_id),
        None,
    )
    for same in session.scalars(_same_question(pending, PENDING)):
        same.status = REVIEWED
    return record_decision(
        session,
        user_id,
        pending.source_track_id,
        pending.target_provider,
        status=MATCHED if target_track_id else NOT_AVAILABLE,
        target_track_id=target_track_id,
        score=(chosen or {}).get("score") if chosen else None,
        tier=pending.tier,
        rule="review",
        parts=(chosen or {}).get("parts") or {},
        candidates=candidates,
        decided_by=decided_by,
        job_id=pending.job_id,
    )


def undo_decision(session: Session, user_id: int, decision_id: int) -> MatchDecision:
    """Undo a decision (its row stays, with ``undone_at``). Undoing a curator's
    review reopens the review it resolved. Returns the undone decision."""
    decision = get_decision(session, user_id, decision_id)
    if decision.undone_at is not None:
        raise ConflictError(f"match decision {decision_id} is already undone")
    decision.undone_at = utcnow()
    if decision.decided_by != AUTO and decision.rule == "review":
        still_decided = curator_rule_for(
            session, user_id, decision.source_track_id, decision.target_provider
        )
        if still_decided is None or still_decided.id == decision.id:
            for reviewed in session.scalars(_same_question(decision, REVIEWED)):
                reviewed.status = PENDING
    session.flush()
    return decision
