"""A migration that asks the curator ("Ask me", review policy ``wait``) finishes
only when its questions are answered.

After adding the sure tracks, ``migrate`` applies the answers already given
(:func:`apply_answers`: a curator's "this one" becomes a matched row at its
source position, "not available" a not-available row) and, while questions
remain, ends its run in the state ``waiting`` with the phase and summary
"waiting for review" (:class:`~engine.jobs.runner.WaitForReview`). Every
decision or undo on one of its tracks wakes it (:func:`wake_waiting`): the job
runs again, adds the newly accepted tracks at their source positions in the
same target playlist, and waits again or, with the queue for it empty, succeeds.
Decisions that arrive while it runs are caught by the runner's re-check
(:func:`answers_changed`) after the job has gone back to waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from engine.jobs.runner import dispatch
from engine.store.decisions import CURATOR, MATCHED, NOT_AVAILABLE
from engine.store.models import Job, MatchDecision

if TYPE_CHECKING:
    from engine.runtime import Runtime

WAITING_FOR_REVIEW = "waiting for review"
"""The phase (and summary prefix) of a migration waiting for the curator."""

NOT_AVAILABLE_ANSWER = "not available"


def curator_answers(
    runtime: Runtime, user_id: int | None, provider: str, track_ids: list[int]
) -> dict[int, str]:
    """Source track id -> the curator's standing answer on ``provider``: a
    target track id, or ``"not available"`` (newest decision wins)."""
    if user_id is None or not track_ids:
        return {}
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(
                MatchDecision.source_track_id, MatchDecision.status, MatchDecision.target_track_id
            )
            .where(
                MatchDecision.user_id == user_id,
                MatchDecision.target_provider == provider,
                MatchDecision.decided_by == CURATOR,
                MatchDecision.undone_at.is_(None),
                MatchDecision.source_track_id.in_(sorted(set(track_ids))),
            )
            .order_by(MatchDecision.decided_at, MatchDecision.id)
        ).all()
    answers: dict[int, str] = {}
    for track_id, status, target in rows:
        if status == MATCHED and target:
            answers[int(track_id)] = str(target)
        elif status == NOT_AVAILABLE:
            answers[int(track_id)] = NOT_AVAILABLE_ANSWER
    return answers


def asked(plan: list[dict[str, Any]]) -> list[int]:
    """Source track ids of the plan rows that were left for the curator."""
    return [int(row["track_id"]) for row in plan if row.get("asked") or row["status"] == "pending"]


def apply_answers(plan: list[dict[str, Any]], answers: dict[int, str]) -> list[dict[str, Any]]:
    """The plan with the curator's answers in place of its pending rows (rows
    the curator answered and later undid are pending again). A target track
    already added at an earlier position counts as a duplicate, as in the plan."""
    resolved = []
    for row in plan:
        row = dict(row)
        if row.get("asked") or row["status"] == "pending":
            row["asked"] = True
            answer = answers.get(int(row["track_id"]))
            if answer is None:
                row["status"], row["target_id"], row["rule"] = "pending", None, row.get("rule")
            elif answer == NOT_AVAILABLE_ANSWER:
                row["status"], row["target_id"], row["rule"] = "not_available", None, "review"
            else:
                row["status"], row["target_id"], row["rule"] = "matched", answer, "review"
        resolved.append(row)
    seen: set[str] = set()
    for row in resolved:
        if row["target_id"] in seen:
            row["status"], row["target_id"] = "duplicate", None
        elif row["target_id"]:
            seen.add(row["target_id"])
    return resolved


def answers_changed(runtime: Runtime, job_id: str) -> bool:
    """True when the curator's answers for a waiting job differ from the ones
    its last run applied (a decision landed while it was running)."""
    with runtime.engine.connect() as conn:
        row = conn.execute(select(Job.user_id, Job.checkpoint).where(Job.id == job_id)).first()
    if row is None:
        return False
    waiting = (row.checkpoint or {}).get("review") or {}
    tracks = [int(t) for t in waiting.get("asked") or []]
    now = curator_answers(runtime, row.user_id, str(waiting.get("provider")), tracks)
    applied = {int(k): str(v) for k, v in (waiting.get("answers") or {}).items()}
    return now != applied


def wake_waiting(runtime: Runtime, user_id: int, source_track_id: int, provider: str) -> list[str]:
    """Queue again every migration of the user waiting for an answer about this
    source track on this provider; returns their ids."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Job.id, Job.checkpoint).where(
                Job.user_id == user_id,
                Job.state == "waiting",
                Job.resume_after.is_(None),
            )
        ).all()
    woken = []
    for job_id, checkpoint in rows:
        waiting = (checkpoint or {}).get("review") or {}
        if waiting.get("provider") != provider:
            continue
        if source_track_id not in {int(t) for t in waiting.get("asked") or []}:
            continue
        if requeue(runtime, job_id):
            woken.append(job_id)
    return woken


def requeue(runtime: Runtime, job_id: str) -> bool:
    """Move a job waiting for review to ``queued`` and dispatch it (False when
    something else moved it first)."""
    with runtime.engine.begin() as conn:
        moved = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "waiting", Job.resume_after.is_(None))
            .values(state="queued")
        )
    if moved.rowcount != 1:
        return False
    dispatch(runtime, job_id)
    return True
