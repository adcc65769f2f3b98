"""YouTube quota: a migrate that needs more than a day of quota plans for it,
waits when the sandbox answers quotaExceeded, and resumes the next day without
repeating the searches it already made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jobs_helpers import ensure_user, make_runtime
from sqlalchemy import select

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, read_progress, run_job, submit
from engine.jobs.control import due_jobs
from engine.jobs.plan import load_plan
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer
from engine.sandbox.state import SandboxConfig
from engine.store.models import JobRecord


def searches_made(runtime, job: str) -> int:  # type: ignore[no-untyped-def]
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(JobRecord.data).where(JobRecord.job_id == job, JobRecord.kind == "candidates")
        ).all()
    return sum(1 for row in rows if row.data.get("query"))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def test_youtube_quota_waits_and_resumes_next_day(sqlite_url: str, tmp_path: Path) -> None:
    clock = Clock()
    config = SandboxConfig(youtube_daily_units=1500, access_token_ttl_s=10 * 86400)
    sandbox = Sandbox.from_catalog(sample_path(CATALOG), config=config, clock=clock)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "youtube")
        params = {
            "source": {"file": str(sample_path("road-trip.m3u8"))},
            "target_account_id": account,
            "report_dir": str(tmp_path),
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        days = 0
        searched_before = 0
        while run_job(runtime, job) == "waiting":
            days += 1
            row = job_row(runtime, job)
            assert "quota" in (row["error"] or "").lower()
            assert row["resume_after"] is not None
            if "planned" not in row["checkpoint"]:  # still searching: keeps what it found
                searched = searches_made(runtime, job)
                assert searched > searched_before
                searched_before = searched
            assert job not in due_jobs(runtime)
            clock.now += 86400  # the next day: the sandbox's quota resets
            assert days < 10
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", row["error"]
        assert days >= 1
        result = row["result"]
        assert result["quota"]["units"] > config.youtube_daily_units  # needed > one sandbox day
        [playlist] = result["target_playlists"]
        wanted = [r["target_id"] for r in load_plan(runtime, job) if r["target_id"]]
        assert sandbox.playlist_track_ids("youtube", playlist) == wanted
        assert "quota" in (read_progress(runtime, job)["message"] or "")
        runtime.close()
