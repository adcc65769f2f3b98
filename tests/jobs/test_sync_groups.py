"""Sync groups end to end on the sandbox served on loopback: three members
(Spotify, TIDAL, Deezer), random edits on each between runs, the result
checked against the merge computed from the edits; a quiet second run writes
nothing; first run shown before writing; the removal guard."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from group_helpers import (
    PROVIDERS,
    Scene,
    build_scene,
    edit_members,
    expected_order,
    file_and_playlist_group,
    make_sandbox,
    served_sandbox,
    write_requests,
)
from jobs_helpers import ensure_user, make_runtime

from engine.jobs import job_row, run_job
from engine.jobs.group_runs import submit_run
from engine.runtime import Runtime
from engine.sandbox.server import SandboxServer
from engine.store.db import session_scope
from engine.store.group_reviews import open_items

TRACKS = int(os.environ.get("CROSSFADE_GROUP_TEST_TRACKS", "1000"))
EDITS = int(
    os.environ.get("CROSSFADE_GROUP_TEST_EDITS", "50")
)  # adds, removes and moves, each, on every member


def run_group(
    runtime: Runtime, user: int, group: int, *, apply: bool = False, confirm: bool = False
) -> dict[str, Any]:
    job = submit_run(runtime, user, group, apply=apply, confirm_removals=confirm, start=False)
    state = run_job(runtime, job)
    row = job_row(runtime, job)
    assert state == "succeeded", row["error"]
    return dict(row["result"])


def first_sync(runtime: Runtime, user: int, scene: Scene) -> None:
    with pytest.raises(AssertionError, match="never been shown"):
        run_group(runtime, user, scene.group_id, apply=True)
    shown = run_group(runtime, user, scene.group_id)
    assert shown["dry_run"] and all(m["writes"] == 0 for m in shown["members"])
    assert all(p in "".join(m["label"] for m in shown["members"]) for p in PROVIDERS)
    applied = run_group(runtime, user, scene.group_id, apply=True)
    assert sum(m["writes"] for m in applied["members"]) == 0
    assert applied["tracks"] == len(scene.base)


@pytest.mark.slow
def test_three_members_agree_with_the_merge_and_a_quiet_run_writes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = make_sandbox(TRACKS + 300)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        scene = build_scene(runtime, sandbox, user, TRACKS)
        first_sync(runtime, user, scene)
        before = {p: scene.keys_of(p) for p in PROVIDERS}
        edit_members(scene, random.Random(15), EDITS)
        want = expected_order(scene, before)
        added = {k for p in PROVIDERS for k in set(scene.keys_of(p)) - set(before[p])}
        dry = run_group(runtime, user, scene.group_id)
        assert {m["label"].split()[1].split(":")[0] for m in dry["members"]} == set(PROVIDERS)
        assert all(m["writes"] > 0 for m in dry["members"])
        result = run_group(runtime, user, scene.group_id, apply=True)
        assert result["lookups"] == 0  # the dry run's lookups were recorded as decisions
        for provider in PROVIDERS:
            got = scene.keys_of(provider)
            assert len(got) == len(set(got)), f"{provider} holds a duplicate"
            assert got == want, provider
        removed = set(before["spotify"]) - set(want)
        assert added <= set(want)  # no lost addition
        assert removed  # the removals were applied (and the merge says which)
        sandbox.log.clear()
        quiet = run_group(runtime, user, scene.group_id, apply=True)
        assert write_requests(sandbox) == 0
        assert sum(m["writes"] for m in quiet["members"]) == 0
        reads = {p: sandbox.log.count(p, "GET") for p in PROVIDERS}
        # one read per page of each member (Spotify 100, TIDAL 20, Deezer 100 or fewer)
        assert reads["spotify"] <= -(-len(want) // 50) + 2, reads
        assert reads["tidal"] <= 2 * (-(-len(want) // 20)) + 2, reads
        runtime.close()


def test_removal_guard_stops_every_write_and_leaves_a_review(
    sqlite_url: str, tmp_path: Path
) -> None:
    with served_sandbox(sqlite_url, tmp_path, 60) as (sandbox, runtime, user):
        scene = build_scene(runtime, sandbox, user, 40)
        first_sync(runtime, user, scene)
        with sandbox.state.lock:  # a broken pull: TIDAL comes back empty
            playlist = sandbox.state.playlist("tidal", scene.playlists["tidal"])
            assert playlist is not None
            playlist.items.clear()
        sandbox.log.clear()
        job = submit_run(runtime, user, scene.group_id, apply=True, start=False)
        assert run_job(runtime, job) == "failed"
        assert "would remove more than 20%" in (job_row(runtime, job)["error"] or "")
        assert write_requests(sandbox) == 0
        assert len(scene.keys_of("spotify")) == 40
        with session_scope(runtime.engine) as session:
            [item] = open_items(session, user, scene.group_id)
        assert item["kind"] == "removal_guard"
        confirmed = run_group(runtime, user, scene.group_id, apply=True, confirm=True)
        assert confirmed["applied"]
        assert scene.keys_of("spotify") == [] and scene.keys_of("deezer") == []


def test_liked_libraries_mirror_through_the_library_endpoints(
    sqlite_url: str, tmp_path: Path
) -> None:
    from engine.demo import connect_sandbox_account
    from engine.errors import UsageError
    from engine.store.sync_groups import create_group

    with served_sandbox(sqlite_url, tmp_path, 30) as (sandbox, runtime, user):
        accounts = {
            p: connect_sandbox_account(runtime, sandbox, user, p)
            for p in ("spotify", "tidal", "deezer")
        }
        isrcs = [f"QZTST26{n:05d}" for n in range(30)]

        def sid(provider: str, isrc: str) -> str:
            return sandbox.catalog.by_isrc(provider, isrc)[0].id_for(provider)

        sandbox.seed_library("spotify", "demo-user", liked=[sid("spotify", i) for i in isrcs[:10]])
        sandbox.seed_library("tidal", "demo-user", liked=[sid("tidal", i) for i in isrcs[5:12]])
        with (
            session_scope(runtime.engine) as session,
            pytest.raises(UsageError, match="documents no endpoint"),
        ):
            create_group(
                session,
                user,
                "deezer-liked",
                [
                    {"kind": "liked", "account_id": accounts["spotify"]},
                    {"kind": "liked", "account_id": accounts["deezer"]},
                ],
            )
        with session_scope(runtime.engine) as session:
            group = int(
                create_group(
                    session,
                    user,
                    "liked",
                    [{"kind": "liked", "account_id": accounts[p]} for p in ("spotify", "tidal")],
                ).id
            )
        run_group(runtime, user, group)
        sandbox.log.clear()
        run_group(runtime, user, group, apply=True)
        writes = [(r.provider, r.method, r.path) for r in sandbox.log.records if r.method != "GET"]
        assert writes  # through the liked-library endpoints, never a playlist
        assert all(
            w[2].endswith(("/me/library", "/userCollectionTracks/me/relationships/items"))
            for w in writes
        ), writes

        def liked(provider: str) -> set[str]:
            library = sandbox.state.library(provider, "demo-user").liked
            found = (sandbox.catalog.track(provider, t) for t, _ in library)
            return {t.isrc for t in found if t is not None and t.isrc}

        assert liked("spotify") == liked("tidal") == set(isrcs[:12])
        with sandbox.state.lock:  # unliked on TIDAL: unliked on Spotify next run
            lib = sandbox.state.library("tidal", "demo-user")
            lib.liked = [e for e in lib.liked if e[0] != sid("tidal", isrcs[0])]
        run_group(runtime, user, group, apply=True)
        assert liked("spotify") == liked("tidal") == set(isrcs[1:12])


def test_a_review_level_match_waits_for_a_person_then_lands(
    sqlite_url: str, tmp_path: Path
) -> None:
    import csv

    from engine import formats
    from engine.demo import connect_sandbox_account
    from engine.store import repo

    with served_sandbox(sqlite_url, tmp_path, 30) as (sandbox, runtime, user):
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        playlist = sandbox.seed_playlist("spotify", "demo-user", "mix", [])
        path = tmp_path / "mix.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["title", "artist", "album", "isrc"])
            out.writerow(["Song 00013", "Artist 13", "Album 0001", "QZTST2600013"])  # sure
            out.writerow(["Song 0001", "Artist 99", "Whatever", ""])  # a person decides
        candidate = sandbox.catalog.by_isrc("spotify", "QZTST2600001")[0].id_for("spotify")
        group = file_and_playlist_group(runtime, user, path, account, playlist)
        with session_scope(runtime.engine) as session:
            # the matcher's verdict on the unsure row, as a review-level match leaves it
            # (the tier itself is the matcher's business: tests/matching)
            unsure = repo.upsert_tracks(session, formats.read(path))[1]
            repo.record_decision(
                session,
                user,
                unsure,
                "spotify",
                status="pending",
                tier="review",
                candidates=[{"id": candidate, "title": "Song 00001", "score": 0.7}],
            )
        shown = run_group(runtime, user, group)
        [spotify] = [m for m in shown["members"] if "spotify" in m["label"]]
        [review] = spotify["review"]
        assert review["why"] == "waiting for review on spotify"
        with session_scope(runtime.engine) as session:
            [item] = [i for i in open_items(session, user, group) if i["kind"] == "match"]
            [pending] = repo.pending_reviews(session, user, 0, 10)
        run_group(runtime, user, group, apply=True)
        assert len(sandbox.playlist_track_ids("spotify", playlist)) == 1  # only the sure one
        with session_scope(runtime.engine) as session:  # a person accepts the candidate
            repo.decide(session, user, pending.id, target_track_id=candidate)
        run_group(runtime, user, group, apply=True)
        assert sandbox.playlist_track_ids("spotify", playlist)[-1] == candidate
        with session_scope(runtime.engine) as session:
            assert [i for i in open_items(session, user, group) if i["kind"] == "match"] == []
        assert item["detail"]["track_id"] == unsure


def test_a_track_the_provider_refuses_is_reported_and_the_rest_lands(
    sqlite_url: str, tmp_path: Path
) -> None:
    import csv

    from engine.demo import connect_sandbox_account
    from engine.store import repo

    with served_sandbox(sqlite_url, tmp_path, 30) as (sandbox, runtime, user):
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        playlist = sandbox.seed_playlist("spotify", "demo-user", "mix", [])
        path = tmp_path / "mix.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["title", "artist", "album", "isrc"])
            for n in (3, 4, 5):
                out.writerow([f"Song {n:05d}", f"Artist {n:02d}", "A", f"QZTST26{n:05d}"])
        group = file_and_playlist_group(runtime, user, path, account, playlist)
        run_group(runtime, user, group)  # the dry run stores the file's tracks
        with session_scope(runtime.engine) as session:
            [four] = repo.tracks_by_isrc(session, "QZTST2600004")
            repo.record_decision(  # a curator's (wrong) id that Spotify does not know
                session,
                user,
                four.id,
                "spotify",
                status="matched",
                target_track_id="0000000000000000000000",
                decided_by="curator",
            )
        applied = run_group(runtime, user, group, apply=True)
        [writes] = [w for w in applied["applied"].values() if w.get("refused")]
        assert list(writes["refused"]) == ["0000000000000000000000"]
        got = sandbox.playlist_track_ids("spotify", playlist)
        assert len(got) == 2  # the other two landed, in order
        quiet = run_group(runtime, user, group, apply=True)  # not read as a removal
        assert len(sandbox.playlist_track_ids("spotify", playlist)) == 2
        assert [len(m["remove"]) for m in quiet["members"]] == [0, 0]
