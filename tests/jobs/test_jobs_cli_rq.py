"""The job CLI (in-process, real SQLite) and RQ workers on a real Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from jobs_helpers import ensure_user, make_runtime, register_test_kinds
from ledger_provider import LedgerProvider, catalog_for, install, ledger_account
from test_jobs_migrate import source_records, store_playlist

from engine.cli import main
from engine.jobs import follow, job_row, read_progress, run_job, submit
from engine.store import repo
from engine.store.db import session_scope

install()
register_test_kinds()


def test_cli_migrate_diff_gc_jobs(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = make_runtime(cli_env, tmp_path)
    with session_scope(runtime.engine) as session:
        user = int(repo.local_user(session).id)
    ensure_user(runtime)
    ledger = LedgerProvider.create(tmp_path / "l.json", catalog_for(6), max_playlist_size=100)
    account = ledger_account(runtime, user, ledger)
    playlist = store_playlist(runtime, user, source_records(6))
    assert (
        main(
            [
                "migrate",
                "--playlist",
                str(playlist),
                "--to",
                str(account),
                "--report-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["state"] == "succeeded" and out["result"]["added"] == 6
    job_id = out["id"]
    # same command again: same job, nothing new
    assert (
        main(
            [
                "migrate",
                "--playlist",
                str(playlist),
                "--to",
                str(account),
                "--report-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["id"] == job_id

    assert main(["jobs", "list"]) == 0
    assert job_id in capsys.readouterr().out
    assert main(["jobs", "status", job_id]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "succeeded"
    assert main(["jobs", "cancel", job_id]) == 1  # finished: a clear error
    assert "only unfinished jobs" in capsys.readouterr().err

    with session_scope(runtime.engine) as session:
        [snapshot] = repo.list_snapshots(session, playlist)
    target = next(iter(LedgerProvider(ledger).contents()))
    assert (
        main(
            [
                "diff",
                str(snapshot.id),
                "--live-account",
                str(account),
                "--live-playlist",
                target,
                "--json",
            ]
        )
        == 0
    )
    diff = json.loads(capsys.readouterr().out)
    assert diff["summary"]["removed"] == 1  # the source track the target lacks

    assert main(["gc", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["result"]["would_delete"] == []
    assert (
        main(
            ["sync", "--playlist", str(playlist), "--to", str(account), "--target-playlist", target]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["result"]["dry_run"] is True

    assert main(["gc", "--detach", "--keep-last", "3"]) == 0
    assert main(["worker", "--burst"]) == 0
    assert "ran 1 job" in capsys.readouterr().err
    runtime.close()


@pytest.mark.redis
def test_rq_worker_runs_submitted_jobs(pg_url: str, redis_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(pg_url, tmp_path, redis_url)
    user = ensure_user(runtime)
    job = submit(runtime, "snapshot_gc", {"keep_last": 2}, user_id=user)  # enqueued on RQ
    assert job_row(runtime, job)["state"] == "queued"
    env = {
        **os.environ,
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "CROSSFADE_DATA_DIR": str(tmp_path / "w"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "engine", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert job_row(runtime, job)["state"] == "succeeded"
    assert read_progress(runtime, job)["state"] == "succeeded"
    runtime.close()


@pytest.mark.redis
def test_follow_wakes_on_redis_pubsub(sqlite_url: str, redis_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(sqlite_url, tmp_path, redis_url)
    user = ensure_user(runtime)
    job = submit(
        runtime, "test_count", {"n": 20, "batch": 1, "sleep": 0.02}, user_id=user, start=False
    )
    thread = threading.Thread(target=run_job, args=(runtime, job))
    thread.start()
    seen = list(follow(runtime, job, poll_s=5.0, timeout_s=30))  # pub/sub wakes it early
    thread.join()
    assert seen[-1]["state"] == "succeeded"
    assert len(seen) >= 3
    assert runtime.redis is not None and runtime.redis.get(f"crossfade:job:{job}:progress")
    runtime.close()
