"""YouTube's quota said up front: the dry run (CLI) gives the units a migration
needs and the days at the account's quota, without spending any; the job spends
units on the tracks with the best chance first (known ids with 1-unit lookups
before any 100-unit search)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from jobs_helpers import make_runtime
from test_jobs_migrate import store_playlist

from engine.cli import main
from engine.demo import connect_sandbox_account
from engine.frame import tracks_frame
from engine.jobs import job_row, list_jobs, run_job, submit
from engine.jobs.estimate import estimate_quota
from engine.jobs.known_ids import video_id_from_url
from engine.jobs.plan import load_plan
from engine.providers.youtube import CAPABILITIES
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope


def _rows(n: int, *, linked: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "title": f"Song {i}",
            "artists": [f"Artist {i % 7}"],
            "duration_ms": 200_000 + i,
            **({"url": f"https://youtu.be/vid{i:08d}"} if i < linked else {}),
        }
        for i in range(n)
    ]


def test_estimate_counts_searches_inserts_and_days() -> None:
    settings = Settings(env="test")  # type: ignore[call-arg]
    frame = tracks_frame(_rows(400)).with_columns(pl.Series("id", [str(i) for i in range(400)]))
    estimate = estimate_quota(CAPABILITIES, "youtube", frame, settings)
    assert estimate is not None
    durations = math.ceil(400 * 5 / 50)  # videos.list for the found videos' durations
    assert estimate.units == 400 * 100 + durations + 400 * 50 + 50
    assert estimate.days == math.ceil(estimate.units / 10_000) == 7
    assert estimate.units_most > estimate.units and estimate.days_most >= estimate.days
    assert "day(s) at 10,000 a day" in estimate.message()
    linked = tracks_frame(_rows(400, linked=100)).with_columns(
        pl.Series("id", [str(i) for i in range(400)])
    )
    cheaper = estimate_quota(CAPABILITIES, "youtube", linked, settings)
    assert cheaper is not None and cheaper.known_ids == 100 and cheaper.searches == 300
    assert cheaper.units == estimate.units - 100 * 100 - math.ceil(100 * 5 / 50) + 2
    doubled = pl.concat([frame, frame.with_columns(pl.col("id") + "b")])
    twice = estimate_quota(CAPABILITIES, "youtube", doubled, settings)
    assert twice is not None and twice.searches == 400  # identical rows searched once


def test_video_links_are_read() -> None:
    assert video_id_from_url("https://music.youtube.com/watch?v=abcdefghijk") == "abcdefghijk"
    assert video_id_from_url("https://www.youtube.com/shorts/abcdefghijk") == "abcdefghijk"
    assert video_id_from_url("https://example.com/watch?v=abcdefghijk") is None
    assert video_id_from_url("https://youtu.be/short") is None


def test_cli_dry_run_says_units_and_days_and_starts_nothing(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    runtime = make_runtime(sqlite_url, tmp_path)
    with session_scope(runtime.engine) as session:
        user = int(repo.local_user(session).id)
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    account = connect_sandbox_account(runtime, sandbox, user, "youtube")
    playlist = store_playlist(runtime, user, _rows(400))
    assert main(["migrate", "--playlist", str(playlist), "--to", str(account), "--dry-run"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["source_tracks"] == 400
    assert out["quota"]["days"] == 7 and out["quota"]["searches"] == 400
    assert "quota units" in captured.err and "7 day(s)" in captured.err
    assert list_jobs(runtime, user_id=user) == []  # nothing was started
    assert sandbox.log.count("youtube") == 0  # and no unit spent


def test_known_ids_are_resolved_before_any_search(sqlite_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    videos = sandbox.catalog.listing("youtube")[:8]
    records = [
        {
            "title": v.title,
            "artists": list(v.artists),
            "duration_ms": v.duration_ms,
            **({"provider": "youtube", "provider_id": v.id_for("youtube")} if i < 6 else {}),
        }
        for i, v in enumerate(videos)
    ]
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        with session_scope(runtime.engine) as session:
            user = int(repo.local_user(session).id)
        account = connect_sandbox_account(runtime, sandbox, user, "youtube")
        playlist = store_playlist(runtime, user, records)
        params = {
            "source": {"playlist_id": playlist},
            "target_account_id": account,
            "report_dir": str(tmp_path),
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
        plan = load_plan(runtime, job)
        assert [r["target_id"] for r in plan[:6]] == [v.id_for("youtube") for v in videos[:6]]
        paths = [r.path for r in sandbox.log.records if r.provider == "youtube"]
        searches = [i for i, p in enumerate(paths) if p.endswith("/search")]
        lookups = [i for i, p in enumerate(paths) if p.endswith("/videos")]
        assert lookups and searches and lookups[0] < searches[0]  # 1-unit calls first
        assert len(searches) <= 2 * 2  # only the two tracks without an id were searched
        assert job_row(runtime, job)["checkpoint"]["estimate"]["known_ids"] == 6
        runtime.close()
