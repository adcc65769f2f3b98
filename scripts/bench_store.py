"""Store figures: bulk upsert of tracks, snapshot capture and effective-items
reads, on SQLite (a temporary file) and on Postgres when reachable.

    python scripts/bench_store.py [--tracks 50000] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.frame import tracks_frame
from engine.store import repo
from engine.store.db import make_engine, migrate, session_scope

PG_ADMIN_URL = os.environ.get(
    "CROSSFADE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def bench(engine: sa.Engine, n: int, label: str) -> None:
    frame = tracks_frame(
        {
            "title": f"Track {i}",
            "artists": [f"Artist {i % 997}"],
            "isrc": f"QZBEN{i:07d}",
            "duration_ms": 120_000 + i,
            "provider": "spotify",
            "provider_id": f"sp{i}",
        }
        for i in range(n)
    )
    timings: list[tuple[str, float]] = []

    def timed(name: str, start: float) -> None:
        timings.append((name, time.perf_counter() - start))

    start = time.perf_counter()
    with session_scope(engine) as session:
        ids = repo.upsert_tracks(session, frame)
    timed(f"upsert_tracks ({n:,} new)", start)
    start = time.perf_counter()
    with session_scope(engine) as session:
        again = repo.upsert_tracks(session, frame)
    timed(f"upsert_tracks ({n:,} known)", start)
    assert again == ids
    start = time.perf_counter()
    with session_scope(engine) as session:
        user = repo.local_user(session)
        playlist = repo.create_playlist(session, user.id, "Bench")
        snapshot = repo.begin_snapshot(session, playlist.id)
        for offset in range(0, n, 1000):
            repo.add_snapshot_items(session, snapshot.id, ids[offset : offset + 1000], offset)
        repo.complete_snapshot(session, snapshot.id)
        playlist_id = playlist.id
    timed(f"capture snapshot ({n:,} items)", start)
    start = time.perf_counter()
    frame_all = repo.effective_items(engine, playlist_id)
    timed(f"effective_items (all {frame_all.height:,})", start)
    start = time.perf_counter()
    for _ in range(20):
        repo.effective_items(engine, playlist_id, offset=n // 2, limit=100)
    timed("effective_items (page of 100) x20", start)
    for name, seconds in timings:
        print(f"{label:<9} {name:<36} {seconds * 1000:10.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        bench(engine, args.tracks, "sqlite")
        engine.dispose()
    admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"cf_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"postgres  skipped: {exc.orig}")
        return 0
    try:
        url = sa.make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate(engine)
        bench(engine, args.tracks, "postgres")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
