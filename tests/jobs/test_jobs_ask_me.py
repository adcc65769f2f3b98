""" "Ask me" (review policy ``wait``) completes the playlist: the migration waits
for the curator, each decision reaches the same target playlist at the track's
source position, and the job succeeds once its questions are answered. One
question is asked once across jobs; a deliberate re-run completes the same
playlist. Against the sandbox served on loopback, on SQLite and Postgres."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import ensure_user, make_runtime

from engine.app_support import review
from engine.demo import connect_sandbox_account
from engine.frame import tracks_frame
from engine.jobs import job_row, run_job, submit
from engine.jobs.plan import load_plan
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.catalog import CatalogTrack
from engine.sandbox.server import SandboxServer
from engine.store import preferences, repo
from engine.store.db import session_scope

ASKED = (1, 4, 7, 9)
"""Source positions whose tracks have no ISRC and a length 9 s off: the matcher
is unsure of them (with a strict auto threshold) and asks the curator."""


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[Sandbox, Runtime, int, int]]:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(db_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        preferences.save_match_config(runtime.engine, user, auto_threshold=0.999)
        yield sandbox, runtime, user, account
        settle(runtime)
        runtime.close()


def listing(sandbox: Sandbox, n: int = 10) -> list[CatalogTrack]:
    return [t for t in sandbox.catalog.listing("spotify") if t.isrc][:n]


def source_playlist(runtime: Runtime, user: int, tracks: list[CatalogTrack]) -> int:
    records: list[dict[str, Any]] = []
    for position, track in enumerate(tracks):
        unsure = position in ASKED
        records.append(
            {
                "title": track.title,
                "artists": list(track.artists),
                "album": track.album,
                "duration_ms": track.duration_ms + (9000 if unsure else 0),
                "isrc": None if unsure else track.isrc,
                "provider": "file",
                "provider_id": f"src-{track.key}",
            }
        )
    with session_scope(runtime.engine) as session:
        playlist = repo.create_playlist(session, user, "Messy mix")
        snapshot = repo.begin_snapshot(session, playlist.id)
        ids = repo.upsert_tracks(session, tracks_frame(records))
        repo.add_snapshot_items(session, snapshot.id, ids)
        repo.complete_snapshot(session, snapshot.id)
        return int(playlist.id)


def settle(runtime: Runtime, timeout_s: float = 60.0) -> None:
    """Wait for the background job runs the decisions started."""
    deadline = time.monotonic() + timeout_s
    while any(t.is_alive() for t in list(runtime.background)):
        for thread in list(runtime.background):
            thread.join(max(0.0, deadline - time.monotonic()))
        assert time.monotonic() < deadline, "background job runs did not finish"


def migrate(runtime: Runtime, user: int, account: int, playlist: int, **extra: Any) -> str:
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "review_policy": "wait",
        **extra,
    }
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    run_job(runtime, job)
    return job


def open_questions(runtime: Runtime, user: int) -> list[review.ReviewItem]:
    return review.review_page(runtime, user, limit=50).items


def test_ask_me_waits_then_completes_the_same_playlist(
    world: tuple[Sandbox, Runtime, int, int],
) -> None:
    sandbox, runtime, user, account = world
    tracks = listing(sandbox)
    playlist = source_playlist(runtime, user, tracks)
    job = migrate(runtime, user, account, playlist)
    row = job_row(runtime, job)
    assert row["state"] == "waiting" and row["resume_after"] is None, row["error"]
    result = row["result"]
    assert result["pending_review"] == len(ASKED)
    assert result["summary"] == "6 of 10 added; waiting for review: 4 tracks"
    assert row["progress"]["phase"] == "waiting for review"
    [target] = result["target_playlists"]
    everything = [t.id_for("spotify") for t in tracks]
    sure = [tid for n, tid in enumerate(everything) if n not in ASKED]
    assert sandbox.playlist_track_ids("spotify", target) == sure

    # The curator answers, one by one: each accepted track lands at its source
    # position in the SAME playlist; "not available" leaves a gap.
    questions = {q.source.title: q for q in open_questions(runtime, user)}
    assert len(questions) == len(ASKED)
    by_position = {n: questions[tracks[n].title] for n in ASKED}
    for n in ASKED[:2]:
        item = by_position[n]
        assert item.candidates[0].track.id == everything[n]  # the right one is the best
        review.decide(runtime, user, item.decision_id, everything[n])
        settle(runtime)
    wanted = [tid for k, tid in enumerate(everything) if k not in ASKED[2:]]
    assert sandbox.playlist_track_ids("spotify", target) == wanted
    assert job_row(runtime, job)["state"] == "waiting"
    assert "8 of 10 added" in job_row(runtime, job)["result"]["summary"]

    review.decide(runtime, user, by_position[ASKED[2]].decision_id, None)  # not available
    review.decide(runtime, user, by_position[ASKED[3]].decision_id, everything[ASKED[3]])
    settle(runtime)
    done = job_row(runtime, job)
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["summary"] == "9 of 10 added, 1 not available"
    final = [tid for k, tid in enumerate(everything) if k != ASKED[2]]
    assert sandbox.playlist_track_ids("spotify", target) == final
    assert [p.name for p in sandbox_playlists(sandbox)] == ["Messy mix"]
    plan = load_plan(runtime, job)
    assert [r["status"] for r in plan].count("pending") == len(ASKED)  # the plan itself is kept

    # A deliberate re-run into the same playlist: nothing new, no second playlist.
    again = migrate(runtime, user, account, playlist, target_playlist_id=target)
    assert job_row(runtime, again)["state"] == "succeeded", job_row(runtime, again)["error"]
    assert job_row(runtime, again)["result"]["target_playlists"] == [target]
    assert sandbox.playlist_track_ids("spotify", target) == final
    assert [p.name for p in sandbox_playlists(sandbox)] == ["Messy mix"]


def sandbox_playlists(sandbox: Sandbox) -> list[Any]:
    return [
        p
        for (provider, _), p in sorted(sandbox.state.playlists.items())
        if provider == "spotify" and p.owner == "demo-user"
    ]


def test_one_question_asked_once_across_jobs(world: tuple[Sandbox, Runtime, int, int]) -> None:
    sandbox, runtime, user, account = world
    tracks = listing(sandbox)
    playlist = source_playlist(runtime, user, tracks)
    first = migrate(runtime, user, account, playlist)
    second = migrate(runtime, user, account, playlist, name="Messy mix, again")
    assert job_row(runtime, second)["state"] == "waiting"
    with session_scope(runtime.engine) as session:
        assert repo.count_pending_reviews(session, user) == len(ASKED)  # not twice as many
    assert review.pending_providers(runtime, user) == {"spotify": len(ASKED)}
    everything = [t.id_for("spotify") for t in tracks]
    for item in open_questions(runtime, user):
        answer = next(t for t in tracks if t.title == item.source.title).id_for("spotify")
        review.decide(runtime, user, item.decision_id, answer)
    settle(runtime)
    assert open_questions(runtime, user) == []
    for job in (first, second):
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", row["error"]
        [target] = row["result"]["target_playlists"]
        assert sandbox.playlist_track_ids("spotify", target) == everything
