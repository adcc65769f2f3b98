"""Match decisions: review queue, curator rules, undo, and per-user isolation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.errors import ConflictError, NotFoundError, UsageError
from engine.frame import tracks_frame
from engine.store import repo
from engine.store.db import session_scope


def test_review_decide_undo(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        user = repo.local_user(session)
        other = repo.ensure_user(session, "oidc|other")
        (track,) = repo.upsert_tracks(session, tracks_frame([{"title": "Song"}]))
        auto = repo.record_decision(
            session,
            user.id,
            track,
            "deezer",
            status="matched",
            target_track_id="d1",
            score=0.97,
            tier="auto",
        )
        pending = repo.record_decision(
            session,
            user.id,
            track,
            "tidal",
            status="pending",
            score=0.7,
            tier="review",
            candidates=[{"id": "t1", "score": 0.7, "parts": {"title": 1.0}}, {"id": "t2"}],
        )
        repo.record_decision(session, other.id, track, "tidal", status="pending")
        ids = (user.id, other.id, track, auto.id, pending.id)
    user_id, other_id, track, _auto_id, pending_id = ids

    with session_scope(db_engine) as session:
        assert [d.id for d in repo.pending_reviews(session, user_id)] == [pending_id]
        assert repo.count_pending_reviews(session, user_id) == 1
        assert repo.curator_rule_for(session, user_id, track, "tidal") is None
        with pytest.raises(NotFoundError):
            repo.decide(session, other_id, pending_id, target_track_id="t1")
        chosen = repo.decide(session, user_id, pending_id, target_track_id="t1")
        assert (chosen.status, chosen.decided_by, chosen.score) == ("matched", "curator", 0.7)
        assert chosen.parts == {"title": 1.0}
        chosen_id = chosen.id

    with session_scope(db_engine) as session:
        assert repo.pending_reviews(session, user_id) == []
        rule = repo.curator_rule_for(session, user_id, track, "tidal")
        assert rule is not None and rule.target_track_id == "t1"
        assert repo.curator_rule_for(session, other_id, track, "tidal") is None
        with pytest.raises(ConflictError):
            repo.decide(session, user_id, pending_id, target_track_id=None)
        repo.undo_decision(session, user_id, chosen_id)
        with pytest.raises(ConflictError):
            repo.undo_decision(session, user_id, chosen_id)

    with session_scope(db_engine) as session:
        assert repo.curator_rule_for(session, user_id, track, "tidal") is None
        assert [d.id for d in repo.pending_reviews(session, user_id)] == [pending_id]
        not_available = repo.decide(session, user_id, pending_id, target_track_id=None)
        assert not_available.status == "not_available"
        history = repo.decisions_for_track(session, user_id, track)
        assert len(history) == 4  # auto, reviewed, undone curator, curator
        assert len(repo.decisions_for_track(session, user_id, track, "deezer")) == 1


def test_bad_decisions_are_refused(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        user = repo.local_user(session)
        with pytest.raises(UsageError):
            repo.record_decision(session, user.id, 1, "deezer", status="matched")
        with pytest.raises(UsageError):
            repo.record_decision(session, user.id, 1, "deezer", status="maybe")
        with pytest.raises(NotFoundError):
            repo.record_decision(session, user.id, 12345, "deezer", status="not_available")
