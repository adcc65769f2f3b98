"""A sync-group run SIGKILLed while it applies, then run again: the same end
state as the merge computed from the edits, nothing twice.

The sandbox is served on loopback from this process (its state survives); the
worker is a subprocess killed right after the sandbox applied one of its
writes and before it answered (the moment a retry could duplicate), or at a
read while it plans. Kill moments are counted in requests, not seconds.
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
from group_helpers import PROVIDERS, build_scene, edit_members, expected_order, make_sandbox
from jobs_helpers import ensure_user, make_runtime
from test_sync_groups import first_sync

from engine.jobs import job_row
from engine.jobs.group_runs import submit_run
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer

HERE = Path(__file__).parent
KILLS = 6
TRACKS = 200
EDITS = 15
WAIT_S = 120.0


class WriteGate(Sandbox):
    """Holds the worker's n-th request, or its n-th write, after applying it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = threading.Lock()
        self.count = 0
        self.at: int | None = None
        self.writes_only = False
        self.reached = threading.Event()
        self.release = threading.Event()

    def arm(self, at: int | None, *, writes_only: bool = False) -> None:
        with self._gate:
            self.count, self.at, self.writes_only = 0, at, writes_only
            self.reached.clear()
            self.release.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        counted = request.method != "GET" or not self.writes_only
        with self._gate:
            if counted and "/token" not in request.url.path:
                self.count += 1
            hold = self.at is not None and self.count == self.at
            if hold:
                self.at = None
        if not hold:
            return response
        self.reached.set()
        self.release.wait(WAIT_S)
        raise httpx.ReadError("the worker was killed before this answer")


@pytest.mark.slow
def test_sigkilled_group_run_reaches_the_same_end_state(sqlite_url: str, tmp_path: Path) -> None:
    sandbox = make_sandbox(TRACKS + 100, WriteGate)
    assert isinstance(sandbox, WriteGate)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        scene = build_scene(runtime, sandbox, user, TRACKS)
        first_sync(runtime, user, scene)
        before = {p: scene.keys_of(p) for p in PROVIDERS}
        edit_members(scene, random.Random(151), EDITS)
        want = expected_order(scene, before)
        job = submit_run(runtime, user, scene.group_id, apply=True, start=False)
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
        rng = random.Random(15)
        moments = []
        for kill in range(KILLS):
            if kill == 0:
                sandbox.arm(rng.randint(3, 12))  # while reading the members
                moments.append("planning")
            else:
                sandbox.arm(rng.randint(1, 8), writes_only=True)
                moments.append("write")
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            try:
                while not sandbox.reached.wait(0.05):
                    if proc.poll() is not None:
                        break  # it finished before the chosen moment
                proc.send_signal(signal.SIGKILL)
                proc.wait(WAIT_S)
            finally:
                sandbox.release.set()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            for provider in PROVIDERS:
                got = scene.keys_of(provider)
                assert len(got) == len(set(got)), f"{provider}: a duplicate after kill {kill}"
        sandbox.arm(None)
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", row["error"]
        assert row["attempts"] >= 3, moments
        for provider in PROVIDERS:
            assert scene.keys_of(provider) == want, provider
        again = submit_run(runtime, user, scene.group_id, apply=True, start=False)
        sandbox.log.clear()
        from engine.jobs import run_job

        assert run_job(runtime, again) == "succeeded"
        assert sum(1 for r in sandbox.log.records if r.method != "GET") == 0
        runtime.close()
