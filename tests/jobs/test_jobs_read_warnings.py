"""A job reading a playlist file carries the reader's warnings in its result
(so the API's job answer shows them), naming the file by its name and the line."""

from __future__ import annotations

from pathlib import Path

from jobs_helpers import ensure_user, make_runtime

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, run_job, submit
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer


def test_migrate_from_a_repaired_file_reports_its_warnings(sqlite_url: str, tmp_path: Path) -> None:
    source = tmp_path / "odd.m3u8"
    text = sample_path("road-trip.m3u8").read_text("utf-8")
    source.write_text(text + "#EXTINF:200,Dangling - Entry\n", "utf-8")
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        params = {
            "source": {"file": str(source)},
            "target_account_id": account,
            "report_dir": str(tmp_path),
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
        row = job_row(runtime, job)
    line = len(text.splitlines()) + 1
    assert row["result"]["read_warnings"] == [
        {
            "file": "odd.m3u8",
            "line": line,
            "pointer": None,
            "reason": "#EXTINF without a location after it; dropped",
        }
    ]
