"""One runner per job: a lease its holder renews, taken over only after it
lapses, on SQLite and on Postgres, with separate processes; and a second
caller follows the running job instead of running it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_helpers import ensure_user, make_runtime, register_test_kinds
from sqlalchemy import update

from engine.cli import main
from engine.jobs import cancel, job_row, read_progress, run_job, submit
from engine.jobs.lease import max_concurrent_runners, runner_log
from engine.jobs.runner import MAX_ATTEMPTS
from engine.runtime import Runtime
from engine.store.models import Job

register_test_kinds()
HERE = Path(__file__).parent
LEASE_S = 1.5
"""Short leases, so a takeover after a kill happens within the test."""


def _env(**extra: str) -> dict[str, str]:
    path = f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    return {**os.environ, "PYTHONPATH": path, "CROSSFADE_JOB_LEASE_S": str(LEASE_S), **extra}


def _runner(db_url: str, tmp_path: Path, job: str) -> subprocess.Popen[str]:
    command = [sys.executable, str(HERE / "lease_runner.py"), db_url, str(tmp_path), job]
    return subprocess.Popen(
        command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_done(runtime: Runtime, job: str, at_least: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while read_progress(runtime, job)["done"] < at_least:
        assert time.monotonic() < deadline, read_progress(runtime, job)
        time.sleep(0.05)


def test_two_processes_on_one_job_make_one_runner(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    job = submit(
        runtime, "test_count", {"n": 20, "batch": 1, "sleep": 0.1}, user_id=user, start=False
    )
    first, second = _runner(db_url, tmp_path, job), _runner(db_url, tmp_path, job)
    outs = [p.communicate(timeout=120) for p in (first, second)]
    for (out, err), proc in zip(outs, (first, second), strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert out.strip() == "succeeded"  # the second one followed the first to its end
    row = job_row(runtime, job)
    assert row["state"] == "succeeded" and row["result"]["counted"] == 20
    assert row["attempts"] == 1
    assert len(runner_log(runtime, job)) == 1


def test_a_killed_holder_is_taken_over_only_after_its_lease_lapses(
    db_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    job = submit(
        runtime, "test_count", {"n": 30, "batch": 1, "sleep": 0.1}, user_id=user, start=False
    )
    holder = _runner(db_url, tmp_path, job)
    _wait_done(runtime, job, 5)
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=30)  # reaps it and closes its pipes
    killed_at = datetime.now(UTC)
    follower, late = _runner(db_url, tmp_path, job), None
    try:
        _wait_done(runtime, job, 12)  # the follower took over and goes on
        late = _runner(db_url, tmp_path, job)  # a third caller now follows the follower
        results = [p.communicate(timeout=120) for p in (follower, late)]
    finally:
        for proc in (follower, late):
            if proc is not None and proc.poll() is None:
                proc.kill()
    assert [out.strip() for out, _ in results] == ["succeeded", "succeeded"], results
    row = job_row(runtime, job)
    assert row["state"] == "succeeded" and row["result"]["counted"] == 30
    assert row["attempts"] == 2  # the killed holder and one follower; the third never ran it
    claims = runner_log(runtime, job)
    assert len(claims) == 2 and max_concurrent_runners(claims) == 1
    taken_over = datetime.fromisoformat(claims[1]["claimed_at"])
    last_renewal = datetime.fromisoformat(claims[0]["seen_at"])
    assert taken_over >= last_renewal + timedelta(seconds=LEASE_S)  # only after it lapsed
    assert taken_over >= killed_at - timedelta(seconds=0.5)


def test_a_runner_that_lost_its_lease_writes_nothing_more(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    job = submit(
        runtime, "test_count", {"n": 40, "batch": 1, "sleep": 0.05}, user_id=user, start=False
    )
    ended: list[str] = []
    thread = threading.Thread(target=lambda: ended.append(run_job(runtime, job)))
    thread.start()
    _wait_done(runtime, job, 3)
    later = datetime.now(UTC) + timedelta(minutes=5)
    with runtime.engine.begin() as conn:  # another runner took the job over
        conn.execute(
            update(Job).where(Job.id == job).values(lease_owner="thief:1:x", lease_until=later)
        )
    taken = int(job_row(runtime, job)["checkpoint"].get("done", 0))
    thread.join(30)
    assert ended == ["running"]  # it stopped, and left the job to its new holder
    row = job_row(runtime, job)
    assert int(row["checkpoint"]["done"]) <= taken + 1  # at most the write in flight
    assert row["state"] == "running" and row["finished_at"] is None


def test_jobs_retry_on_the_embedded_default_runs_in_process(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    runtime = make_runtime(sqlite_url, tmp_path)
    from engine.store import repo
    from engine.store.db import session_scope

    with session_scope(runtime.engine) as session:
        user = int(repo.local_user(session).id)
    job = submit(runtime, "test_count", {"n": 3}, user_id=user, start=False)
    cancel(runtime, job, user_id=user)
    assert main(["jobs", "retry", job]) == 0
    row = job_row(runtime, job)
    assert row["state"] == "succeeded" and row["result"]["counted"] == 3


def test_systemic_failures_say_which(sqlite_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(sqlite_url, tmp_path)
    user = ensure_user(runtime)
    no_reset = submit(runtime, "test_fail", {"error": "quota-no-reset"}, user_id=user, start=False)
    assert run_job(runtime, no_reset) == "failed"  # no reset time: waiting would never end
    assert "(systemic: quota spent with no reset time)" in job_row(runtime, no_reset)["error"]
    breaker = submit(runtime, "test_fail", {"error": "breaker"}, user_id=user, start=False)
    assert run_job(runtime, breaker) == "waiting"  # within its budget: it waits
    for _ in range(MAX_ATTEMPTS - 1):
        with runtime.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == breaker).values(resume_after=None))
        state = run_job(runtime, breaker)
    assert state == "failed"
    error = job_row(runtime, breaker)["error"]
    assert "(systemic: circuit breaker open past its retry budget)" in error
