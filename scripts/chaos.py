"""Chaos run: SIGKILL RQ workers and work-horses during a migration, then check
the target playlist.

A synthetic catalogue of ``--tracks`` tracks is served by the provider sandbox
on loopback (with a small per-request latency so the job runs long enough to be
hit); a source playlist of all of them is migrated to the sandbox's
``--provider`` by two ``crossfade worker`` processes on Postgres + Redis. At
random moments (seeded, spread over the work: finding the tracks, then adding
them) the process holding the job's lease is killed:
the worker and its work-horse together, the work-horse alone, or the worker
parent alone; a fresh worker replaces any killed worker. Nothing is retried or
re-enqueued by hand: the job must resume by itself. At the end it prints the
kills survived, the tracks checked (present, in order), duplicates found, and
the runners per job (most at one moment, from the lease log) and claims.

    .venv/bin/python scripts/chaos.py                # 650 tracks, 10 kills
    .venv/bin/python scripts/chaos.py --tracks 120 --kills 3   # quick

Needs Postgres (``--pg-admin-url``, a database is created and dropped) and
Redis (``--redis-url``; a free database number is claimed as the tests do).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa
from redis import Redis

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, read_progress, submit
from engine.jobs.lease import max_concurrent_runners, runner_log
from engine.jobs.plan import load_plan
from engine.jobs.progress import TERMINAL_STATES
from engine.runtime import Runtime
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer
from engine.settings import Settings
from engine.store import repo
from engine.store.db import make_engine, migrate, session_scope
from engine.store.models import Job

MODES = ("worker+horse", "horse", "worker")
"""What a kill hits..."""
MODE_WEIGHTS = (0.6, 0.2, 0.2)
"""...and how often."""


class SlowSandbox(Sandbox):
    """The sandbox with a fixed latency per request, longer for writes (the real
    APIs have one), so kills land in every phase of the job."""

    latency_s = 0.0
    write_latency_s = 0.0

    def handle(self, request: httpx.Request) -> httpx.Response:
        write = request.method in ("POST", "PUT", "PATCH", "DELETE")
        time.sleep(self.write_latency_s if write else self.latency_s)
        return super().handle(request)


def records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "title": f"Chaos Song {i:04d}",
            "artists": [f"Chaos Artist {i % 37:02d}"],
            "album": f"Chaos Album {i // 12:03d}",
            "duration_ms": 150_000 + (i * 7919) % 120_000,
            "isrc": f"QZCHS26{i:05d}",
        }
        for i in range(count)
    ]


def claim_redis(url: str) -> tuple[str, int]:
    admin = Redis.from_url(url, db=0)
    try:
        for number in range(1, 16):
            if admin.set(f"crossfade:test:claim:{number}", os.getpid(), nx=True, ex=3600):
                Redis.from_url(url, db=number).flushdb()
                return f"{url.rstrip('/')}/{number}", number
    finally:
        admin.close()
    raise SystemExit("no free Redis database number")


def release_redis(url: str, number: int) -> None:
    Redis.from_url(url, db=number).flushdb()
    admin = Redis.from_url(url, db=0)
    admin.delete(f"crossfade:test:claim:{number}")
    admin.close()


class Workers:
    """``crossfade worker`` processes, each the leader of its own session."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        with (self.logs / f"worker-{len(self.procs)}.log").open("wb") as log:
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "engine", "worker"],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def session_of(self, pid: int) -> subprocess.Popen[bytes] | None:
        for proc in self.procs:
            if proc.poll() is None and _sid(pid) == proc.pid:
                return proc
        return None

    def kill_session(self, proc: subprocess.Popen[bytes]) -> None:
        members = [p for p in psutil.process_iter(["pid"]) if _sid(p.pid) == proc.pid]
        for member in members:
            with suppress(psutil.NoSuchProcess):
                member.send_signal(signal.SIGKILL)
        proc.wait(30)
        psutil.wait_procs(members, timeout=30)

    def close(self) -> None:
        for proc in self.procs:
            self.kill_session(proc)


def _sid(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except (ProcessLookupError, PermissionError):
        return None


def holder_pid(runtime: Runtime, job: str) -> int | None:
    """The process holding the job's lease (owners are ``host:pid:nonce``)."""
    with runtime.engine.connect() as conn:
        owner = conn.execute(sa.select(Job.lease_owner).where(Job.id == job)).scalar()
    return int(owner.split(":")[1]) if owner else None


def store_source(runtime: Runtime, user: int, rows: list[dict[str, Any]]) -> int:
    from engine.frame import tracks_frame

    with session_scope(runtime.engine) as session:
        playlist = repo.create_playlist(session, user, "Chaos", source="file")
        snapshot = repo.begin_snapshot(session, playlist.id)
        track_ids = repo.upsert_tracks(session, tracks_frame(rows))
        repo.add_snapshot_items(session, snapshot.id, track_ids)
        repo.complete_snapshot(session, snapshot.id)
        return int(playlist.id)


def work_done(progress: dict[str, Any], tracks: int) -> int:
    """How far the job is, over both halves of its work: finding the tracks
    (0..tracks) and adding them (tracks..2 x tracks)."""
    phase = str(progress.get("phase") or "")
    done = int(progress.get("done") or 0)
    if phase in ("adding", "done"):
        return tracks + done
    if phase.startswith(("looking up", "searching", "matching")):
        return min(done, tracks)
    return 0


def kill_once(
    runtime: Runtime,
    job: str,
    workers: Workers,
    rng: random.Random,
    claims_before: int,
    at_work: int,
    tracks: int,
) -> tuple[str, dict[str, Any]] | None:
    """Wait until a new runner holds the job and the work done reaches
    ``at_work``, then kill the holder (worker and horse, the horse, or the
    worker alone); returns what was killed and the progress at that moment
    (None: the job ended first)."""
    while True:
        row = job_row(runtime, job)
        if row["state"] in TERMINAL_STATES:
            return None
        pid = holder_pid(runtime, job)
        progress = read_progress(runtime, job)
        started = progress["phase"] not in ("queued", "starting")
        reached = work_done(progress, tracks) >= at_work
        if pid is not None and row["attempts"] > claims_before and started and reached:
            break
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.2))
    pid = holder_pid(runtime, job)
    if pid is None or job_row(runtime, job)["state"] in TERMINAL_STATES:
        return None
    progress = read_progress(runtime, job)
    worker = workers.session_of(pid)
    if worker is None:  # an orphaned horse (its parent was killed earlier)
        os.kill(pid, signal.SIGKILL)
        return "horse", progress
    mode = rng.choices(MODES, MODE_WEIGHTS)[0]
    if mode == "worker+horse":
        workers.kill_session(worker)
    elif mode == "horse" and pid != worker.pid:
        os.kill(pid, signal.SIGKILL)
    else:
        mode = "worker"
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    if mode != "horse":
        workers.start()  # a fresh worker replaces the killed one
    return mode, progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=650)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--provider", default="spotify")
    parser.add_argument("--latency-ms", type=float, default=15.0)
    parser.add_argument("--write-latency-ms", type=float, default=1200.0)
    parser.add_argument("--lease-s", type=float, default=2.0)
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    name = f"cf_chaos_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = str(sa.make_url(args.pg_admin_url).set(database=name).render_as_string(False))
    redis_url, redis_db = claim_redis(args.redis_url)
    engine = make_engine(db_url)
    migrate(engine)
    engine.dispose()
    work = Path(tempfile.mkdtemp(prefix="crossfade-chaos-"))
    SlowSandbox.latency_s = args.latency_ms / 1000
    SlowSandbox.write_latency_s = args.write_latency_ms / 1000
    sandbox = SlowSandbox.from_records(records(args.tracks))
    started = time.monotonic()
    try:
        with SandboxServer(sandbox, port=0) as server:
            settings = Settings(
                env="test",
                data_dir=work / "data",
                DATABASE_URL=db_url,
                REDIS_URL=redis_url,
                sandbox_url=server.url,
                job_lease_s=args.lease_s,
            )
            runtime = Runtime(settings)
            with session_scope(runtime.engine) as session:
                user = int(repo.local_user(session).id)
            account = connect_sandbox_account(runtime, sandbox, user, args.provider)
            playlist = store_source(runtime, user, records(args.tracks))
            env = {
                **os.environ,
                "CROSSFADE_ENV": "test",
                "CROSSFADE_DATA_DIR": str(work / "data"),
                "DATABASE_URL": db_url,
                "REDIS_URL": redis_url,
                "CROSSFADE_SANDBOX_URL": server.url,
                "CROSSFADE_JOB_LEASE_S": str(args.lease_s),
            }
            workers = Workers(env, work)
            workers.start()
            workers.start()
            params = {
                "source": {"playlist_id": playlist},
                "target_account_id": account,
                "report_dir": str(work),
            }
            job = submit(runtime, "migrate", params, user_id=user)
            kills: list[str] = []
            # kill moments spread over the whole job: finding tracks, then adding them
            moments = sorted(rng.sample(range(10, 2 * args.tracks - 10), args.kills))
            try:
                holder_alive = False  # after killing a worker alone, its horse holds on
                for at_work in moments:
                    attempts = int(job_row(runtime, job)["attempts"]) - int(holder_alive)
                    killed = kill_once(runtime, job, workers, rng, attempts, at_work, args.tracks)
                    if killed is None:
                        break
                    mode, progress = killed
                    holder_alive = mode == "worker"
                    kills.append(mode)
                    print(
                        f"kill {len(kills)}: {mode} during {progress['phase']} "
                        f"{progress['done']}/{progress['total']}",
                        flush=True,
                    )
                deadline = time.monotonic() + 900
                while job_row(runtime, job)["state"] not in TERMINAL_STATES:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"job {job} did not finish: {read_progress(runtime, job)}")
                    time.sleep(0.2)
            finally:
                workers.close()
            report(runtime, sandbox, job, kills, args, time.monotonic() - started)
            runtime.close()
    finally:
        release_redis(args.redis_url, redis_db)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def report(
    runtime: Runtime,
    sandbox: Sandbox,
    job: str,
    kills: list[str],
    args: argparse.Namespace,
    elapsed: float,
) -> None:
    row = job_row(runtime, job)
    wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
    got: list[str] = []
    for playlist in row["result"].get("target_playlists") or []:
        got.extend(sandbox.playlist_track_ids(args.provider, playlist))
    in_order = got == wanted
    duplicates = len(got) - len(set(got))
    claims = runner_log(runtime, job)
    print(f"job {job}: {row['state']} {row['error'] or ''}".rstrip())
    print(f"kills survived:   {len(kills)} of {args.kills} ({', '.join(kills) or 'none'})")
    print(f"tracks checked:   {len(got)}/{args.tracks} in the target, in source order: {in_order}")
    print(f"duplicates found: {duplicates}")
    print(f"runners per job:  {max_concurrent_runners(claims)} at once ({len(claims)} claims)")
    print(f"wall time:        {elapsed:.1f} s (lease {args.lease_s} s)")
    if row["state"] != "succeeded" or not in_order or duplicates or len(got) != args.tracks:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
