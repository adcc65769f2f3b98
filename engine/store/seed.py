"""Seed data for the demo and tests (``crossfade db seed``).

Creates the local user with two provider accounts, three playlists whose
snapshots cover every case of the effective-items view (complete, a newer one
in progress, a failed one, curators' overrides), match decisions including
pending reviews and a curator rule, and a second user whose data the local
user must never see. Seeding twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.frame import tracks_frame
from engine.store import repo
from engine.store.models import Playlist, ProviderAccount

SEED_PREFIX = "seed-"
SECOND_USER = "seed|alice"
SEED_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# (title, artists, album, duration_ms, isrc, spotify id)
SEED_TRACKS: list[tuple[str, list[str], str, int, str, str]] = [
    ("Harbour Lights", ["The Tidewater Band"], "Salt", 215000, "QZSEE2600001", "5eedTrk01"),
    ("Night Drive", ["Mira Vale"], "Neon Roads", 198000, "QZSEE2600002", "5eedTrk02"),
    ("Paper Planes at Dawn", ["Owl & Ember"], "Early", 242000, "QZSEE2600003", "5eedTrk03"),
    ("Słońce", ["Kasia Nowak"], "Lato", 187000, "QZSEE2600004", "5eedTrk04"),
    (
        "Café del Río",
        ["Los Ríos", "Ana Belén Ruiz"],
        "Orillas",
        231000,
        "QZSEE2600005",
        "5eedTrk05",
    ),
    ("Weightless", ["Northern Static"], "Drift", 305000, "QZSEE2600006", "5eedTrk06"),
    ("Weightless (Live)", ["Northern Static"], "Drift Live", 322000, "QZSEE2600007", "5eedTrk07"),
    ("Slow Orbit", ["Halcyon Days"], "Satellites", 264000, "QZSEE2600008", "5eedTrk08"),
    ("Ghost Notes", ["Jun Takeda Trio"], "Ghost Notes", 276000, "QZSEE2600009", "5eedTrk09"),
    ("Rainmaker", ["Birch & Bone"], "Wild Country", 201000, "QZSEE2600010", "5eedTrk10"),
    ("Small Hours", ["Elsie Grant"], "Small Hours", 189000, "QZSEE2600011", "5eedTrk11"),
    ("Kitchen Radio", ["The Lodgers"], "Flatshare", 176000, "QZSEE2600012", "5eedTrk12"),
]


@dataclass(frozen=True)
class SeedReport:
    """What ``seed`` did: ``created`` is False when the data was already there."""

    created: bool
    user_id: int
    playlists: int
    tracks: int
    decisions: int


def _tracks(session: Session) -> list[int]:
    frame = tracks_frame(
        {
            "title": title,
            "artists": artists,
            "album": album,
            "duration_ms": duration,
            "isrc": isrc,
            "explicit": False,
            "provider": "spotify",
            "provider_id": spotify_id,
        }
        for title, artists, album, duration, isrc, spotify_id in SEED_TRACKS
    )
    return repo.upsert_tracks(session, frame)


def _capture(
    session: Session, playlist_id: int, track_ids: list[int], status: str, hours: int
) -> int:
    snapshot = repo.begin_snapshot(
        session, playlist_id, taken_at=SEED_TIME + timedelta(hours=hours)
    )
    repo.add_snapshot_items(session, snapshot.id, track_ids)
    if status == "complete":
        repo.complete_snapshot(session, snapshot.id)
    elif status == "failed":
        repo.fail_snapshot(session, snapshot.id, "spotify: 503 Service Unavailable (seeded)")
    return snapshot.id


def _accounts(session: Session, user_id: int) -> dict[str, int]:
    accounts = {
        "spotify": ProviderAccount(
            user_id=user_id,
            provider="spotify",
            external_user_id="seed-spotify-user",
            display_name="Seed listener",
            status="connected",
        ),
        "deezer": ProviderAccount(
            user_id=user_id,
            provider="deezer",
            external_user_id="seed-deezer-user",
            display_name="Seed listener",
            status="needs_reconnect",
            status_reason="refresh token revoked (seeded)",
        ),
    }
    session.add_all(accounts.values())
    session.flush()
    return {name: account.id for name, account in accounts.items()}


def _playlists(session: Session, user_id: int, t: list[int]) -> int:
    account = _accounts(session, user_id)
    road = repo.create_playlist(
        session,
        user_id,
        "Road Trip",
        source="provider",
        provider="spotify",
        provider_playlist_id=f"{SEED_PREFIX}road-trip",
        account_id=account["spotify"],
    ).id
    _capture(session, road, t[0:5], "complete", 0)
    _capture(session, road, [t[1], t[0], t[2], t[3], t[4], t[5]], "complete", 24)
    _capture(session, road, [t[6], t[7]], "in_progress", 48)  # a capture still running

    focus = repo.create_playlist(
        session,
        user_id,
        "Focus",
        source="provider",
        provider="spotify",
        provider_playlist_id=f"{SEED_PREFIX}focus",
        account_id=account["spotify"],
        description="Long instrumental tracks",
    ).id
    _capture(session, focus, [t[5], t[7], t[8]], "complete", 2)
    _capture(session, focus, [t[5]], "failed", 30)  # readers keep the complete one

    kitchen = repo.create_playlist(
        session,
        user_id,
        "Kitchen Radio",
        source="file",
        provider_playlist_id=f"{SEED_PREFIX}kitchen",
        file_path="kitchen-radio.m3u8",
    ).id
    _capture(session, kitchen, [t[9], t[10], t[11], t[5]], "complete", 3)
    repo.set_override(session, user_id, kitchen, t[10], "hide")
    repo.set_override(session, user_id, kitchen, t[5], "replace", replacement_track_id=t[6])
    return 3


def _candidates(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"id": cid, "score": score, "parts": {"title": score}} for cid, score in pairs]


def _decisions(session: Session, user_id: int, t: list[int]) -> int:
    for index in (0, 1, 2, 5):
        repo.record_decision(
            session,
            user_id,
            t[index],
            "deezer",
            status="matched",
            target_track_id=f"dz{100 + index}",
            score=0.98,
            tier="auto",
        )
    repo.record_decision(session, user_id, t[3], "deezer", status="not_available", tier="none")
    repo.record_decision(
        session,
        user_id,
        t[4],
        "deezer",
        status="pending",
        score=0.74,
        tier="review",
        candidates=_candidates(("dz204", 0.74), ("dz205", 0.69)),
    )
    repo.record_decision(
        session,
        user_id,
        t[6],
        "deezer",
        status="pending",
        score=0.71,
        tier="review",
        candidates=_candidates(("dz306", 0.71), ("dz307", 0.70)),
    )
    repo.record_decision(
        session,
        user_id,
        t[7],
        "deezer",
        status="matched",
        target_track_id="dz407",
        score=None,
        tier="review",
        rule="manual",
        decided_by="curator",
    )
    return 8


def seed(session: Session) -> SeedReport:
    """Insert the demo data once; a second call only reports what is there."""
    user = repo.local_user(session)
    existing = session.scalars(
        select(Playlist).where(
            Playlist.user_id == user.id,
            Playlist.provider_playlist_id == f"{SEED_PREFIX}road-trip",
        )
    ).first()
    if existing is not None:
        return SeedReport(False, user.id, 0, 0, 0)
    t = _tracks(session)
    playlists = _playlists(session, user.id, t)
    decisions = _decisions(session, user.id, t)

    alice = repo.ensure_user(session, SECOND_USER, display_name="Alice (seed)")
    mix = repo.create_playlist(
        session,
        alice.id,
        "Alice's mix",
        source="file",
        provider_playlist_id=f"{SEED_PREFIX}alice-mix",
    ).id
    _capture(session, mix, [t[11], t[0]], "complete", 1)
    repo.record_decision(
        session,
        alice.id,
        t[11],
        "tidal",
        status="pending",
        score=0.7,
        tier="review",
        candidates=_candidates(("td1", 0.7)),
    )
    return SeedReport(True, user.id, playlists, len(t), decisions)
