"""Helpers for the app tests: settings in the environment, seeded reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.frame import tracks_frame
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope

APP = str(Path(__file__).resolve().parents[2] / "app.py")

SOURCES = [
    ("Harbour Lights", ["The Tidewater Band"], "Salt", 215_000),
    ("Night Drive", ["Mira Vale"], "Neon Roads", 198_000),
    ("Paper Planes at Dawn", ["Owl & Ember"], "Early", 242_000),
    ("Weightless", ["Northern Static"], "Drift", 305_000),
]


def candidate(
    cid: str, title: str, artists: list[str], album: str, ms: int, explicit: bool | None = None
) -> dict[str, Any]:
    found = {"id": cid, "title": title, "artists": artists, "album": album, "duration_ms": ms}
    return found if explicit is None else {**found, "explicit": explicit}


def seed_reviews(
    runtime: Runtime,
    external_id: str = "local",
    count: int = 4,
    provider: str = "deezer",
    explicit: tuple[bool | None, bool | None, bool | None] = (None, None, None),
) -> list[int]:
    """``count`` pending reviews for the user, each with two candidates carrying
    metadata (a live version and a remaster); returns the decision ids.
    ``explicit``: the flag of the source, the live and the remaster (None: not known)."""
    ids = []
    with session_scope(runtime.engine) as session:
        user = repo.ensure_user(session, external_id)
        records: list[dict[str, Any]] = []
        for n in range(count):
            title, artists, album, ms = SOURCES[n % len(SOURCES)]
            records.append(
                {
                    "title": title if n < len(SOURCES) else f"{title} {n}",
                    "artists": artists,
                    "album": album,
                    "duration_ms": ms,
                    "explicit": explicit[0],
                    "isrc": f"QZAPP{user.id:02d}{n:05d}",
                    "provider": "spotify",
                    "provider_id": f"sp{user.id}x{n}",
                }
            )
        track_ids = repo.upsert_tracks(session, tracks_frame(records))
        for n, (record, track_id) in enumerate(zip(records, track_ids, strict=True)):
            title, artists, album, ms = (
                record["title"],
                record["artists"],
                record["album"],
                record["duration_ms"],
            )
            candidates = [
                candidate(
                    f"dz{user.id}a{n}",
                    f"{title} (Live)",
                    artists,
                    f"{album} Live",
                    ms + 9000,
                    explicit[1],
                ),
                candidate(
                    f"dz{user.id}b{n}",
                    f"{title} - Remastered",
                    artists,
                    album,
                    ms + 1000,
                    explicit[2],
                ),
            ]
            decision = repo.record_decision(
                session,
                user.id,
                track_id,
                provider,
                status="pending",
                score=0.7,
                tier="review",
                candidates=candidates,
            )
            ids.append(decision.id)
    return ids


def keyed(widgets: Any, prefix: str) -> Any:
    """The one widget whose key is ``prefix`` + the review item's decision id
    (the review page keys its form widgets by item)."""
    found = [w for w in widgets if (w.key or "").startswith(prefix)]
    assert len(found) == 1, [w.key for w in widgets]
    return found[0]


def choice_radio(at: Any) -> Any:
    """The Decision radio of the item on screen."""
    return keyed(at.radio, "cf_review_choice_")


def found_radio(at: Any) -> Any:
    """The manual search results radio of the item on screen."""
    return keyed(at.radio, "cf_review_found_choice_")
