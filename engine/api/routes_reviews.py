"""Match decisions: the review queue, deciding, undoing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from engine.api.deps import Caller, get_caller, get_session, require_flag
from engine.api.problems import problem_responses
from engine.api.schemas import Decision, DecisionRequest, Limit, Offset, Page, Review
from engine.store import repo

router = APIRouter(tags=["reviews"], dependencies=[Depends(require_flag("feature.review"))])

DecisionId = Annotated[int, Path(ge=1, le=2**53)]


@router.get("/reviews", response_model=Page[Review], responses=problem_responses(401, 422, 503))
def pending_reviews(
    offset: Offset = 0,
    limit: Limit = 50,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Page[Review]:
    """Matches waiting for the caller's decision, oldest first."""
    rows = repo.pending_reviews(session, caller.user_id, offset, limit)
    total = repo.count_pending_reviews(session, caller.user_id)
    items = [Review.model_validate(row) for row in rows]
    return Page[Review](items=items, total=total, offset=offset, limit=limit)


@router.post(
    "/reviews/{decision_id}/decision",
    response_model=Decision,
    status_code=201,
    responses=problem_responses(401, 404, 409, 422, 503),
)
def decide(
    decision_id: DecisionId,
    body: DecisionRequest,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Decision:
    """Choose a candidate (``target_track_id``) or null for "not available";
    the decision becomes a rule for later runs."""
    decision = repo.decide(
        session, caller.user_id, decision_id, target_track_id=body.target_track_id
    )
    return Decision.model_validate(decision)


@router.post(
    "/decisions/{decision_id}/undo",
    response_model=Decision,
    responses=problem_responses(401, 404, 409, 422, 503),
)
def undo(
    decision_id: DecisionId,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Decision:
    """Undo a decision; undoing a review's decision puts it back in the queue."""
    return Decision.model_validate(repo.undo_decision(session, caller.user_id, decision_id))
