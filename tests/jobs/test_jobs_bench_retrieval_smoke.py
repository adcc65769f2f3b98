"""The retrieval benchmark, small: a noisy source on two providers and a
small latency catalogue, with the benchmark's own target check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_retrieval.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_retrieval_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_blemishes_keep_the_recording_and_change_the_row(bench: ModuleType) -> None:
    catalog = bench.load_catalog(None)
    picked, noisy, clean = bench.make_sources(catalog, 28, seed=3)
    assert len(picked) == len(noisy) == len(clean) == 28
    changed = sum(n != c for n, c in zip(noisy, clean, strict=True))
    assert changed == 28
    videos = [n for n in noisy if not n["artists"]]
    assert videos and all(" - " in n["title"] for n in videos)
    assert all(n.get("isrc") is None for n in noisy)


def test_small_run_prints_recall_and_requests(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bench.main(
        [
            "--rows",
            "21",
            "--providers",
            "deezer,youtube",
            "--latency-tracks",
            "3000",
            "--latency-queries",
            "50",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line[:7] in ("deezer ", "youtube")
    }
    assert set(rows) == {"deezer", "youtube"}
    assert float(rows["deezer"][1]) >= 0.98 and float(rows["youtube"][1]) >= 0.95
    for cells in rows.values():
        assert int(cells[5]) >= int(cells[6])  # auto and right: the ladder >= bulk match()
        assert float(cells[-2]) <= 1.02  # clean searches per track
    assert "GET /search in-process (Spotify)" in out


def test_a_live_migration_adds_what_bulk_matching_gets_right(
    bench: ModuleType, sqlite_url: str, tmp_path: Path
) -> None:
    """The issue's check, end to end: a noisy playlist migrated (a real migrate
    job, ``--review skip``) adds at least the right tracks bulk ``match()``
    finds against the same catalogue, and at least 90% of the rows."""
    import polars as pl
    from jobs_helpers import ensure_user, make_runtime
    from test_jobs_migrate import store_playlist

    from engine.demo import connect_sandbox_account
    from engine.jobs import job_row, run_job, submit
    from engine.jobs.plan import load_plan
    from engine.matching import MatchConfig, match
    from engine.sandbox import Sandbox
    from engine.sandbox.server import SandboxServer
    from engine.sandbox.state import SandboxConfig

    catalog = bench.load_catalog(None)
    picked, noisy, _ = bench.make_sources(catalog, 35, seed=7)
    sandbox = Sandbox(catalog, config=SandboxConfig(deezer_quota=None))
    right = bench.truths(catalog, "spotify", picked)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "spotify")
        params = {
            "source": {"playlist_id": store_playlist(runtime, user, noisy)},
            "target_account_id": account,
            "report_dir": str(tmp_path),
            "review_policy": "skip",
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
        [playlist] = job_row(runtime, job)["result"]["target_playlists"]
        added = sandbox.playlist_track_ids("spotify", playlist)
        plan = load_plan(runtime, job)
        runtime.close()
    live_right = sum(row["target_id"] in right[row["position"]] for row in plan if row["target_id"])
    assert len(added) == sum(1 for row in plan if row["target_id"])
    whole = bench.catalogue_frame("spotify", catalog)
    bulk = match(bench.source_frame(noisy), whole, config=MatchConfig())
    bulk_right = sum(
        r["decision"] == "auto" and r["catalog_id"] in right[int(r["source_id"])]
        for r in bulk.iter_rows(named=True)
    )
    assert live_right >= bulk_right
    assert live_right >= 0.9 * len(noisy)
    assert pl.Series([r["queries"] for r in plan]).str.len_chars().min() > 0
