"""Postgres + Redis in separate processes: any submitted job reaches a worker
(the API with ``--no-start-jobs``, and jobs stranded in the store), one runner
per job across two workers, and a job whose worker and work-horse were
SIGKILLed is re-enqueued and resumed by a fresh worker with no manual step."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest
from jobs_helpers import ensure_user, make_runtime, register_test_kinds
from sqlalchemy import insert

from engine.jobs import job_row, read_progress, submit
from engine.jobs.lease import max_concurrent_runners, runner_log
from engine.jobs.progress import TERMINAL_STATES
from engine.runtime import Runtime
from engine.store.db import session_scope
from engine.store.models import Job
from engine.store.users import create_api_token

register_test_kinds()
HERE = Path(__file__).parent
LEASE_S = 2.0
pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _env(pg_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "CROSSFADE_DATA_DIR": str(tmp_path / "w"),
        "CROSSFADE_JOB_LEASE_S": str(LEASE_S),
    }


class Workers:
    """``crossfade worker`` processes (test kinds registered), each in its own
    session so the worker, its work-horse and its scheduler die together."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, []  # type: list[subprocess.Popen[bytes]]
        logs.mkdir(parents=True, exist_ok=True)

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "rq_test_worker.py")],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def kill_all_of(self, proc: subprocess.Popen[bytes]) -> int:
        """SIGKILL the worker and everything it forked (the work-horse sits in
        its own process group, but in the worker's session); returns how many."""
        members = [p for p in psutil.process_iter(["pid"]) if _in_session(p, proc.pid)]
        for member in members:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.send_signal(signal.SIGKILL)
        proc.wait(30)
        psutil.wait_procs(members, timeout=30)
        return len(members)

    def close(self) -> None:
        for proc in self.procs:
            self.kill_all_of(proc)


@pytest.fixture
def workers(pg_url: str, redis_url: str, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(_env(pg_url, redis_url, tmp_path), tmp_path / "logs")
    yield pool
    pool.close()


def _wait(runtime: Runtime, jobs: list[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(job_row(runtime, j)["state"] in TERMINAL_STATES for j in jobs):
        if time.monotonic() > deadline:
            raise AssertionError([job_row(runtime, j)["state"] for j in jobs])
        time.sleep(0.1)


def _in_session(process: psutil.Process, session_leader: int) -> bool:
    try:
        return bool(os.getsid(process.pid) == session_leader)
    except (ProcessLookupError, PermissionError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stranded_job(runtime: Runtime, user: int) -> str:
    """A queued job that nothing enqueued (as an older API left them)."""
    job = uuid.uuid4().hex
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(Job).values(
                id=job,
                user_id=user,
                kind="test_count",
                state="queued",
                params={"n": 2},
                idempotency_key=f"stranded:{job}",
                progress={},
                checkpoint={},
                result={},
                attempts=0,
                created_at=datetime.now(UTC),
            )
        )
    return job


def test_api_without_start_jobs_reaches_two_workers(
    pg_url: str, redis_url: str, tmp_path: Path, workers: Workers
) -> None:
    runtime = make_runtime(pg_url, tmp_path, redis_url)
    user = ensure_user(runtime)
    with session_scope(runtime.engine) as session:
        _, token = create_api_token(session, user, "tests")
    stranded = _stranded_job(runtime, user)
    port = _free_port()
    env = _env(pg_url, redis_url, tmp_path)
    api = subprocess.Popen(
        [sys.executable, str(HERE / "rq_test_api.py"), "--port", str(port), "--no-start-jobs"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and api.poll() is None
                    time.sleep(0.2)
            jobs = []
            for n in range(6):
                body = {"kind": "api_count", "params": {"n": 6, "sleep": 0.05, "v": n}}
                answer = client.post("/jobs", json=body, headers={"Idempotency-Key": f"k{n}"})
                assert answer.status_code == 201, answer.text
                jobs.append(answer.json()["id"])
            replay = client.post(
                "/jobs",
                json={"kind": "api_count", "params": {"n": 6, "sleep": 0.05, "v": 0}},
                headers={"Idempotency-Key": "k0"},
            )
            assert replay.status_code == 200 and replay.json()["id"] == jobs[0]
            assert {job_row(runtime, j)["state"] for j in jobs} == {"queued"}  # nothing ran here
            workers.start()
            workers.start()
            _wait(runtime, [*jobs, stranded])
    finally:
        api.terminate()
        api.wait(30)
    for job in [*jobs, stranded]:
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", (job, row["error"])
        assert row["attempts"] == 1 and len(runner_log(runtime, job)) == 1


def test_killed_worker_and_horse_resume_by_themselves(
    pg_url: str, redis_url: str, tmp_path: Path, workers: Workers
) -> None:
    runtime = make_runtime(pg_url, tmp_path, redis_url)
    user = ensure_user(runtime)
    job = submit(runtime, "test_count", {"n": 60, "batch": 1, "sleep": 0.1}, user_id=user)
    first = workers.start()
    deadline = time.monotonic() + 60
    while read_progress(runtime, job)["done"] < 5:
        assert time.monotonic() < deadline, read_progress(runtime, job)
        time.sleep(0.05)
    assert workers.kill_all_of(first) >= 2  # worker and work-horse at once
    done_at_kill = read_progress(runtime, job)["done"]
    workers.start()  # a fresh worker: no enqueue, no retry by hand
    _wait(runtime, [job])
    row = job_row(runtime, job)
    assert row["state"] == "succeeded" and row["result"]["counted"] == 60
    assert row["attempts"] == 2
    claims = runner_log(runtime, job)
    assert len(claims) == 2 and max_concurrent_runners(claims) == 1
    assert done_at_kill < 60


def test_killed_worker_parent_leaves_its_horse_the_only_runner(
    pg_url: str, redis_url: str, tmp_path: Path, workers: Workers
) -> None:
    runtime = make_runtime(pg_url, tmp_path, redis_url)
    user = ensure_user(runtime)
    job = submit(runtime, "test_count", {"n": 50, "batch": 1, "sleep": 0.1}, user_id=user)
    first = workers.start()
    deadline = time.monotonic() + 60
    while read_progress(runtime, job)["done"] < 5:
        assert time.monotonic() < deadline, read_progress(runtime, job)
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # the parent only: its horse goes on
    first.wait(30)
    horses = [p for p in psutil.process_iter(["pid"]) if _in_session(p, first.pid)]
    assert horses, "the work-horse should outlive its parent"
    workers.start()
    _wait(runtime, [job])
    row = job_row(runtime, job)
    assert row["state"] == "succeeded" and row["result"]["counted"] == 50
    assert row["attempts"] == 1 and len(runner_log(runtime, job)) == 1
