"""The Library page's tables and chart frames, all scoped to one user.

Tables come from the store's paged readers; charts are small Polars frames
computed in SQL aggregates, never from every item loaded into the app.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.runtime import Runtime
from engine.store import repo
from engine.store.models import MatchDecision, Playlist, Snapshot

PLAYLIST_COLUMNS: dict[str, Any] = {
    "id": pl.Int64,
    "name": pl.Utf8,
    "source": pl.Utf8,
    "provider": pl.Utf8,
    "kind": pl.Utf8,
    "items": pl.Int64,
    "snapshots": pl.Int64,
    "last_capture": pl.Datetime(time_zone="UTC"),
    "description": pl.Utf8,
}


def playlists_table(
    runtime: Runtime,
    user_id: int,
    *,
    search: str = "",
    source: str | None = None,
    provider: str | None = None,
) -> pl.DataFrame:
    """The user's playlists with item and snapshot counts, filtered by a name
    search (case-insensitive), a source (provider/file) and a provider."""
    query = select(Playlist).where(Playlist.user_id == user_id).order_by(Playlist.id)
    if search.strip():
        query = query.where(func.lower(Playlist.name).contains(search.strip().lower()))
    if source:
        query = query.where(Playlist.source == source)
    if provider:
        query = query.where(Playlist.provider == provider)
    with Session(runtime.engine) as session:
        playlists = list(session.scalars(query))
        ids = [p.id for p in playlists]
        counts = repo.playlist_item_counts(session, ids)
        snapshot_rows = (
            session.execute(
                select(Snapshot.playlist_id, func.count(), func.max(Snapshot.taken_at))
                .where(Snapshot.playlist_id.in_(ids))
                .group_by(Snapshot.playlist_id)
            ).all()
            if ids
            else []
        )
    stats = {pid: (n, last) for pid, n, last in snapshot_rows}
    return pl.DataFrame(
        [
            {
                "id": p.id,
                "name": p.name,
                "source": p.source,
                "provider": p.provider,
                "kind": p.kind,
                "items": counts.get(p.id, 0),
                "snapshots": stats.get(p.id, (0, None))[0],
                "last_capture": _utc(stats.get(p.id, (0, None))[1]),
                "description": p.description,
            }
            for p in playlists
        ],
        schema=PLAYLIST_COLUMNS,
    )


def _utc(value: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, str):  # SQLite aggregate of a datetime column
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def snapshots_table(runtime: Runtime, user_id: int, playlist_id: int) -> pl.DataFrame:
    """The snapshots of one of the user's playlists, newest first."""
    with Session(runtime.engine) as session:
        repo.get_playlist(session, playlist_id, user_id=user_id)
        snapshots = repo.list_snapshots(session, playlist_id)
        return pl.DataFrame(
            [
                {
                    "id": s.id,
                    "status": s.status,
                    "taken_at": _utc(s.taken_at),
                    "items": s.item_count,
                    "pinned": s.pinned,
                    "error": s.error,
                }
                for s in snapshots
            ],
            schema={
                "id": pl.Int64,
                "status": pl.Utf8,
                "taken_at": pl.Datetime(time_zone="UTC"),
                "items": pl.Int64,
                "pinned": pl.Boolean,
                "error": pl.Utf8,
            },
        )


def playlist_tracks(
    runtime: Runtime, user_id: int, playlist_id: int, *, offset: int = 0, limit: int = 100
) -> tuple[pl.DataFrame, int]:
    """One page of a playlist as the product shows it, and the total count."""
    with Session(runtime.engine) as session:
        repo.get_playlist(session, playlist_id, user_id=user_id)
    frame = repo.effective_items(runtime.engine, playlist_id, offset=offset, limit=limit)
    total = repo.count_effective_items(runtime.engine, playlist_id)
    shown = frame.select(
        "position",
        "title",
        pl.col("artists").list.join(", ").alias("artists"),
        "album",
        (pl.col("duration_ms") // 1000).alias("seconds"),
        "isrc",
        "release_date",
        "override",
    )
    return shown, total


def library_size_over_time(runtime: Runtime, user_id: int) -> pl.DataFrame:
    """``day``, ``tracks``: the sum over playlists of the newest complete
    snapshot's item count as of the end of each day on which one was taken."""
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(Snapshot.playlist_id, Snapshot.taken_at, Snapshot.item_count)
            .join(Playlist, Playlist.id == Snapshot.playlist_id)
            .where(Playlist.user_id == user_id, Snapshot.status == "complete")
            .order_by(Snapshot.taken_at)
        ).all()
    schema = {"day": pl.Date, "tracks": pl.Int64}
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(
        [{"playlist_id": r[0], "taken_at": _utc(r[1]), "items": r[2]} for r in rows]
    ).with_columns(pl.col("taken_at").dt.date().alias("day"))
    latest = frame.group_by("playlist_id", "day").agg(pl.col("items").last())
    days = latest.select("day").unique().sort("day")
    playlists = latest.select("playlist_id").unique()
    grid = days.join(playlists, how="cross").sort("playlist_id", "day")
    filled = (
        grid.join(latest, on=["playlist_id", "day"], how="left")
        .with_columns(pl.col("items").forward_fill().over("playlist_id"))
        .fill_null(0)
    )
    return filled.group_by("day").agg(pl.col("items").sum().alias("tracks")).sort("day")


_USER_TRACKS = """
SELECT DISTINCT v.track_id FROM v_playlist_item_effective AS v
JOIN playlists AS p ON p.id = v.playlist_id WHERE p.user_id = :user_id
"""


def provider_overlap(runtime: Runtime, user_id: int) -> pl.DataFrame:
    """``providers`` (e.g. "deezer + spotify"), ``tracks``: how many of the user's
    tracks are known on exactly that set of providers (ids seen, or matched)."""
    sql = text(
        f"""
        WITH mine AS ({_USER_TRACKS}),
        known AS (
            SELECT tp.track_id, tp.provider FROM track_provider_ids AS tp
            JOIN mine ON mine.track_id = tp.track_id
            UNION
            SELECT d.source_track_id, d.target_provider FROM match_decisions AS d
            JOIN mine ON mine.track_id = d.source_track_id
            WHERE d.user_id = :user_id AND d.status = 'matched' AND d.undone_at IS NULL
        )
        SELECT mine.track_id, known.provider FROM mine
        LEFT JOIN known ON known.track_id = mine.track_id
        """
    )
    with runtime.engine.connect() as conn:
        rows = conn.execute(sql, {"user_id": user_id}).all()
    schema = {"providers": pl.Utf8, "tracks": pl.Int64}
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(
        [{"track_id": r[0], "provider": r[1]} for r in rows],
        schema={"track_id": pl.Int64, "provider": pl.Utf8},
    )
    return (
        frame.group_by("track_id")
        .agg(pl.col("provider").drop_nulls().unique().sort())
        .with_columns(
            pl.when(pl.col("provider").list.len() == 0)
            .then(pl.lit("files only"))
            .otherwise(pl.col("provider").list.join(" + "))
            .alias("providers")
        )
        .group_by("providers")
        .agg(pl.len().cast(pl.Int64).alias("tracks"))
        .sort("tracks", descending=True)
    )


def tracks_by_decade(runtime: Runtime, user_id: int) -> pl.DataFrame:
    """``decade`` ("1990s", or "unknown"), ``tracks`` among the user's tracks."""
    sql = text(
        f"SELECT t.release_date FROM tracks AS t JOIN ({_USER_TRACKS}) AS mine "
        "ON mine.track_id = t.id"
    )
    with runtime.engine.connect() as conn:
        dates = [r[0] for r in conn.execute(sql, {"user_id": user_id})]
    frame = pl.DataFrame({"release_date": dates}, schema={"release_date": pl.Utf8})
    year = pl.col("release_date").str.slice(0, 4).cast(pl.Int32, strict=False)
    return (
        frame.with_columns(
            pl.when(year.is_null())
            .then(pl.lit("unknown"))
            .otherwise(((year // 10) * 10).cast(pl.Utf8) + "s")
            .alias("decade")
        )
        .group_by("decade")
        .agg(pl.len().cast(pl.Int64).alias("tracks"))
        .sort("decade")
    )


def match_tiers(runtime: Runtime, user_id: int) -> pl.DataFrame:
    """``provider``, ``outcome`` (auto match, curator match, pending review, not
    available), ``decisions``: the user's decisions in force."""
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(
                MatchDecision.target_provider,
                MatchDecision.status,
                MatchDecision.decided_by,
                func.count(),
            )
            .where(
                MatchDecision.user_id == user_id,
                MatchDecision.undone_at.is_(None),
                MatchDecision.status != "reviewed",
            )
            .group_by(MatchDecision.target_provider, MatchDecision.status, MatchDecision.decided_by)
        ).all()
    labels = {"pending": "pending review", "not_available": "not available"}
    records = [
        {
            "provider": provider,
            "outcome": f"{by} match" if status == "matched" else labels.get(status, status),
            "decisions": int(n),
        }
        for provider, status, by, n in rows
    ]
    schema = {"provider": pl.Utf8, "outcome": pl.Utf8, "decisions": pl.Int64}
    frame = pl.DataFrame(records, schema=schema)
    return (
        frame.group_by("provider", "outcome")
        .agg(pl.col("decisions").sum())
        .sort("provider", "outcome")
    )
