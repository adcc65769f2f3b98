"""engine.app_support without Streamlit: the review queue at 10,000 items,
part scores, bulk rules, user resolution, preferences, files, transfer inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_world import seed_reviews
from sqlalchemy import event, insert, select

from engine.app_support import files, library, people, preferences, review, transfer
from engine.errors import AuthError, FormatError, NotFoundError, UsageError
from engine.frame import tracks_frame
from engine.matching import MatchConfig
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import MatchDecision, Track


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Runtime:
    settings = Settings(env="test", data_dir=tmp_path / "data")  # type: ignore[call-arg]
    rt = Runtime(settings.model_copy(update={"database_url": db_url}))
    yield rt  # type: ignore[misc]
    rt.close()


def local_id(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return repo.local_user(session).id


def test_queue_of_10000_is_paged_and_fast(runtime: Runtime) -> None:
    """One page = a bounded number of queries and rows, however long the queue
    (timings: docs/app.md)."""
    uid = local_id(runtime)
    with runtime.engine.begin() as conn:  # one question per source track
        conn.execute(
            insert(Track),
            [
                {"title": f"Song {n}", "artists": ["A"], "duration_ms": 200_000}
                for n in range(10_000)
            ],
        )
        track_ids = list(conn.execute(select(Track.id).order_by(Track.id)).scalars())
    rows = [
        {
            "user_id": uid,
            "source_track_id": track_ids[n],
            "target_provider": "deezer",
            "status": "pending",
            "score": 0.7,
            "tier": "review",
            "parts": {},
            "candidates": [
                {"id": f"dz{n}", "title": "Song (Live)", "artists": ["A"], "duration_ms": 205_000}
            ],
            "decided_by": "auto",
        }
        for n in range(10_000)
    ]
    with runtime.engine.begin() as conn:
        conn.execute(insert(MatchDecision), rows)
    statements: list[str] = []
    event.listen(runtime.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    page = review.review_page(runtime, uid, offset=9_990, limit=20)
    assert page.total == 10_000 and len(page.items) == 10
    assert page.items[-1].candidates[0].track.id == "dz9999"
    assert len(statements) <= 8, statements
    # A decision removes the item; the same offset now shows the next one.
    review.decide(runtime, uid, page.items[0].decision_id, "dz9990")
    after = review.review_page(runtime, uid, offset=9_990, limit=1)
    assert after.total == 9_999
    assert after.items[0].candidates[0].track.id == "dz9991"


def test_offset_past_the_end_shows_the_last_item(runtime: Runtime) -> None:
    ids = seed_reviews(runtime, count=2)
    uid = local_id(runtime)
    page = review.review_page(runtime, uid, offset=50, limit=1)
    assert page.offset == 1 and page.items[0].decision_id == ids[1]
    with pytest.raises(UsageError):
        review.review_page(runtime, uid, limit=0)


def test_candidates_from_ids_only_use_stored_tracks(runtime: Runtime) -> None:
    """Candidates recorded as bare ids (as migrate does) get metadata from the
    store when the target track is known there, and parts are scored."""
    uid = local_id(runtime)
    with session_scope(runtime.engine) as session:
        source, _target = repo.upsert_tracks(
            session,
            tracks_frame(
                [
                    {"title": "Halo", "artists": ["Beyoncé"], "duration_ms": 261_000},
                    {
                        "title": "Halo",
                        "artists": ["Beyonce"],
                        "duration_ms": 262_000,
                        "provider": "deezer",
                        "provider_id": "777",
                    },
                ]
            ),
        )
        repo.record_decision(
            session, uid, source, "deezer", status="pending", score=0.8, candidates=["777", "888"]
        )
    (item,) = review.review_page(runtime, uid).items
    known, unknown = item.candidates
    assert known.track.title == "Halo" and known.track.url == "https://www.deezer.com/track/777"
    assert known.parts["title"] == 1.0 and known.parts["duration"] is not None
    assert unknown.track.title is None and unknown.score is None


def test_bulk_accepts_only_confident_and_clear_cases(runtime: Runtime) -> None:
    seed_reviews(runtime, count=3)
    uid = local_id(runtime)
    assert review.accept_confident(runtime, uid, min_score=0.95) == 0
    # The learned scorer puts the live candidate far below the remaster (~0.1 against
    # ~0.9), so "not clear" needs a far wider margin than with the hand-set weights.
    assert review.accept_confident(runtime, uid, min_score=0.85, min_margin=0.99) == 0
    assert review.accept_confident(runtime, uid, min_score=0.85, max_items=2) == 2
    recent = review.recent_decisions(runtime, uid)
    assert recent.height == 2
    review.undo(runtime, uid, int(recent["decision_id"][0]))
    assert review.review_page(runtime, uid).total == 2
    with pytest.raises(UsageError):
        review.accept_confident(runtime, uid, min_score=0)
    ids = [i.decision_id for i in review.review_page(runtime, uid).items]
    assert review.mark_all_not_available(runtime, uid, ids) == 2
    assert review.review_page(runtime, uid).total == 0


def test_decisions_are_scoped_and_validated(runtime: Runtime) -> None:
    (theirs,) = seed_reviews(runtime, "oidc|someone", count=1)
    uid = local_id(runtime)
    with pytest.raises(NotFoundError):
        review.decide(runtime, uid, theirs, "x")
    with pytest.raises(UsageError):
        review.decide(runtime, uid, theirs, "  ")
    with pytest.raises(NotFoundError, match="no deezer account"):
        review.search_target(runtime, uid, "deezer", "anything")
    with pytest.raises(UsageError):
        review.search_target(runtime, uid, "deezer", " ")


def test_user_resolution(runtime: Runtime) -> None:
    local = people.resolve_user(runtime, None)
    assert local.external_id == "local"
    assert people.resolve_user(runtime, people.Identity("ignored")).id == local.id
    oidc = Runtime(runtime.settings.model_copy(update={"oidc_enabled": True}))
    try:
        with pytest.raises(AuthError):
            people.resolve_user(oidc, None)
        with pytest.raises(AuthError):
            people.resolve_user(oidc, people.Identity("local"))
        bob = people.resolve_user(oidc, people.Identity("sub-1", "Bob", "bob@example.org"))
        again = people.resolve_user(oidc, people.Identity("sub-1", "Robert"))
        assert bob.id == again.id != local.id and again.display_name == "Robert"
    finally:
        oidc.close()


def test_preferences_validated_and_per_user(runtime: Runtime) -> None:
    uid = local_id(runtime)
    oidc = Runtime(runtime.settings.model_copy(update={"oidc_enabled": True}))
    try:
        other = people.resolve_user(oidc, people.Identity("sub-2")).id
    finally:
        oidc.close()
    assert preferences.match_config(runtime, uid) == MatchConfig()
    preferences.save_match_config(runtime, uid, auto_threshold=0.9, auto_margin=0.2)
    assert preferences.match_config(runtime, uid).auto_threshold == 0.9
    assert preferences.match_config(runtime, other) == MatchConfig()
    with pytest.raises(UsageError, match="unknown matching setting"):
        preferences.save_match_config(runtime, uid, max_block=3)
    with pytest.raises(UsageError):
        preferences.save_match_config(runtime, uid, auto_threshold=0.5, review_threshold=0.7)
    preferences.reset_match_config(runtime, uid)
    assert preferences.match_config(runtime, uid) == MatchConfig()
    assert preferences.save_retention(runtime, uid, 4, 7) == preferences.Retention(4, 7)
    assert preferences.retention(runtime, uid).keep_daily_days == 7
    with pytest.raises(UsageError):
        preferences.save_retention(runtime, uid, 1, 7)


def test_files_import_export_and_bad_upload(runtime: Runtime) -> None:
    uid = local_id(runtime)
    m3u = b"#EXTM3U\n#EXTINF:200,Artist - Song\nsong.mp3\n"
    (pid,) = files.import_upload(runtime, uid, "../../evil name.m3u8", m3u, name="Mine")
    table = library.playlists_table(runtime, uid)
    assert table["name"].to_list() == ["Mine"] and table["items"].to_list() == [1]
    saved = list((runtime.settings.data_dir / "uploads" / f"user-{uid}").iterdir())
    assert len(saved) == 1 and saved[0].name.endswith("evil_name.m3u8")
    for choice in files.format_choices():
        name, content = files.export_playlist(runtime, uid, pid, choice.name)
        assert name.startswith("Mine") and content
    with pytest.raises(FormatError, match=r"broken\.xspf"):
        files.import_upload(runtime, uid, "broken.xspf", b"<playlist><trackList>")
    assert len(library.playlists_table(runtime, uid)) == 1  # nothing half-stored
    outcome = files.import_upload_reported(
        runtime, uid, "odd.m3u8", b"#EXTM3U\n#EXTINF:x,A - B\na.mp3\n", name="Odd"
    )
    # the warning names the upload as the user called it, never the server path
    assert [str(w) for w in outcome.warnings] == [
        "odd.m3u8:2: malformed #EXTINF (no duration in seconds; unexpected text 'x'); "
        "kept what could be read"
    ]
    files.export_playlist(runtime, uid, outcome.playlist_ids[0], "pif")
    with pytest.raises(NotFoundError):
        files.export_playlist(runtime, uid + 1000, pid, "pif")


def test_transfer_inputs_are_checked(runtime: Runtime) -> None:
    uid = local_id(runtime)
    with pytest.raises(UsageError, match="choose a source"):
        transfer.source_frame(runtime, uid, {})
    with pytest.raises(NotFoundError):
        transfer.source_frame(runtime, uid, {"snapshot_id": 999})
    with pytest.raises(NotFoundError):
        transfer.start_transfer(runtime, uid, {"playlist_id": 1}, 999)
    with pytest.raises(UsageError, match="review policy"):
        transfer.start_transfer(runtime, uid, {"playlist_id": 1}, 1, review_policy="maybe")
    assert transfer.connected_accounts(runtime, uid) == []
