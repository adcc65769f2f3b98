"""pull (complete snapshots, resume after a kill) and export (formats, the Parquet lake)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, catalog_for, install, ledger_account
from sqlalchemy import select

from engine import formats
from engine.jobs import job_row, run_job, submit
from engine.lake import lake_summary, open_lake
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import Export, Snapshot

install()


def test_pull_then_export_files_and_lake(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    path = LedgerProvider.create(tmp_path / "l.json", catalog_for(12), max_playlist_size=100)
    ledger = LedgerProvider(path)
    first = ledger.create_playlist("Morning")
    ledger.add_items(first.id, ["L0003", "L0001", "L0002"])
    second = ledger.create_playlist("Evening")
    ledger.add_items(second.id, [f"L{i:04d}" for i in range(4, 12)])
    account = ledger_account(runtime, user, path)
    job = submit(runtime, "pull", {"account_id": account}, user_id=user, start=False)
    # a previous run of this job died while writing a snapshot
    with session_scope(runtime.engine) as session:
        stale_playlist = repo.create_playlist(
            session, user, "x", source="provider", provider="ledger", provider_playlist_id="gone"
        )
        repo.begin_snapshot(session, stale_playlist.id, job_id=job)
    assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
    result = job_row(runtime, job)["result"]
    assert result["playlists"] == 2 and result["items"] == 11
    with session_scope(runtime.engine) as session:
        statuses = sorted(session.scalars(select(Snapshot.status)).all())
        assert statuses == ["complete", "complete", "failed"]
        morning = repo.find_provider_playlist(session, user, "ledger", first.id)
        assert morning is not None
        morning_id = morning.id
    titles = repo.effective_items(runtime.engine, morning_id)["title"].to_list()
    assert titles == [f"Song number {i} of the ledger" for i in (3, 1, 2)]

    out = tmp_path / "morning.m3u8"
    export = submit(
        runtime, "export", {"out": str(out), "playlists": [morning_id]}, user_id=user, start=False
    )
    assert run_job(runtime, export) == "succeeded", job_row(runtime, export)["error"]
    assert formats.read(out)["title"].to_list() == titles
    folder = submit(
        runtime,
        "export",
        {"out": str(tmp_path / "all"), "format": "csv"},
        user_id=user,
        start=False,
    )
    assert run_job(runtime, folder) == "succeeded", job_row(runtime, folder)["error"]
    assert len(job_row(runtime, folder)["result"]["files"]) == 3

    lake = submit(
        runtime, "export", {"out": str(tmp_path / "lake"), "lake": True}, user_id=user, start=False
    )
    assert run_job(runtime, lake) == "succeeded", job_row(runtime, lake)["error"]
    con = open_lake(tmp_path / "lake")
    counts = lake_summary(con)
    assert counts["effective_items"] == 11 and counts["playlists"] == 3
    ordered = con.sql(
        """SELECT t.title FROM effective_items e JOIN tracks t ON t.id = e.track_id
           JOIN playlists p ON p.id = e.playlist_id WHERE p.name = 'Morning' ORDER BY e.position"""
    ).pl()
    assert ordered["title"].to_list() == titles
    partitions = con.sql("SELECT DISTINCT playlist_id FROM snapshot_items").pl()
    assert isinstance(partitions, pl.DataFrame) and partitions.height == 2
    con.close()
    with session_scope(runtime.engine) as session:
        assert len(session.scalars(select(Export)).all()) == 5
    runtime.close()
