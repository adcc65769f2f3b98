"""snapshot_gc: retention rules (pure) and the job on SQLite and Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from jobs_helpers import ensure_user, make_runtime
from sqlalchemy import select, update

from engine.frame import tracks_frame
from engine.jobs import job_row, run_job, submit
from engine.jobs.gc import SnapshotInfo, choose_deletable
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import Job, Snapshot

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def snap(i: int, days_ago: float, status: str = "complete", **kw: object) -> SnapshotInfo:
    return SnapshotInfo(
        id=i,
        playlist_id=int(kw.get("playlist_id", 1)),  # type: ignore[call-overload]
        status=status,
        taken_at=NOW - timedelta(days=days_ago),
        pinned=bool(kw.get("pinned", False)),
        job_id=kw.get("job_id"),  # type: ignore[arg-type]
    )


def test_keep_last_n_and_one_a_day() -> None:
    snaps = [snap(i, days_ago=i * 0.5) for i in range(1, 21)]  # two a day for 10 days
    doomed = choose_deletable(snaps, now=NOW, keep_last=3, keep_daily_days=5)
    kept = {s.id for s in snaps} - set(doomed)
    assert {1, 2, 3} <= kept
    kept_days = {(NOW - s.taken_at).days for s in snaps if s.id in kept}
    assert {0, 1, 2, 3, 4} <= kept_days
    assert all(s.id in doomed for s in snaps if (NOW - s.taken_at) > timedelta(days=5, hours=1))


def test_never_deletes_view_pins_in_progress_or_running_jobs() -> None:
    snaps = [
        snap(1, 0.1, "failed"),
        snap(2, 0.2, "in_progress"),
        snap(3, 50),  # current complete snapshot
        snap(4, 60),  # its fallback
        snap(5, 70, pinned=True),
        snap(6, 80, job_id="running-job"),
        snap(7, 90),
        snap(8, 95),
    ]
    doomed = choose_deletable(
        snaps,
        now=NOW,
        keep_last=0,
        keep_daily_days=0,
        protected_ids=frozenset({7}),
        active_jobs=frozenset({"running-job"}),
    )
    assert doomed == [1, 8]


def _make_snapshots(runtime, user: int, count: int) -> int:  # type: ignore[no-untyped-def]
    with session_scope(runtime.engine) as session:
        playlist = repo.create_playlist(session, user, "Road trip")
        ids = repo.upsert_tracks(session, tracks_frame([{"title": "A", "artists": ["X"]}]))
        for i in range(count):
            snapshot = repo.begin_snapshot(
                session, playlist.id, taken_at=NOW - timedelta(days=100 - i)
            )
            repo.add_snapshot_items(session, snapshot.id, ids)
            repo.complete_snapshot(session, snapshot.id)
        return playlist.id


def test_gc_job_deletes_old_snapshots_and_keeps_the_view(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    playlist_id = _make_snapshots(runtime, user, 12)
    before = repo.effective_items(runtime.engine, playlist_id)
    dry = submit(
        runtime, "snapshot_gc", {"keep_last": 4, "dry_run": True}, user_id=user, start=False
    )
    assert run_job(runtime, dry) == "succeeded"
    assert len(job_row(runtime, dry)["result"]["would_delete"]) == 8
    with session_scope(runtime.engine) as session:
        oldest = session.scalars(select(Snapshot.id).order_by(Snapshot.taken_at)).first()
        session.execute(update(Snapshot).where(Snapshot.id == oldest).values(pinned=True))
    real = submit(runtime, "snapshot_gc", {"keep_last": 4}, user_id=user, start=False)
    assert run_job(runtime, real) == "succeeded"
    assert len(job_row(runtime, real)["result"]["deleted"]) == 7
    with session_scope(runtime.engine) as session:
        left = session.scalars(select(Snapshot.id)).all()
        assert len(left) == 5 and oldest in left
        assert session.query(Job).count() == 2
    after = repo.effective_items(runtime.engine, playlist_id)
    assert pl.Series(before["title"]).to_list() == after["title"].to_list()
    runtime.close()


def test_bad_retention_is_a_usage_error() -> None:
    from engine.errors import UsageError

    with pytest.raises(UsageError):
        choose_deletable([], now=NOW, keep_last=-1)


def test_gc_uses_the_owners_saved_retention_unless_told(db_url: str, tmp_path: Path) -> None:
    from engine.store.preferences import save_retention

    runtime = make_runtime(db_url, tmp_path)
    frugal = ensure_user(runtime, "frugal")
    default = ensure_user(runtime, "default")
    _make_snapshots(runtime, frugal, 12)
    _make_snapshots(runtime, default, 12)
    save_retention(runtime.engine, frugal, keep_last=2, keep_daily_days=0)

    def gc(user: int, params: dict[str, object]) -> dict[str, object]:
        job = submit(runtime, "snapshot_gc", {**params, "dry_run": True}, user_id=user, start=False)
        assert run_job(runtime, job) == "succeeded"
        return job_row(runtime, job)["result"]

    frugal_default = gc(frugal, {"keep_last": None, "keep_daily_days": None})  # as the CLI sends
    assert (frugal_default["keep_last"], frugal_default["keep_daily_days"]) == (2, 0)
    assert len(frugal_default["would_delete"]) == 10  # type: ignore[arg-type]
    plain_default = gc(default, {})
    assert (plain_default["keep_last"], plain_default["keep_daily_days"]) == (10, 30)
    assert len(plain_default["would_delete"]) == 2  # type: ignore[arg-type]
    explicit = gc(frugal, {"keep_last": 5})  # an explicit parameter wins over the saved one
    assert (explicit["keep_last"], explicit["keep_daily_days"]) == (5, 0)
    assert len(explicit["would_delete"]) == 7  # type: ignore[arg-type]
    real = submit(runtime, "snapshot_gc", {}, user_id=frugal, start=False)
    assert run_job(runtime, real) == "succeeded"
    with session_scope(runtime.engine) as session:
        assert session.query(Snapshot).count() == 2 + 12
    runtime.close()
