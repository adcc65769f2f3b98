"""Tracks: canonical recording metadata and the ids each provider uses.

:func:`upsert_tracks` turns a canonical frame into track ids, reusing a track
known by the same provider id, else by the same ISRC and title, else (for a
row with neither, e.g. a plain M3U or a CSV without ISRC) by exactly the same
title, artists, album and duration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import polars as pl
from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import Session

from engine.batching import chunks
from engine.errors import DataError
from engine.frame import conform
from engine.store._source import conflict_insert
from engine.store.models import Track, TrackProviderId, utcnow

NON_IDENTIFYING_PROVIDERS = frozenset({"", "file"})
"""Providers whose ``provider_id`` is not a stable track id (a path in a file)."""

LOOKUP_CHUNK = 5000
"""Values per IN list when looking up known ids (within SQLite's 32,766 limit)."""

PidKey = tuple[str, str]
IsrcKey = tuple[str, str]
MetaKey = tuple[str, tuple[str, ...], str | None, int | None]


def normalise_title(title: str | None) -> str:
    """Case- and space-insensitive form of a title, for ISRC+title dedupe."""
    return " ".join((title or "").casefold().split())


def _pid_key(row: dict[str, Any]) -> PidKey | None:
    provider, provider_id = row.get("provider"), row.get("provider_id")
    if not provider or not provider_id or provider in NON_IDENTIFYING_PROVIDERS:
        return None
    return (str(provider), str(provider_id))


def _isrc_key(row: dict[str, Any]) -> IsrcKey | None:
    isrc, title = row.get("isrc"), row.get("title")
    if not isrc or not title:
        return None
    return (str(isrc).strip().upper(), normalise_title(title))


def _meta_key(row: dict[str, Any]) -> MetaKey | None:
    """Exact (title, artists, album, duration_ms) as stored; None without a title."""
    title = row.get("title")
    if not title:
        return None
    duration = row.get("duration_ms")
    return (
        str(title),
        tuple(str(a) for a in (row.get("artists") or [])),
        row.get("album"),
        None if duration is None else int(duration),
    )


def track_ids_by_provider_id(session: Session, keys: Iterable[PidKey]) -> dict[PidKey, int]:
    """(provider, provider track id) -> track id, for those already stored."""
    by_provider: dict[str, list[str]] = {}
    for provider, provider_id in set(keys):
        by_provider.setdefault(provider, []).append(provider_id)
    found: dict[PidKey, int] = {}
    for provider, ids in by_provider.items():
        for part in chunks(sorted(ids), LOOKUP_CHUNK):
            query = select(TrackProviderId.provider_track_id, TrackProviderId.track_id).where(
                TrackProviderId.provider == provider, TrackProviderId.provider_track_id.in_(part)
            )
            for provider_id, track_id in session.execute(query):
                found[(provider, provider_id)] = track_id
    return found


def _track_ids_by_isrc(session: Session, keys: Iterable[IsrcKey]) -> dict[IsrcKey, int]:
    wanted = set(keys)
    found: dict[IsrcKey, int] = {}
    for part in chunks(sorted({isrc for isrc, _ in wanted}), LOOKUP_CHUNK):
        query = select(Track.id, Track.isrc, Track.title).where(Track.isrc.in_(part))
        for track_id, isrc, title in session.execute(query.order_by(Track.id)):
            key = (isrc, normalise_title(title))
            if key in wanted:
                found.setdefault(key, track_id)
    return found


def _track_ids_by_metadata(session: Session, keys: Iterable[MetaKey]) -> dict[MetaKey, int]:
    """Stored tracks with exactly these metadata (the oldest wins): one query
    per chunk of titles, the rest compared here (artists is a JSON list)."""
    wanted = set(keys)
    found: dict[MetaKey, int] = {}
    for part in chunks(sorted({title for title, *_ in wanted}), LOOKUP_CHUNK):
        query = select(Track.id, Track.title, Track.artists, Track.album, Track.duration_ms)
        for track_id, title, artists, album, duration in session.execute(
            query.where(Track.title.in_(part)).order_by(Track.id)
        ):
            key = _meta_key(
                {"title": title, "artists": artists, "album": album, "duration_ms": duration}
            )
            if key in wanted:
                found.setdefault(key, track_id)
    return found


def _track_values(row: dict[str, Any]) -> dict[str, Any]:
    title = row.get("title")
    if not title:
        raise DataError(f"track at position {row.get('position')} has no title")
    isrc = row.get("isrc")
    return {
        "title": title,
        "artists": list(row.get("artists") or []),
        "album": row.get("album"),
        "duration_ms": row.get("duration_ms"),
        "isrc": str(isrc).strip().upper()[:12] if isrc else None,
        "explicit": row.get("explicit"),
        "release_date": (row.get("release_date") or None) and str(row["release_date"])[:10],
        "created_at": utcnow(),
    }


def _table(model: type[Track] | type[TrackProviderId]) -> Table:
    # Core inserts: the ORM's bulk path costs more than the database on 10k+ rows
    return cast(Table, model.__table__)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        statement: Any = conflict_insert(dialect, _table(TrackProviderId)).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and Postgres are supported
        statement = insert(TrackProviderId)
    session.connection().execute(statement, rows)


def upsert_tracks(session: Session, frame: pl.DataFrame) -> list[int]:
    """Store the tracks of a canonical frame; returns one track id per row, in order.

    A row reuses the track stored under the same provider id, else the one with
    the same ISRC and title (case-insensitive); a row with neither a provider
    id nor an ISRC (a plain M3U entry, a CSV row without ISRC) reuses a track
    with exactly the same title, artists, album and duration (None matching
    None). Rows of the frame that share those keys share a track. New provider
    ids are recorded for every row.
    """
    columns = ["title", "artists", "album", "duration_ms", "isrc", "explicit"]
    rows = conform(frame).select([*columns, "release_date", "position", "provider", "provider_id"])
    records = rows.to_dicts()
    pid_keys = [_pid_key(r) for r in records]
    isrc_keys = [_isrc_key(r) for r in records]
    by_pid = track_ids_by_provider_id(session, (k for k in pid_keys if k))
    resolved: list[int | None] = [by_pid.get(k) if k else None for k in pid_keys]
    unresolved_isrc = (k for k, t in zip(isrc_keys, resolved, strict=True) if k and t is None)
    by_isrc = _track_ids_by_isrc(session, unresolved_isrc)
    meta_keys = [
        _meta_key(r) if pid is None and isrc is None else None
        for r, pid, isrc in zip(records, pid_keys, isrc_keys, strict=True)
    ]
    by_meta = _track_ids_by_metadata(session, (k for k in meta_keys if k))

    group_of_row: dict[int, int] = {}
    new_values: list[dict[str, Any]] = []
    new_by_pid: dict[PidKey, int] = {}
    new_by_isrc: dict[IsrcKey, int] = {}
    new_by_meta: dict[MetaKey, int] = {}
    for index, record in enumerate(records):
        pid, isrc, meta = pid_keys[index], isrc_keys[index], meta_keys[index]
        if resolved[index] is None and isrc is not None:
            resolved[index] = by_isrc.get(isrc)
        if resolved[index] is None and meta is not None:
            resolved[index] = by_meta.get(meta)
        if resolved[index] is not None:
            continue
        # "is not None", not "or": group 0 (the first new track) is falsy
        candidates = (
            new_by_pid.get(pid) if pid else None,
            new_by_isrc.get(isrc) if isrc else None,
            new_by_meta.get(meta) if meta else None,
        )
        group = next((g for g in candidates if g is not None), None)
        if group is None:
            group = len(new_values)
            new_values.append(_track_values(record))
        if pid:
            new_by_pid.setdefault(pid, group)
        if isrc:
            new_by_isrc.setdefault(isrc, group)
        if meta:
            new_by_meta.setdefault(meta, group)
        group_of_row[index] = group

    if new_values:
        table = _table(Track)
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        new_ids = list(session.connection().execute(statement, new_values).scalars())
        for index, group in group_of_row.items():
            resolved[index] = new_ids[group]

    track_ids = [int(t) for t in resolved if t is not None]
    if len(track_ids) != len(records):  # pragma: no cover - every row resolves above
        raise DataError("internal: some tracks did not resolve to an id")
    provider_rows = {
        (pid, track_ids[i]) for i, pid in enumerate(pid_keys) if pid and pid not in by_pid
    }
    _insert_ignoring_duplicates(
        session,
        [
            {"track_id": track_id, "provider": provider, "provider_track_id": provider_id}
            for (provider, provider_id), track_id in sorted(provider_rows)
        ],
    )
    return track_ids


def tracks_by_isrc(session: Session, isrc: str) -> Sequence[Track]:
    """Every stored track with this ISRC (several recordings may share one)."""
    query = select(Track).where(Track.isrc == isrc.strip().upper()).order_by(Track.id)
    return session.scalars(query).all()


def provider_ids_of(
    session: Session | Connection, track_ids: Iterable[int]
) -> dict[int, dict[str, str]]:
    """track id -> {provider: provider track id} (the lowest-id one per provider)."""
    result: dict[int, dict[str, str]] = {}
    for part in chunks(sorted(set(track_ids)), LOOKUP_CHUNK):
        query = (
            select(
                TrackProviderId.track_id,
                TrackProviderId.provider,
                TrackProviderId.provider_track_id,
            )
            .where(TrackProviderId.track_id.in_(part))
            .order_by(TrackProviderId.id)
        )
        for track_id, provider, provider_id in session.execute(query):
            result.setdefault(track_id, {}).setdefault(provider, provider_id)
    return result
