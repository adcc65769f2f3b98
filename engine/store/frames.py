"""Stored playlists as canonical Polars frames (``engine.frame.TRACK_SCHEMA``).

Besides the canonical columns, these frames carry ``track_id`` (the stored
track), ``snapshot_id`` and ``override`` (``replace`` when a curator swapped
the track, else null). ``provider``/``provider_id`` name the track on the
playlist's provider when known; every known provider id is in ``extras`` as
``<provider>_id``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from engine.frame import TRACK_SCHEMA, conform, empty_tracks
from engine.store._source import DbSource, connection_of
from engine.store.models import JSONType, Playlist, Snapshot
from engine.store.tracks import provider_ids_of

_TRACK_COLUMNS = "t.title, t.artists, t.album, t.duration_ms, t.isrc, t.explicit, t.release_date"

# The page is cut before tracks are joined: otherwise Postgres joins every item
# of a long playlist to tracks and sorts them all to return a hundred.
_EFFECTIVE_SQL = f"""
SELECT v.position, v.track_id, v.snapshot_id, v.override_action, {_TRACK_COLUMNS}
FROM (
    SELECT position, track_id, snapshot_id, override_action
    FROM v_playlist_item_effective
    WHERE playlist_id = :playlist_id
    ORDER BY position
    LIMIT :limit OFFSET :offset
) AS v
JOIN tracks AS t ON t.id = v.track_id
ORDER BY v.position
"""

_SNAPSHOT_SQL = f"""
SELECT si.position, si.track_id, si.snapshot_id, NULL AS override_action, {_TRACK_COLUMNS}
FROM (
    SELECT position, track_id, snapshot_id
    FROM snapshot_items
    WHERE snapshot_id = :snapshot_id
    ORDER BY position
    LIMIT :limit OFFSET :offset
) AS si
JOIN tracks AS t ON t.id = si.track_id
ORDER BY si.position
"""

_NO_LIMIT = 2**62

EXTRA_COLUMNS: dict[str, pl.DataType] = {
    "track_id": pl.Int64(),
    "snapshot_id": pl.Int64(),
    "override": pl.Utf8(),
}


def _empty() -> pl.DataFrame:
    return empty_tracks().with_columns(
        [pl.lit(None, dtype=dtype).alias(name) for name, dtype in EXTRA_COLUMNS.items()]
    )


def _frame(
    source: DbSource, sql: str, params: dict[str, Any], provider: str | None
) -> pl.DataFrame:
    statement = text(sql).columns(artists=JSONType)
    with connection_of(source) as connection:
        rows = connection.execute(statement, params).mappings().all()
        if not rows:
            return _empty()
        ids = provider_ids_of(connection, (row["track_id"] for row in rows))
    seen: dict[int, int] = {}
    records = []
    for row in rows:
        track_id = int(row["track_id"])
        seen[track_id] = seen.get(track_id, 0) + 1
        known = ids.get(track_id, {})
        records.append(
            {
                "id": str(track_id) if seen[track_id] == 1 else f"{track_id}#{seen[track_id]}",
                "title": row["title"],
                "artists": list(row["artists"] or []),
                "album": row["album"],
                "duration_ms": row["duration_ms"],
                "isrc": row["isrc"],
                "explicit": None if row["explicit"] is None else bool(row["explicit"]),
                "release_date": row["release_date"],
                "position": row["position"],
                "provider": provider if provider in known else None,
                "provider_id": known.get(provider) if provider else None,
                "extras": [{"key": f"{p}_id", "value": v} for p, v in sorted(known.items())],
                "track_id": track_id,
                "snapshot_id": row["snapshot_id"],
                "override": row["override_action"],
            }
        )
    schema = {**TRACK_SCHEMA, **EXTRA_COLUMNS}
    return conform(pl.DataFrame(records, schema=schema, orient="row"))


def _playlist_provider(source: DbSource, playlist_id: int) -> str | None:
    with connection_of(source) as connection:
        query = select(Playlist.provider).where(Playlist.id == playlist_id)
        return connection.execute(query).scalar()


def effective_items(
    source: DbSource, playlist_id: int, *, offset: int = 0, limit: int | None = None
) -> pl.DataFrame:
    """The playlist as the product shows it (the view ``v_playlist_item_effective``),
    ordered by position. Check ownership with ``get_playlist`` first.

    >>> effective_items(engine, 7).select("position", "title", "track_id")  # doctest: +SKIP
    """
    params = {"playlist_id": playlist_id, "offset": offset, "limit": limit or _NO_LIMIT}
    return _frame(source, _EFFECTIVE_SQL, params, _playlist_provider(source, playlist_id))


def count_effective_items(source: DbSource, playlist_id: int) -> int:
    """How many items the playlist shows (for paging)."""
    sql = text("SELECT count(*) FROM v_playlist_item_effective WHERE playlist_id = :playlist_id")
    with connection_of(source) as connection:
        return int(connection.execute(sql, {"playlist_id": playlist_id}).scalar() or 0)


def snapshot_frame(
    source: DbSource, snapshot_id: int, *, offset: int = 0, limit: int | None = None
) -> pl.DataFrame:
    """The items of one snapshot (any status), without overrides, by position."""
    with connection_of(source) as connection:
        playlist_id = connection.execute(
            select(Snapshot.playlist_id).where(Snapshot.id == snapshot_id)
        ).scalar()
    provider = None if playlist_id is None else _playlist_provider(source, playlist_id)
    params = {"snapshot_id": snapshot_id, "offset": offset, "limit": limit or _NO_LIMIT}
    return _frame(source, _SNAPSHOT_SQL, params, provider)


def playlist_item_counts(session: Session, playlist_ids: list[int]) -> dict[int, int]:
    """playlist id -> number of items shown, for many playlists at once."""
    if not playlist_ids:
        return {}
    statement = text(
        "SELECT playlist_id, count(*) FROM v_playlist_item_effective "
        "WHERE playlist_id IN :ids GROUP BY playlist_id"
    ).bindparams(bindparam("ids", expanding=True))
    rows = session.execute(statement, {"ids": playlist_ids}).all()
    counts = {int(pid): int(n) for pid, n in rows}
    return {pid: counts.get(pid, 0) for pid in playlist_ids}
