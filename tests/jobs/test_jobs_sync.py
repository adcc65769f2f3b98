"""sync: dry run by default, removal cap, add/remove/reorder, re-sync is a no-op."""

from __future__ import annotations

from pathlib import Path

from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, catalog_for, install, ledger_account
from test_jobs_migrate import expected_ids, source_records, store_playlist

from engine.frame import tracks_frame
from engine.jobs import job_row, run_job, submit
from engine.jobs.diffing import diff_snapshot
from engine.store import repo
from engine.store.db import session_scope

install()


def new_snapshot(runtime, playlist_id: int, records) -> int:  # type: ignore[no-untyped-def]
    with session_scope(runtime.engine) as session:
        snapshot = repo.begin_snapshot(session, playlist_id)
        ids = repo.upsert_tracks(session, tracks_frame(records))
        repo.add_snapshot_items(session, snapshot.id, ids)
        repo.complete_snapshot(session, snapshot.id)
        return int(snapshot.id)


def test_sync_dry_run_cap_apply_and_resync(sqlite_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(sqlite_url, tmp_path)
    user = ensure_user(runtime)
    path = LedgerProvider.create(tmp_path / "l.json", catalog_for(10), max_playlist_size=100)
    account = ledger_account(runtime, user, path)
    ledger = LedgerProvider(path)
    records = [r for r in source_records(8) if r["provider_id"] != "ghost"]
    playlist = store_playlist(runtime, user, records)
    migrate = submit(
        runtime,
        "migrate",
        {
            "source": {"playlist_id": playlist},
            "target_account_id": account,
            "report_dir": str(tmp_path),
        },
        user_id=user,
        start=False,
    )
    assert run_job(runtime, migrate) == "succeeded"
    [target_pid] = ledger.contents()
    # the source changes: 7 removed, 9 added at the top, 0 and 1 swapped
    extra = [r for r in source_records(10) if r["provider_id"] == "src9"]
    changed = [*extra, records[1], records[0], *records[2:7]]
    new_snapshot(runtime, playlist, changed)
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "target_playlist_id": target_pid,
    }
    dry = submit(runtime, "sync", params, user_id=user, start=False)
    assert run_job(runtime, dry) == "succeeded", job_row(runtime, dry)["error"]
    summary = job_row(runtime, dry)["result"]
    assert summary["dry_run"] is True
    assert summary["add"] == ["L0009"] and summary["remove"] == ["L0007"]
    assert len(summary["move"]) == 1
    assert ledger.contents()[target_pid] == expected_ids(8)  # untouched

    capped = submit(
        runtime, "sync", {**params, "dry_run": False, "max_removals": 0}, user_id=user, start=False
    )
    assert run_job(runtime, capped) == "failed"
    assert "max_removals" in (job_row(runtime, capped)["error"] or "")
    assert ledger.contents()[target_pid] == expected_ids(8)

    real = submit(runtime, "sync", {**params, "dry_run": False}, user_id=user, start=False)
    assert run_job(runtime, real) == "succeeded", job_row(runtime, real)["error"]
    want = ["L0009", "L0001", "L0000", "L0002", "L0003", "L0004", "L0005", "L0006"]
    assert ledger.contents()[target_pid] == want
    assert job_row(runtime, real)["result"]["in_sync"] is True

    ledger.add_items(target_pid, ["L0003"])  # someone duplicated a track on the target
    again = submit(
        runtime,
        "sync",
        {**params, "dry_run": False},
        user_id=user,
        idempotency_key="resync-2",
        start=False,
    )
    assert run_job(runtime, again) == "succeeded"
    assert ledger.contents()[target_pid] == want
    third = submit(
        runtime,
        "sync",
        {**params, "dry_run": False},
        user_id=user,
        idempotency_key="resync-3",
        start=False,
    )
    assert run_job(runtime, third) == "succeeded"
    result = job_row(runtime, third)["result"]
    assert result["add"] == [] and result["remove"] == [] and result["move"] == []
    assert ledger.contents()[target_pid] == want

    # crossfade diff: the first snapshot against the live target
    with session_scope(runtime.engine) as session:
        first = repo.list_snapshots(session, playlist)[-1].id
    d = diff_snapshot(runtime, first, account_id=account, live_playlist_id=target_pid, user_id=user)
    assert d.added.height == 1 and d.removed.height == 1
    runtime.close()
