"""Query-plan checks (``make explain``): every hot query in ``sql/explain/``
on a Postgres seeded with >= 1 million playlist items.

Creates its own temporary database, migrates it with the real migrations,
fills it with ``generate_series`` (users, tracks, playlists, snapshots in
every state, items, overrides, decisions, jobs), runs
``EXPLAIN (ANALYZE, FORMAT JSON)`` on each query and fails when a plan reads a
large table sequentially or runs over the budget its file declares
(``-- budget_ms: N``). Prints each query's time. The database is dropped at
the end.

    python scripts/explain.py [--items 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.store.db import make_engine, migrate
from engine.store.sqlfiles import sql_files

ADMIN_URL = os.environ.get(
    "CROSSFADE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LARGE_TABLE_ROWS = 10_000
"""A sequential scan of a table with more rows than this fails the check."""
RUNS = 3
"""Each query runs this many times; the fastest run is compared to its budget."""

USERS = 500
PLAYLISTS_PER_USER = 8
TRACKS = 200_000
DECISIONS = 300_000
JOBS = 100_000


def seed_statements(items: int) -> list[tuple[str, str]]:
    """(label, SQL) that fill the store; ``items`` playlist items in complete
    snapshots (plus smaller in-progress and failed captures)."""
    playlists = USERS * PLAYLISTS_PER_USER
    per_snapshot = max(1, items // (playlists * 2))
    return [
        (
            "users",
            f"""
            INSERT INTO users (external_id, display_name, created_at)
            SELECT 'bench|' || g, 'Bench user ' || g, now()
            FROM generate_series(1, {USERS}) AS g""",
        ),
        (
            "tracks",
            f"""
            INSERT INTO tracks (title, artists, album, duration_ms, isrc, explicit, created_at)
            SELECT 'Track ' || g, jsonb_build_array('Artist ' || (g % 5000)),
                   'Album ' || (g % 20000), 120000 + (g % 240000),
                   'QZBEN' || lpad(g::text, 7, '0'), (g % 11 = 0), now()
            FROM generate_series(1, {TRACKS}) AS g""",
        ),
        (
            "track_provider_ids",
            """
            INSERT INTO track_provider_ids (track_id, provider, provider_track_id)
            SELECT id, 'spotify', 'sp' || id FROM tracks""",
        ),
        (
            "playlists",
            f"""
            INSERT INTO playlists (user_id, source, provider, provider_playlist_id, kind,
                                   name, created_at)
            SELECT (g % {USERS}) + 1, 'provider', 'spotify', 'pl' || g, 'playlist',
                   'Playlist ' || g, now()
            FROM generate_series(1, {playlists}) AS g""",
        ),
        (
            "snapshots",
            """
            INSERT INTO snapshots (playlist_id, status, taken_at, completed_at, item_count,
                                   pinned, job_id)
            SELECT p.id, s.status, now() - s.age, now() - s.age, 0, false, NULL
            FROM playlists AS p
            CROSS JOIN (VALUES ('complete', interval '2 days'),
                               ('complete', interval '1 day'),
                               ('in_progress', interval '1 hour'),
                               ('failed', interval '2 hours')) AS s(status, age)""",
        ),
        (
            "snapshot_items (complete)",
            f"""
            INSERT INTO snapshot_items (snapshot_id, position, track_id)
            SELECT s.id, g, ((s.id * 7919 + g * 104729) % {TRACKS}) + 1
            FROM snapshots AS s
            CROSS JOIN generate_series(0, {per_snapshot - 1}) AS g
            WHERE s.status = 'complete'""",
        ),
        (
            "snapshot_items (in progress, failed)",
            f"""
            INSERT INTO snapshot_items (snapshot_id, position, track_id)
            SELECT s.id, g, ((s.id * 31 + g) % {TRACKS}) + 1
            FROM snapshots AS s
            CROSS JOIN generate_series(0, {max(1, per_snapshot // 5) - 1}) AS g
            WHERE s.status <> 'complete'""",
        ),
        (
            "item counts",
            """
            UPDATE snapshots AS s SET item_count = c.n
            FROM (SELECT snapshot_id, count(*) AS n FROM snapshot_items
                  GROUP BY snapshot_id) AS c
            WHERE c.snapshot_id = s.id""",
        ),
        (
            "item_overrides",
            f"""
            INSERT INTO item_overrides (playlist_id, track_id, action, replacement_track_id,
                                        user_id, created_at)
            SELECT DISTINCT ON (p.id) p.id, si.track_id,
                   CASE WHEN p.id % 2 = 0 THEN 'hide' ELSE 'replace' END,
                   CASE WHEN p.id % 2 = 0 THEN NULL ELSE (p.id % {TRACKS}) + 1 END,
                   p.user_id, now()
            FROM playlists AS p
            JOIN snapshots AS s ON s.playlist_id = p.id AND s.status = 'complete'
            JOIN snapshot_items AS si ON si.snapshot_id = s.id AND si.position = 3
            ORDER BY p.id, s.id DESC""",
        ),
        (
            "match_decisions",
            f"""
            INSERT INTO match_decisions (user_id, source_track_id, target_provider,
                target_track_id, status, score, tier, parts, candidates, decided_by,
                decided_at)
            SELECT (g % {USERS}) + 1, ((g * 7) % {TRACKS}) + 1,
                   CASE WHEN g % 3 = 0 THEN 'tidal' ELSE 'deezer' END,
                   CASE WHEN g % 20 < 17 THEN 'dz' || g END,
                   CASE WHEN g % 20 < 17 THEN 'matched'
                        WHEN g % 20 < 19 THEN 'not_available' ELSE 'pending' END,
                   0.5 + (g % 50) / 100.0, 'auto', '{{}}'::jsonb, '[]'::jsonb, 'auto',
                   now() - (g || ' seconds')::interval
            FROM generate_series(1, {DECISIONS}) AS g""",
        ),
        (
            "jobs",
            f"""
            INSERT INTO jobs (id, user_id, kind, state, params, idempotency_key, progress,
                              checkpoint, result, attempts, created_at)
            SELECT md5(g::text), (g % {USERS}) + 1, 'pull',
                   CASE WHEN g % 2000 = 0 THEN 'queued'
                        WHEN g % 2000 = 1 THEN 'running'
                        WHEN g % 50 = 0 THEN 'failed' ELSE 'succeeded' END,
                   jsonb_build_object('playlist_id', (g % {playlists}) + 1),
                   'u' || ((g % {USERS}) + 1) || ':pull:' || md5('k' || g),
                   '{{}}'::jsonb, '{{}}'::jsonb, '{{}}'::jsonb, 1,
                   now() - (g || ' seconds')::interval
            FROM generate_series(1, {JOBS}) AS g""",
        ),
        ("analyze", "ANALYZE"),
    ]


@dataclass
class Check:
    name: str
    sql: str
    budget_ms: float
    description: str


def load_checks() -> list[Check]:
    checks = []
    for path in sql_files("explain"):
        text = path.read_text(encoding="utf-8")
        budget = re.search(r"--\s*budget_ms:\s*([\d.]+)", text)
        if budget is None:
            raise SystemExit(f"{path}: missing '-- budget_ms: N' comment")
        first = text.splitlines()[0].lstrip("- ").strip()
        body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
        checks.append(Check(path.stem, body.strip(), float(budget.group(1)), first))
    return checks


def sample_params(conn: sa.Connection) -> dict[str, Any]:
    """Realistic values for the queries' parameters: a busy user, one of their
    playlists, a track with decisions..."""
    one = conn.execute
    user_id = one(
        sa.text(
            "SELECT user_id FROM match_decisions WHERE status = 'pending' "
            "GROUP BY user_id ORDER BY count(*) DESC LIMIT 1"
        )
    ).scalar_one()
    playlist_id = one(
        sa.text("SELECT id FROM playlists WHERE user_id = :u ORDER BY id LIMIT 1"), {"u": user_id}
    ).scalar_one()
    source_track_id = one(
        sa.text(
            "SELECT source_track_id FROM match_decisions WHERE user_id = :u "
            "AND target_provider = 'deezer' LIMIT 1"
        ),
        {"u": user_id},
    ).scalar_one()
    job = one(sa.text("SELECT id, idempotency_key FROM jobs ORDER BY id LIMIT 1")).one()
    return {
        "user_id": user_id,
        "playlist_id": playlist_id,
        "source_track_id": source_track_id,
        "isrc": "QZBEN0012345",
        "provider_track_id": "sp12345",
        "idempotency_key": job.idempotency_key,
        "job_id": job.id,
    }


def large_tables(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(
        sa.text(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        )
    )
    return {name: int(n) for name, n in rows if n > LARGE_TABLE_ROWS}


def seq_scans(plan: dict[str, Any]) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(str(plan.get("Relation Name")))
    for child in plan.get("Plans", []):
        found.extend(seq_scans(child))
    return found


def explain(
    conn: sa.Connection, check: Check, params: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    statement = sa.text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {check.sql}")
    wanted = {k: v for k, v in params.items() if f":{k}" in check.sql}
    best, plan = float("inf"), {}
    for _ in range(RUNS):
        raw = conn.execute(statement, wanted).scalar_one()
        document = (json.loads(raw) if isinstance(raw, str) else raw)[0]
        elapsed = float(document["Planning Time"]) + float(document["Execution Time"])
        if elapsed < best:
            best, plan = elapsed, document["Plan"]
    return best, plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--items",
        type=int,
        default=1_000_000,
        help="playlist items in complete snapshots (default 1,000,000)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)

    name = f"cf_explain_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, poolclass=sa.NullPool)
    failures: list[str] = []
    try:
        started = time.perf_counter()
        migrate(engine)
        with engine.begin() as conn:
            # Bulk load: the data is consistent by construction, so skip the
            # per-row foreign-key triggers (the slow part of a million inserts).
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
            for label, sql in seed_statements(args.items):
                step = time.perf_counter()
                result = conn.execute(sa.text(sql))
                count = f"{result.rowcount:>9,} rows" if result.rowcount >= 0 else " " * 14
                print(f"seed {label:<38} {count} {time.perf_counter() - step:6.1f}s")
        with engine.connect() as conn:
            total = conn.execute(sa.text("SELECT count(*) FROM snapshot_items")).scalar_one()
            print(f"seeded {total:,} playlist items in {time.perf_counter() - started:.1f}s")
            large = large_tables(conn)
            params = sample_params(conn)
            print(f"\n{'query':<30} {'ms':>8} {'budget':>7}  verdict")
            for check in load_checks():
                elapsed, plan = explain(conn, check, params)
                scans = sorted({t for t in seq_scans(plan) if t in large})
                problems = []
                if scans:
                    problems.append(f"sequential scan of {', '.join(scans)}")
                if elapsed > check.budget_ms:
                    problems.append(f"over budget ({elapsed:.1f} ms > {check.budget_ms:g} ms)")
                verdict = "ok" if not problems else "FAIL: " + "; ".join(problems)
                print(f"{check.name:<30} {elapsed:8.2f} {check.budget_ms:7g}  {verdict}")
                if problems:
                    failures.append(f"{check.name}: {'; '.join(problems)}")
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {name}")
        admin.dispose()
    if failures:
        print("\nquery-plan check failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("\nall query plans within budget, no sequential scans of large tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
