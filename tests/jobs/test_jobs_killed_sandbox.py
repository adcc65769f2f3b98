"""The kill test against the provider sandbox SERVED ON LOOPBACK: the sandbox
lives in this process (its state survives), the migrate worker is a subprocess
SIGKILLed 20 times (150 tracks: ISRC lookups, then two add batches), each
followed by a check and a restart.

The kill moments are random but chosen in REQUESTS, not seconds, so the test
does the same thing however loaded the machine is: the sandbox holds the
worker's k-th request of an attempt (after applying it, before answering) and
the worker is killed right there. In the lookup phase k is drawn so the
attempt cannot finish its work first; once the plan is made, kills land at an
attempt's first request or just after one of its writes (create playlist, add
a batch) was applied but never answered, the moment a retry could duplicate.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from jobs_helpers import ensure_user, make_runtime
from sqlalchemy import select
from test_jobs_migrate import store_playlist

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, submit
from engine.jobs.plan import load_plan
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer
from engine.store.models import JobRecord

HERE = Path(__file__).parent
KILLS = 20
SOURCE_TRACKS = 150
WAIT_S = 120.0  # generous: a loaded CI machine starts a worker slowly


class GatedSandbox(Sandbox):
    """Holds the request the test chose to kill the worker at."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate_lock = threading.Lock()
        self.seen = 0
        self.kill_at: int | None = None  # the attempt's k-th request...
        self.kill_after_write = False  # ...or its next applied write
        self.reached = threading.Event()
        self.release = threading.Event()

    def arm(self, *, at: int | None = None, after_write: bool = False) -> None:
        with self._gate_lock:
            self.seen = 0
            self.kill_at, self.kill_after_write = at, after_write
            self.reached.clear()
            self.release.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)  # applied, whatever happens next
        with self._gate_lock:
            self.seen += 1
            hold = self.seen == self.kill_at or (self.kill_after_write and request.method == "POST")
            if hold:
                self.kill_at, self.kill_after_write = None, False
        if not hold:
            return response
        self.reached.set()
        self.release.wait(WAIT_S)
        raise httpx.ReadError("the worker was killed before this answer")


def committed_lookups(runtime: Runtime, job: str) -> int:
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(JobRecord.data).where(JobRecord.job_id == job, JobRecord.kind == "candidates")
        ).all()
    return sum(len(row.data.get("isrcs") or []) for row in rows)


@pytest.mark.slow
def test_sigkilled_migrate_against_loopback_sandbox(sqlite_url: str, tmp_path: Path) -> None:
    sandbox = GatedSandbox.from_catalog(sample_path(CATALOG))
    assert isinstance(sandbox, GatedSandbox)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        records = [
            {
                "title": t.title,
                "artists": list(t.artists),
                "album": t.album,
                "duration_ms": t.duration_ms,
                "isrc": t.isrc,
            }
            for t in sandbox.catalog.listing("spotify")[:SOURCE_TRACKS]
        ]
        source = {"playlist_id": store_playlist(runtime, user, records)}
        params = {"source": source, "target_account_id": account, "report_dir": str(tmp_path)}
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        env = {
            **os.environ,
            "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "CROSSFADE_JOB_LEASE_S": "1",  # each restart takes over once the killed one's lapses
        }
        command = [
            sys.executable,
            str(HERE / "kill_worker.py"),
            sqlite_url,
            str(tmp_path),
            job,
            server.url,
        ]
        rng = random.Random(20)
        moments: list[str] = []
        for _ in range(KILLS):
            if "planned" not in job_row(runtime, job)["checkpoint"]:
                # One ISRC lookup per request; the attempt has at least this
                # many left, so it is always killed before it could finish.
                left = SOURCE_TRACKS - committed_lookups(runtime, job)
                sandbox.arm(at=min(rng.randint(5, 45), left))
                moments.append("lookups")
            elif rng.random() < 0.5:
                sandbox.arm(at=1)  # every attempt reads (reconciles) first
                moments.append("first request")
            else:
                sandbox.arm(after_write=True, at=3)  # a write, else its 3rd request
                moments.append("write")
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            try:
                while not sandbox.reached.wait(0.05):
                    assert proc.poll() is None, f"worker ended before kill {len(moments)}"
                proc.send_signal(signal.SIGKILL)
                proc.wait(WAIT_S)
            finally:
                sandbox.release.set()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            checkpoint = job_row(runtime, job)["checkpoint"]
            wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
            for part in checkpoint.get("parts", []):
                if part["playlist_id"]:
                    got = sandbox.playlist_track_ids("spotify", part["playlist_id"])
                    assert got == wanted[: len(got)]  # a prefix: nothing twice, in order
        sandbox.arm()
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", row["error"]
        wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
        [playlist] = row["result"]["target_playlists"]
        assert sandbox.playlist_track_ids("spotify", playlist) == wanted
        assert len(wanted) > 100  # two add batches of Spotify's 100
        assert row["attempts"] == KILLS + 1
        assert moments.count("lookups") >= 3 and moments.count("write") >= 3, moments
        runtime.close()
