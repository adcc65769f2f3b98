"""upsert_tracks: dedupe by provider id, then ISRC + title; bulk and ordered."""

from __future__ import annotations

import time
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from engine.errors import DataError
from engine.frame import tracks_frame
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import Track, TrackProviderId


def test_dedupe_by_provider_id_then_isrc_and_title(db_engine: sa.Engine) -> None:
    first = tracks_frame(
        [
            {
                "title": "Song",
                "artists": ["A"],
                "isrc": "usabc1234567",
                "provider": "spotify",
                "provider_id": "sp1",
            },
            {"title": "Other", "artists": ["B"], "provider": "spotify", "provider_id": "sp2"},
            {"title": "Local", "artists": ["C"], "provider": "file", "provider_id": "a.mp3"},
        ]
    )
    with session_scope(db_engine) as session:
        ids = repo.upsert_tracks(session, first)
    assert len(set(ids)) == 3

    second = tracks_frame(
        [
            {"title": "Other", "artists": ["B"], "provider": "spotify", "provider_id": "sp2"},
            # same ISRC, same title (other case/spaces), another provider: same track
            {
                "title": "  song ",
                "artists": ["A"],
                "isrc": "USABC1234567",
                "provider": "deezer",
                "provider_id": "dz9",
            },
            # same ISRC but another title: another recording
            {
                "title": "Song (Live)",
                "isrc": "USABC1234567",
                "provider": "deezer",
                "provider_id": "dz10",
            },
            # repeated within the frame: one new track
            {"title": "New", "provider": "tidal", "provider_id": "t1"},
            {"title": "New", "provider": "tidal", "provider_id": "t1"},
        ]
    )
    with session_scope(db_engine) as session:
        again = repo.upsert_tracks(session, second)
        assert again[0] == ids[1]
        assert again[1] == ids[0]
        assert again[2] not in ids
        assert again[3] == again[4]
        assert repo.provider_ids_of(session, [ids[0]]) == {
            ids[0]: {"spotify": "sp1", "deezer": "dz9"}
        }
        # "file" provider ids are paths, not identities: not stored
        assert repo.provider_ids_of(session, [ids[2]]) == {}
        assert [t.title for t in repo.tracks_by_isrc(session, "usabc1234567")] == [
            "Song",
            "Song (Live)",
        ]
        assert session.scalar(sa.select(sa.func.count()).select_from(Track)) == 5


def test_track_without_title_is_refused(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session, pytest.raises(DataError, match="position 0"):
        repo.upsert_tracks(session, tracks_frame([{"title": None}]))


def test_bulk_upsert_of_10k_rows(db_engine: sa.Engine) -> None:
    n = 10_000
    frame = tracks_frame(
        {
            "title": f"t{i}",
            "artists": ["x"],
            "isrc": f"QZ{i:010d}",
            "provider": "spotify",
            "provider_id": f"s{i}",
            "duration_ms": 1000 + i,
        }
        for i in range(n)
    )
    started = time.perf_counter()
    with session_scope(db_engine) as session:
        ids = repo.upsert_tracks(session, frame)
    with session_scope(db_engine) as session:
        again = repo.upsert_tracks(session, frame.with_columns(pl.lit("deezer").alias("provider")))
        assert session.scalar(sa.select(sa.func.count()).select_from(TrackProviderId)) == 2 * n
    elapsed = time.perf_counter() - started
    assert len(set(ids)) == n
    assert again == ids  # matched by ISRC + title
    assert elapsed < 60  # a generous sanity bound; figures live in scripts/


M3U = b"""#EXTM3U
#EXTINF:215,Artist A - Song One
music/a.mp3
#EXTINF:-1,Artist B - Song Two
music/b.mp3
#EXTINF:215,Artist A - Song One
music/a-again.mp3
#EXTINF:301,Artist A - Song One
music/a-live.mp3
"""


def test_reimporting_a_plain_m3u_reuses_its_tracks(db_engine: sa.Engine) -> None:
    from engine.formats import m3u
    from engine.formats._context import ReadContext

    def import_once() -> list[int]:
        context = ReadContext(source="road.m3u")
        (playlist,) = m3u.decode(M3U, context)
        assert context.warnings == []  # a clean file reads without repairs
        with session_scope(db_engine) as session:
            return repo.upsert_tracks(session, playlist.tracks)

    first = import_once()
    # a repeat within the file is one track; another duration is another recording
    assert first[0] == first[2] and len(set(first)) == 3
    assert import_once() == first
    with session_scope(db_engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Track)) == 3


def test_metadata_rule_is_exact_and_null_safe(db_engine: sa.Engine) -> None:
    rows: list[dict[str, Any]] = [
        {"title": "Tune", "artists": ["A", "B"]},  # no album, no duration
        {"title": "Tune", "artists": ["A", "B"], "album": "LP", "duration_ms": 1000},
        {"title": "Tune", "artists": ["B", "A"], "album": "LP", "duration_ms": 1000},
        {"title": "Tune", "artists": ["A", "B"], "album": "LP", "duration_ms": 1001},
        {"title": "tune", "artists": ["A", "B"], "album": "LP", "duration_ms": 1000},
    ]
    with session_scope(db_engine) as session:
        first = repo.upsert_tracks(session, tracks_frame(rows))
    assert len(set(first)) == 5
    with session_scope(db_engine) as session:
        again = repo.upsert_tracks(session, tracks_frame(list(reversed(rows))))
    assert again == list(reversed(first))
    # a row with an ISRC or a stable provider id is not matched on metadata
    keyed = [
        {**rows[1], "isrc": "GBXYZ0000001"},
        {**rows[1], "provider": "spotify", "provider_id": "sp-tune"},
    ]
    with session_scope(db_engine) as session:
        other = repo.upsert_tracks(session, tracks_frame(keyed))
    assert not set(other) & set(first)
