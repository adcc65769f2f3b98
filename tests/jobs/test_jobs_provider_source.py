"""migrate from a provider playlist (and liked tracks) to another provider,
both on the sandbox served on loopback; then pull and sync on the same pair."""

from __future__ import annotations

from pathlib import Path

from jobs_helpers import ensure_user, make_runtime

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, run_job, submit
from engine.jobs.plan import load_plan
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer


def test_provider_to_provider_migrate_then_sync(sqlite_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    listing = [t for t in sandbox.catalog.listing("spotify") if "deezer" in t.ids][:30]
    source_ids = [t.id_for("spotify") for t in listing]
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        spotify = connect_sandbox_account(runtime, sandbox, user, "spotify")
        deezer = connect_sandbox_account(runtime, sandbox, user, "deezer")
        playlist = sandbox.seed_playlist("spotify", "demo-user", "Commute", source_ids)
        sandbox.seed_library("spotify", "demo-user", liked=source_ids[:5])
        params = {
            "source": {"account_id": spotify, "provider_playlist_id": playlist},
            "target_account_id": deezer,
            "report_dir": str(tmp_path),
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
        row = job_row(runtime, job)
        [target] = row["result"]["target_playlists"]
        got = sandbox.playlist_track_ids("deezer", target)
        wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
        assert got == wanted and len(got) >= 25
        by_deezer = {t.id_for("deezer"): t.key for t in listing}
        order = [t.key for t in listing]
        keys = [by_deezer.get(i) for i in got]
        known = [k for k in keys if k]
        assert known == [k for k in order if k in set(known)]  # source order kept

        liked = submit(
            runtime,
            "migrate",
            {**params, "source": {"account_id": spotify, "provider_playlist_id": "liked"}},
            user_id=user,
            start=False,
        )
        assert run_job(runtime, liked) == "succeeded", job_row(runtime, liked)["error"]
        assert job_row(runtime, liked)["result"]["source_tracks"] == 5

        # the source changes on Spotify: pull it again, then sync Deezer to it
        sandbox.seed_playlist("spotify", "demo-user", "unrelated", source_ids[:1])
        pull = submit(
            runtime,
            "pull",
            {"account_id": spotify, "playlists": [playlist]},
            user_id=user,
            start=False,
        )
        assert run_job(runtime, pull) == "succeeded", job_row(runtime, pull)["error"]
        stored = row["checkpoint"]["source_playlist_id"]
        sync = submit(
            runtime,
            "sync",
            {
                "source": {"playlist_id": stored},
                "target_account_id": deezer,
                "target_playlist_id": target,
                "dry_run": False,
            },
            user_id=user,
            start=False,
        )
        assert run_job(runtime, sync) == "succeeded", job_row(runtime, sync)["error"]
        result = job_row(runtime, sync)["result"]
        assert result["add"] == [] and result["remove"] == [] and result["in_sync"]
        assert sandbox.playlist_track_ids("deezer", target) == got
        runtime.close()
