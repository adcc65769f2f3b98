"""The Parquet "lake": the store's tables as Parquet files analysts query with DuckDB.

Layout under the lake folder (``write_lake``)::

    tracks.parquet              one row per recording (artists as a list)
    track_provider_ids.parquet  track_id, provider, provider_track_id
    playlists.parquet           id, user_id, source, provider, kind, name ...
    snapshots.parquet           id, playlist_id, status, taken_at, item_count, pinned
    snapshot_items/playlist_id=<id>/*.parquet   partitioned by playlist
    effective_items.parquet     what each playlist shows now (the effective view)
    decisions.parquet           match decisions (history included)

>>> con = open_lake("demo-output/lake")                         # doctest: +SKIP
>>> con.sql("SELECT count(*) FROM effective_items").fetchone()  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
from sqlalchemy import Engine, text

from engine.errors import NotFoundError

_USER = "(:user_id IS NULL OR p.user_id = :user_id)"

TABLE_QUERIES: dict[str, str] = {
    "playlists": f"""SELECT p.id, p.user_id, p.account_id, p.source, p.provider,
        p.provider_playlist_id, p.kind, p.name, p.description, p.file_path
        FROM playlists p WHERE {_USER}""",
    "snapshots": f"""SELECT s.id, s.playlist_id, s.status, s.taken_at, s.completed_at,
        s.item_count, s.pinned FROM snapshots s JOIN playlists p ON p.id = s.playlist_id
        WHERE {_USER}""",
    "snapshot_items": f"""SELECT si.snapshot_id, s.playlist_id, si.position, si.track_id,
        si.provider_item_id, si.added_at FROM snapshot_items si
        JOIN snapshots s ON s.id = si.snapshot_id JOIN playlists p ON p.id = s.playlist_id
        WHERE {_USER}""",
    "effective_items": f"""SELECT v.playlist_id, v.position, v.track_id, v.snapshot_id,
        v.override_action FROM v_playlist_item_effective v
        JOIN playlists p ON p.id = v.playlist_id WHERE {_USER}""",
    "tracks": """SELECT t.id, t.title, t.artists, t.album, t.duration_ms, t.isrc, t.explicit,
        t.release_date FROM tracks t""",
    "track_provider_ids": """SELECT tp.track_id, tp.provider, tp.provider_track_id
        FROM track_provider_ids tp""",
    "decisions": """SELECT d.id, d.user_id, d.source_track_id, d.target_provider,
        d.target_track_id, d.status, d.score, d.tier, d.rule, d.decided_by, d.decided_at,
        d.job_id, d.undone_at FROM match_decisions d
        WHERE (:user_id IS NULL OR d.user_id = :user_id)""",
}

PARTITIONED = {"snapshot_items": "playlist_id"}
"""Tables written as hive-partitioned folders, and their partition column."""


def _read(engine: Engine, sql: str, user_id: int | None) -> pl.DataFrame:
    import json

    with engine.connect() as conn:
        result = conn.execute(text(sql), {"user_id": user_id})
        names = list(result.keys())
        rows = [dict(zip(names, row, strict=True)) for row in result]
    if "artists" in names:  # JSON text on SQLite, a list on Postgres
        for row in rows:
            value = row["artists"]
            row["artists"] = json.loads(value) if isinstance(value, str) else list(value or [])
    if not rows:
        return pl.DataFrame({name: [] for name in names})
    return pl.DataFrame(rows, infer_schema_length=None)


def write_lake(engine: Engine, out: str | Path, *, user_id: int | None = None) -> dict[str, int]:
    """Write (replace) the lake at ``out``; returns rows per table. With
    ``user_id`` only that user's playlists, snapshots and decisions."""
    out = Path(out)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    counts: dict[str, int] = {}
    for name, sql in TABLE_QUERIES.items():
        frame = _read(engine, sql, user_id)
        counts[name] = frame.height
        if name in PARTITIONED and frame.height:
            frame.write_parquet(staging / name, partition_by=PARTITIONED[name])
        elif name in PARTITIONED:
            (staging / name).mkdir()
        else:
            frame.write_parquet(staging / f"{name}.parquet")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return counts


def open_lake(path: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per lake table."""
    path = Path(path)
    if not (path / "tracks.parquet").exists():
        raise NotFoundError(f"{path} is not a Crossfade lake (no tracks.parquet)")
    con = duckdb.connect()
    for name in TABLE_QUERIES:
        if name in PARTITIONED:
            files = list((path / name).glob("**/*.parquet"))
            if not files:
                continue
            source = f"read_parquet('{path / name}/**/*.parquet', hive_partitioning = true)"
        else:
            source = f"read_parquet('{path / name}.parquet')"
        con.sql(f"CREATE VIEW {name} AS SELECT * FROM {source}")
    return con


def lake_summary(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the lake's views (handy in notebooks and the demo)."""
    query = "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
    views = [row[0] for row in con.sql(query).fetchall()]
    return {v: int(con.sql(f"SELECT count(*) FROM {v}").fetchall()[0][0]) for v in views}
