"""The view v_playlist_item_effective on SQLite and Postgres: fallback and overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from engine.frame import TRACK_SCHEMA, tracks_frame
from engine.store import repo
from engine.store.db import session_scope
from engine.store.sqlfiles import SQL_DIR, read_sql

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _tracks(session: sa.orm.Session, *titles: str) -> list[int]:
    frame = tracks_frame(
        [{"title": t, "artists": ["A"], "provider": "spotify", "provider_id": t} for t in titles]
    )
    return repo.upsert_tracks(session, frame)


def _snapshot(
    session: sa.orm.Session, playlist_id: int, track_ids: list[int], status: str, minutes: int
) -> int:
    snap = repo.begin_snapshot(session, playlist_id, taken_at=T0 + timedelta(minutes=minutes))
    repo.add_snapshot_items(session, snap.id, track_ids)
    if status == "complete":
        repo.complete_snapshot(session, snap.id)
    elif status == "failed":
        repo.fail_snapshot(session, snap.id, "provider went away")
    return snap.id


def _titles(engine: sa.Engine, playlist_id: int) -> list[str]:
    return repo.effective_items(engine, playlist_id)["title"].to_list()


def test_latest_complete_snapshot_with_fallback(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        user = repo.local_user(session)
        playlist = repo.create_playlist(
            session,
            user.id,
            "Road trip",
            source="provider",
            provider="spotify",
            provider_playlist_id="p1",
        )
        a, b, c, d = _tracks(session, "a", "b", "c", "d")
        pid = playlist.id
    assert repo.effective_items(db_engine, pid).is_empty()

    with session_scope(db_engine) as session:
        first = _snapshot(session, pid, [a, b], "complete", 0)
    assert _titles(db_engine, pid) == ["a", "b"]

    # a newer capture in progress: readers keep the previous complete one
    with session_scope(db_engine) as session:
        running = repo.begin_snapshot(session, pid, taken_at=T0 + timedelta(minutes=5))
        repo.add_snapshot_items(session, running.id, [c])
        running_id = running.id
    assert _titles(db_engine, pid) == ["a", "b"]

    # it fails: still the previous one
    with session_scope(db_engine) as session:
        repo.fail_snapshot(session, running_id, "timeout")
    assert _titles(db_engine, pid) == ["a", "b"]

    # a newer complete snapshot wins, even when an older-taken one completes later
    with session_scope(db_engine) as session:
        second = _snapshot(session, pid, [c, d, a], "complete", 10)
        _snapshot(session, pid, [b], "complete", 7)
    frame = repo.effective_items(db_engine, pid)
    assert frame["title"].to_list() == ["c", "d", "a"]
    assert frame["position"].to_list() == [0, 1, 2]
    assert set(frame["snapshot_id"].to_list()) == {second}
    assert frame["provider"].to_list() == ["spotify"] * 3
    assert frame["provider_id"].to_list() == ["c", "d", "a"]
    assert repo.count_effective_items(db_engine, pid) == 3
    assert repo.snapshot_frame(db_engine, first)["title"].to_list() == ["a", "b"]
    assert repo.snapshot_frame(db_engine, running_id)["title"].to_list() == ["c"]


def test_overrides_hide_and_replace(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        user = repo.local_user(session)
        pid = repo.create_playlist(session, user.id, "Focus").id
        a, b, c, x = _tracks(session, "a", "b", "c", "x")
        _snapshot(session, pid, [a, b, c], "complete", 0)
        repo.set_override(session, user.id, pid, b, "hide")
        repo.set_override(session, user.id, pid, c, "replace", replacement_track_id=x)
    frame = repo.effective_items(db_engine, pid)
    assert frame["title"].to_list() == ["a", "x"]
    assert frame["position"].to_list() == [0, 2]
    assert frame["override"].to_list() == [None, "replace"]
    assert frame["track_id"].to_list() == [a, x]
    # paging
    assert repo.effective_items(db_engine, pid, offset=1, limit=5)["title"].to_list() == ["x"]
    with session_scope(db_engine) as session:
        assert repo.clear_override(session, user.id, pid, b) is True
        assert repo.clear_override(session, user.id, pid, b) is False
        assert repo.playlist_item_counts(session, [pid, 999]) == {pid: 3, 999: 0}
    assert _titles(db_engine, pid) == ["a", "b", "x"]


def test_view_file_ships_with_package_and_top_level_sql_is_the_same_dir() -> None:
    top = Path(__file__).resolve().parents[2] / "sql"
    assert top.resolve() == SQL_DIR.resolve()
    assert "CREATE VIEW v_playlist_item_effective" in read_sql(
        "views/v_playlist_item_effective.sql"
    )


def test_frame_has_canonical_schema(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        user = repo.local_user(session)
        pid = repo.create_playlist(session, user.id, "Empty").id
    frame = repo.effective_items(db_engine, pid)
    for column, dtype in TRACK_SCHEMA.items():
        assert frame.schema[column] == dtype
