"""Submission, running, cancel/retry and the progress channel, on real stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_helpers import ensure_user, make_runtime, register_test_kinds
from sqlalchemy import func, select, update

from engine.errors import ConflictError, NotFoundError, UsageError
from engine.jobs import cancel, follow, job_row, list_jobs, read_progress, retry, run_job, submit
from engine.jobs.control import due_jobs, work_embedded
from engine.jobs.runner import next_quota_reset
from engine.runtime import Runtime
from engine.store.models import Job

register_test_kinds()
HERE = Path(__file__).parent


@pytest.fixture
def runtime(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    rt = make_runtime(db_url, tmp_path)
    yield rt
    rt.close()


def test_same_request_gives_same_job_and_users_are_separate(runtime: Runtime) -> None:
    alice, bob = ensure_user(runtime, "alice"), ensure_user(runtime, "bob")
    first = submit(runtime, "test_count", {"n": 3, "b": [1, 2]}, user_id=alice, start=False)
    again = submit(runtime, "test_count", {"b": [1, 2], "n": 3}, user_id=alice, start=False)
    other = submit(runtime, "test_count", {"n": 4, "b": [1, 2]}, user_id=alice, start=False)
    bobs = submit(runtime, "test_count", {"n": 3, "b": [1, 2]}, user_id=bob, start=False)
    keyed = submit(
        runtime, "test_count", {"n": 5}, user_id=alice, idempotency_key="k1", start=False
    )
    keyed2 = submit(
        runtime, "test_count", {"n": 6}, user_id=alice, idempotency_key="k1", start=False
    )
    assert first == again and keyed == keyed2
    assert len({first, other, bobs, keyed}) == 4
    assert job_row(runtime, first)["state"] == "queued"
    with pytest.raises(NotFoundError):
        job_row(runtime, first, user_id=bob)


def test_refuses_credentials_unknown_kinds_and_non_json(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    with pytest.raises(UsageError, match="access_token"):
        submit(runtime, "test_count", {"source": {"access_token": "x"}}, user_id=user)
    with pytest.raises(UsageError, match="unknown job kind"):
        submit(runtime, "nope", {}, user_id=user)
    with pytest.raises(UsageError, match="JSON"):
        submit(runtime, "test_count", {"when": datetime.now(UTC)}, user_id=user)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Job)).scalar() == 0


def test_finished_job_key_is_released_after_the_window(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    first = submit(runtime, "test_count", {"n": 1}, user_id=user, start=False)
    assert run_job(runtime, first) == "succeeded"
    assert submit(runtime, "test_count", {"n": 1}, user_id=user, start=False) == first
    with runtime.engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == first)
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    second = submit(runtime, "test_count", {"n": 1}, user_id=user, start=False)
    assert second != first
    assert job_row(runtime, first)["state"] == "succeeded"


def test_run_checkpoints_progress_and_result(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    job_id = submit(runtime, "test_count", {"n": 10, "batch": 4}, user_id=user, start=False)
    assert run_job(runtime, job_id) == "succeeded"
    row = job_row(runtime, job_id)
    assert row["result"] == {"counted": 10, "attempt": 1}
    assert row["checkpoint"] == {"done": 10}
    progress = read_progress(runtime, job_id)
    assert progress["state"] == "succeeded" and progress["done"] == 10
    assert run_job(runtime, job_id) == "succeeded"  # a second run is a no-op
    assert job_row(runtime, job_id)["attempts"] == 1


def test_resume_from_checkpoint_after_a_crash(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    job_id = submit(runtime, "test_count", {"n": 9, "batch": 3}, user_id=user, start=False)
    with runtime.engine.begin() as conn:  # what a killed worker leaves behind
        conn.execute(
            update(Job).where(Job.id == job_id).values(state="running", checkpoint={"done": 6})
        )
    assert run_job(runtime, job_id) == "succeeded"
    assert job_row(runtime, job_id)["result"]["counted"] == 9


def test_failures_quota_and_transient_errors(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    user = ensure_user(runtime)
    data = submit(runtime, "test_fail", {"error": "data"}, user_id=user, start=False)
    assert run_job(runtime, data) == "failed"
    assert "row 3: no title" in (job_row(runtime, data)["error"] or "")
    assert read_progress(runtime, data)["last_error"].startswith("data:")

    quota = submit(runtime, "test_fail", {"error": "quota"}, user_id=user, start=False)
    assert run_job(runtime, quota) == "waiting"
    resume = datetime.fromisoformat(job_row(runtime, quota)["resume_after"])
    assert timedelta(0) < resume.astimezone(UTC) - datetime.now(UTC) <= timedelta(hours=25)
    assert quota not in due_jobs(runtime)
    assert quota in due_jobs(runtime, now=datetime.now(UTC) + timedelta(days=1, hours=1))

    flaky = submit(runtime, "test_fail", {"error": "unavailable"}, user_id=user, start=False)
    assert run_job(runtime, flaky) == "waiting"
    crash = submit(runtime, "test_fail", {"error": "other"}, user_id=user, start=False)
    with caplog.at_level("ERROR", logger="engine.jobs.runner"):
        assert run_job(runtime, crash) == "failed"
    # internal exception text stays in the log, never in the job's error field
    error = job_row(runtime, crash)["error"] or ""
    assert error == f"internal: the job stopped on an unexpected error (logged as job {crash})"
    assert "boom" not in read_progress(runtime, crash)["last_error"]
    assert "RuntimeError: boom" in caplog.text


def test_next_quota_reset_is_pacific_midnight() -> None:
    now = datetime(2026, 1, 15, 7, 59, tzinfo=UTC)  # 23:59 PST
    assert next_quota_reset(now) == datetime(2026, 1, 15, 8, 1, tzinfo=UTC)
    later = datetime(2026, 7, 15, 7, 30, tzinfo=UTC)  # 00:30 PDT
    assert next_quota_reset(later) == datetime(2026, 7, 16, 7, 1, tzinfo=UTC)


def test_cancel_and_retry(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    job_id = submit(runtime, "test_count", {"n": 6, "batch": 2}, user_id=user, start=False)
    assert cancel(runtime, job_id) == "cancelled"
    assert run_job(runtime, job_id) == "cancelled"  # a cancelled job is never claimed
    with pytest.raises(ConflictError):
        cancel(runtime, job_id)
    assert retry(runtime, job_id, start=False) == "queued"
    assert [j["id"] for j in list_jobs(runtime, user_id=user, state="queued")] == [job_id]
    assert work_embedded(runtime, burst=True) == 1
    assert job_row(runtime, job_id)["state"] == "succeeded"
    with pytest.raises(ConflictError):
        retry(runtime, job_id)


def test_running_job_stops_at_next_checkpoint_when_cancelled(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    job_id = submit(
        runtime, "test_count", {"n": 200, "batch": 1, "sleep": 0.01}, user_id=user, start=False
    )
    thread = threading.Thread(target=run_job, args=(runtime, job_id))
    thread.start()
    for value in follow(runtime, job_id, poll_s=0.02, timeout_s=20):
        if value["done"] >= 3:
            cancel(runtime, job_id)
            break
    thread.join(20)
    row = job_row(runtime, job_id)
    assert row["state"] == "cancelled"
    assert 3 <= row["checkpoint"]["done"] < 200


def test_follow_ends_on_terminal_state(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    job_id = submit(runtime, "test_count", {"n": 5, "batch": 1}, user_id=user)  # thread
    seen = list(follow(runtime, job_id, poll_s=0.02, timeout_s=30))
    assert seen[-1]["state"] == "succeeded"
    assert seen[-1]["done"] == 5


def test_close_waits_for_in_process_job_threads(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    job_id = submit(runtime, "test_count", {"n": 4, "batch": 1, "sleep": 0.05}, user_id=user)
    [thread] = runtime.background
    runtime.close()  # waits: no job thread is left using the disposed engine
    assert not thread.is_alive() and runtime.background == []
    reopened = make_runtime(db_url, tmp_path)
    assert job_row(reopened, job_id)["state"] == "succeeded"
    reopened.close()


def _concurrent_submitters(db_url: str, redis_url: str | None, tmp_path: Path) -> set[str]:
    script = (HERE / "submit_storm.py").resolve()
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), db_url, redis_url or "", str(tmp_path), "50"],
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(2)
    ]
    ids: set[str] = set()
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        result = json.loads(out)
        assert len(result) == 50
        ids.update(result)
    return ids


def test_two_processes_fifty_submissions_one_job_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(sqlite_url, tmp_path)
    ensure_user(runtime)
    ids = _concurrent_submitters(sqlite_url, None, tmp_path)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Job)).scalar() == 1
    runtime.close()
    assert len(ids) == 1


@pytest.mark.redis
def test_two_processes_fifty_submissions_one_job_pg_redis(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    runtime = make_runtime(pg_url, tmp_path, redis_url)
    ensure_user(runtime)
    ids = _concurrent_submitters(pg_url, redis_url, tmp_path)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Job)).scalar() == 1
    runtime.close()
    assert len(ids) == 1


def test_feature_flags_refuse_submission_and_stop_queued_jobs(runtime: Runtime) -> None:
    from engine.errors import FeatureDisabledError
    from engine.flags import set_flag

    user = ensure_user(runtime)
    queued = submit(runtime, "test_count", {"n": 2}, user_id=user, start=False)
    set_flag(runtime, "feature.test", False)
    with pytest.raises(FeatureDisabledError):
        submit(runtime, "test_count", {"n": 3}, user_id=user, start=False)
    assert run_job(runtime, queued) == "cancelled"
    assert "feature.test is switched off" in (job_row(runtime, queued)["error"] or "")
    set_flag(runtime, "feature.test", True)
    assert retry(runtime, queued, start=False) == "queued"
    assert run_job(runtime, queued) == "succeeded"


def test_embedded_worker_takes_over_only_lapsed_leases(runtime: Runtime) -> None:
    user = ensure_user(runtime)
    job_id = submit(runtime, "test_count", {"n": 4}, user_id=user, start=False)
    lease_until = datetime.now(UTC) + timedelta(seconds=30)
    with runtime.engine.begin() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state="running", lease_owner="elsewhere:1:abc", lease_until=lease_until)
        )
    assert job_id not in due_jobs(runtime)  # its runner is alive (renewing)
    assert run_job(runtime, job_id) == "running"  # held: a second caller does not run it
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert job_id in due_jobs(runtime, now=later)  # not renewed for minutes: it died
    with runtime.engine.begin() as conn:  # the lease lapses for real
        conn.execute(update(Job).where(Job.id == job_id).values(lease_until=datetime.now(UTC)))
    assert run_job(runtime, job_id) == "succeeded"
    assert list_jobs(runtime, user_id=user, kind="test_count")[0]["attempts"] == 1
