"""The kill test against the provider sandbox SERVED ON LOOPBACK: the sandbox
lives in this process (its state survives), the migrate worker is a subprocess
SIGKILLed 20 times at random moments (150 tracks: ISRC lookups, then two add
batches), each followed by a check and a restart."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jobs_helpers import ensure_user, make_runtime
from test_jobs_migrate import store_playlist

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, submit
from engine.jobs.plan import load_plan
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer

HERE = Path(__file__).parent
KILLS = 20
SOURCE_TRACKS = 150


@pytest.mark.slow
def test_sigkilled_migrate_against_loopback_sandbox(sqlite_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
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
        env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        command = [
            sys.executable,
            str(HERE / "kill_worker.py"),
            sqlite_url,
            str(tmp_path),
            job,
            server.url,
        ]
        rng = random.Random(20)
        kills = 0
        while kills < KILLS:
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
            while job_row(runtime, job)["attempts"] <= kills and proc.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.8))
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            checkpoint = job_row(runtime, job)["checkpoint"]
            wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
            for part in checkpoint.get("parts", []):
                if part["playlist_id"]:
                    got = sandbox.playlist_track_ids("spotify", part["playlist_id"])
                    assert got == wanted[: len(got)]  # a prefix: nothing twice, in order
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr[-2000:]
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", row["error"]
        wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
        [playlist] = row["result"]["target_playlists"]
        assert sandbox.playlist_track_ids("spotify", playlist) == wanted
        assert len(wanted) > 100  # two add batches of Spotify's 100
        assert kills == KILLS
        runtime.close()
