"""Jobs that finish, against the sandbox served on loopback: one bad track (a
404 on its search, a 400 on its add) is reported and the job goes on; only a
systemic error fails a job, and says which; identical source rows get identical
targets and the same recording is never added twice; a playlist the provider
reports full continues in "Name (2)", in order."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from jobs_helpers import ensure_user, make_runtime
from test_jobs_migrate import store_playlist

from engine.auth.crypto import load_key_ring
from engine.auth.tokens import save_app_credentials
from engine.demo import connect_sandbox_account
from engine.jobs import job_row, run_job, submit
from engine.jobs.duplicates import mark_duplicates
from engine.jobs.plan import load_plan
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.catalog import CatalogTrack
from engine.sandbox.oauth import DEFAULT_CLIENT_ID
from engine.sandbox.server import SandboxServer
from engine.store.db import session_scope


class RefusingSandbox(Sandbox):
    """Answers 404 to any search naming one of ``missing`` (every rung of the
    query ladder asks about the track's title or artist) and 400 to any add
    carrying ``unplayable_id``, the way the real APIs refuse one track."""

    missing: tuple[str, ...] = ()
    unplayable_id = ""

    def handle(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params.get("q") or request.url.path
        refused = any(word and word.casefold() in query.casefold() for word in self.missing)
        if refused and request.method == "GET":
            return httpx.Response(404, json={"error": {"status": 404, "message": "Not found"}})
        body = request.content.decode("utf-8", "replace") if request.method == "POST" else ""
        if self.unplayable_id and self.unplayable_id in body:
            return httpx.Response(
                400, json={"error": {"status": 400, "message": "Track is not playable"}}
            )
        return super().handle(request)


def _record(track: CatalogTrack, *, isrc: bool = True, **extra: Any) -> dict[str, Any]:
    return {
        "title": track.title,
        "artists": list(track.artists),
        "album": track.album,
        "duration_ms": track.duration_ms,
        "isrc": track.isrc if isrc else None,
        **extra,
    }


def _migrate(
    runtime: Runtime, user: int, playlist: int, account: int, tmp_path: Path, **extra: Any
) -> tuple[str, dict[str, Any]]:
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "report_dir": str(tmp_path),
        **extra,
    }
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    run_job(runtime, job)
    return job, job_row(runtime, job)


def test_one_bad_search_and_one_refused_add_do_not_sink_the_job(
    sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = RefusingSandbox.from_catalog(sample_path(CATALOG))
    tracks = sandbox.catalog.listing("spotify")[:30]
    artists = [a for t in sandbox.catalog.listing("spotify") for a in t.artists]
    missing = next(t for t in tracks[3:] if all(artists.count(a) == 1 for a in t.artists))
    unplayable = next(t for t in tracks[12:] if t is not missing)
    # no ISRC for the missing one, so it is searched (and its search answers 404)
    records = [_record(t, isrc=t is not missing) for t in tracks]
    sandbox.missing = (missing.title, *missing.artists)
    sandbox.unplayable_id = unplayable.id_for("spotify")
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        playlist = store_playlist(runtime, user, records)
        job, row = _migrate(runtime, user, playlist, account, tmp_path)
        assert row["state"] == "succeeded", row["error"]
        plan = load_plan(runtime, job)
        by_title = {r["title"]: r for r in plan}
        assert by_title[missing.title]["status"] == "not_available"
        assert by_title[missing.title]["reason"].startswith("search failed: not-found")
        assert by_title[unplayable.title]["status"] == "rejected"
        assert "Track is not playable" in by_title[unplayable.title]["reason"]
        result = row["result"]
        assert result["rejected"] == 1 and result["failed_searches"] == 1
        [target] = result["target_playlists"]
        wanted = [t.id_for("spotify") for t in tracks if t not in (missing, unplayable)]
        assert sandbox.playlist_track_ids("spotify", target) == wanted  # the rest, in order
        with Path(result["report"]).open(encoding="utf-8") as handle:
            reasons = {r["title"]: r["reason"] for r in csv.DictReader(handle)}
        assert reasons[missing.title].startswith("search failed")
        assert reasons[unplayable.title].startswith("add rejected")

        # a sync to another playlist meets the same refusal: reported, the rest go on
        other = sandbox.seed_playlist("spotify", "demo-user", "Other", [])
        sync = submit(
            runtime,
            "sync",
            {
                "source": {"playlist_id": playlist},
                "target_account_id": account,
                "target_playlist_id": other,
                "dry_run": False,
            },
            user_id=user,
            start=False,
        )
        assert run_job(runtime, sync) == "succeeded", job_row(runtime, sync)["error"]
        synced = job_row(runtime, sync)["result"]
        assert list(synced["refused"]) == [unplayable.id_for("spotify")]
        assert synced["in_sync"] is True
        assert sandbox.playlist_track_ids("spotify", other) == wanted
        runtime.close()


def test_a_revoked_account_fails_the_job_and_says_it_is_systemic(
    sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    tracks = sandbox.catalog.listing("spotify")[:5]
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        playlist = store_playlist(runtime, user, [_record(t) for t in tracks])
        with session_scope(runtime.engine) as session:  # the app a refresh goes through
            save_app_credentials(
                session,
                load_key_ring(runtime.settings),
                user_id=user,
                provider="spotify",
                client_id=DEFAULT_CLIENT_ID,
                client_secret=None,
            )
        sandbox.state.expire_access_tokens("spotify")
        sandbox.state.revoke_refresh_tokens("spotify")
        _, row = _migrate(runtime, user, playlist, account, tmp_path)
        assert row["state"] == "failed"
        assert "systemic: auth revoked" in row["error"], row["error"]
        runtime.close()


def test_identical_rows_get_identical_targets_and_a_rerun_the_same_plan(
    sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    tracks = [t for t in sandbox.catalog.listing("spotify") if t.isrc][:60]
    once = [_record(t) for t in tracks]
    twice = [*once, *once]  # every track appears twice
    # ... and one as another edition (the compilation Deezer also lists)
    alternates = [t for t in sandbox.catalog.listing("deezer") if t.key.endswith(":alt")]
    alt = alternates[0]
    original = next(t for t in sandbox.catalog.listing("spotify") if t.isrc == alt.isrc)
    twice += [_record(original), _record(alt)]
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "deezer")
        playlist = store_playlist(runtime, user, twice)
        plans = []
        for run in range(2):
            job, row = _migrate(
                runtime, user, playlist, account, tmp_path, review_policy="best", name=f"r{run}"
            )
            assert row["state"] == "succeeded", row["error"]
            plans.append(load_plan(runtime, job))
            [target] = row["result"]["target_playlists"]
            got = sandbox.playlist_track_ids("deezer", target)
            assert len(got) == len(set(got))
            isrcs = [sandbox.catalog.track("deezer", i).isrc for i in got]  # type: ignore[union-attr]
            assert len(isrcs) == len(set(isrcs)), "the same recording was added twice"
        first, again = plans
        assert [r["target_id"] for r in first] == [r["target_id"] for r in again]
        assert [r["best_id"] for r in first] == [r["best_id"] for r in again]
        n = len(once)
        for a, b in zip(first[:n], first[n : 2 * n], strict=True):
            assert a["best_id"] == b["best_id"]  # identical rows, identical decisions
            if a["target_id"]:
                assert b["status"] == "duplicate"
                assert b["reason"] == f"the same target as position {a['position']}"
        added = {r["target_id"] for r in first if r["target_id"]}
        resolved = {r["isrc"] for r in first if r["status"] in ("matched", "duplicate")}
        assert len(added) == len(resolved)  # one target per recording
        edition = first[-1]  # the compilation edition of a track already added
        assert edition["status"] == "duplicate", edition
        assert f"ISRC {alt.isrc}" in edition["reason"] or "same target" in edition["reason"]
        runtime.close()


def test_same_recording_under_another_id_is_caught_before_writing() -> None:
    candidates = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "isrc": [None, None, "GBX1", "GBX1"],
            "title": ["Héroes", "Heroes", "Song", "Song (Live)"],
            "artists": [["Bowie"], ["bowie"], ["X"], ["X"]],
            "duration_ms": [200_000, 201_000, 180_000, 240_000],
        }
    )
    plan = [{"position": i, "target_id": t, "status": "matched"} for i, t in enumerate("abcd")]
    mark_duplicates(plan, candidates)
    assert [r["status"] for r in plan] == ["matched", "duplicate", "matched", "duplicate"]
    assert plan[1]["reason"] == "the same recording (title, artists, duration) as position 0"
    assert plan[3]["reason"] == "the same recording (ISRC GBX1) as position 2"
    far = [{"position": 0, "target_id": "a"}, {"position": 1, "target_id": "b"}]
    mark_duplicates(far, candidates.with_columns(pl.Series("duration_ms", [1, 9_000, 0, 0])))
    assert far[1]["target_id"] == "b"  # same title and artists, another length: kept


def test_a_full_playlist_continues_in_a_second_part_in_order(
    sqlite_url: str, tmp_path: Path
) -> None:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    sandbox.config.max_playlist_size["tidal"] = 30  # no document gives TIDAL's cap
    tracks = [t for t in sandbox.catalog.listing("tidal") if t.isrc][:75]
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "tidal")
        playlist = store_playlist(runtime, user, [_record(t) for t in tracks])
        job, row = _migrate(runtime, user, playlist, account, tmp_path, name="Long")
        assert row["state"] == "succeeded", row["error"]
        playlists = row["result"]["target_playlists"]
        assert len(playlists) == 3
        contents = [sandbox.playlist_track_ids("tidal", p) for p in playlists]
        assert [len(c) for c in contents] == [30, 30, 15]
        wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
        assert [i for c in contents for i in c] == wanted  # order kept across parts
        names = {p.id: p.name for p in sandbox_playlists(sandbox, playlists)}
        assert [names[p] for p in playlists] == ["Long", "Long (2)", "Long (3)"]
        assert row["checkpoint"]["learned_cap"] == 30
        runtime.close()


def sandbox_playlists(sandbox: Sandbox, ids: list[str]) -> list[Any]:
    return [sandbox.state.playlist("tidal", i) for i in ids]
