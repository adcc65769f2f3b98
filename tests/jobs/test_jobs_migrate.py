"""migrate: plan, parts, batches, report, decisions, reconcile; against a
file-backed provider whose state survives the worker."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, catalog_for, install, ledger_account
from sqlalchemy import select

from engine.errors import InvalidParamsError
from engine.frame import tracks_frame
from engine.jobs import job_row, run_job, submit
from engine.jobs.migrate import quota_plan, split_parts
from engine.jobs.plan import load_plan
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import MatchDecision

install()


def source_records(n: int) -> list[dict[str, Any]]:
    rows = [
        {
            "title": c["title"],
            "artists": c["artists"],
            "isrc": c["isrc"],
            "duration_ms": c["duration_ms"],
            "provider": "file",
            "provider_id": f"src{i}",
        }
        for i, c in enumerate(catalog_for(n))
    ]
    rows.insert(
        5,
        {
            "title": "Nowhere to be found",
            "artists": ["Ghost"],
            "provider": "file",
            "provider_id": "ghost",
        },
    )
    return rows


def store_playlist(runtime: Runtime, user: int, records: list[dict[str, Any]]) -> int:
    with session_scope(runtime.engine) as session:
        playlist = repo.create_playlist(session, user, "Road trip")
        snapshot = repo.begin_snapshot(session, playlist.id)
        ids = repo.upsert_tracks(session, tracks_frame(records))
        repo.add_snapshot_items(session, snapshot.id, ids)
        repo.complete_snapshot(session, snapshot.id)
        return int(playlist.id)


def setup(
    db_url: str, tmp_path: Path, n: int = 40, **caps: Any
) -> tuple[Runtime, int, int, int, LedgerProvider]:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    ledger = LedgerProvider.create(tmp_path / "ledger.json", catalog_for(n), **caps)
    account = ledger_account(runtime, user, ledger)
    playlist = store_playlist(runtime, user, source_records(n))
    return runtime, user, account, playlist, LedgerProvider(ledger)


def expected_ids(n: int) -> list[str]:
    return [f"L{i:04d}" for i in range(n)]


def test_migrate_in_parts_with_report_and_decisions(db_url: str, tmp_path: Path) -> None:
    runtime, user, account, playlist, ledger = setup(db_url, tmp_path)
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "report_dir": str(tmp_path / "reports"),
    }
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
    result = job_row(runtime, job)["result"]
    contents = ledger.contents()
    assert [len(v) for v in contents.values()] == [25, 15]
    assert [x for v in contents.values() for x in v] == expected_ids(40)
    names = sorted(p.name for p in ledger.playlists())
    assert names == ["Road trip (1/2)", "Road trip (2/2)"]
    assert result["added"] == 40 and result["not_available"] == 1
    with open(result["report"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["title"] for r in rows] == ["Nowhere to be found"]
    assert rows[0]["status"] == "not_available" and rows[0]["position"] == "5"
    with session_scope(runtime.engine) as session:
        decisions = session.scalars(select(MatchDecision).where(MatchDecision.job_id == job)).all()
        assert len(decisions) == 41
        assert sum(d.status == "matched" for d in decisions) == 40
    # running it again changes nothing
    assert run_job(runtime, job) == "succeeded"
    assert ledger.contents() == contents
    runtime.close()


def test_resume_reconciles_a_landed_batch_and_strays(sqlite_url: str, tmp_path: Path) -> None:
    runtime, user, account, playlist, ledger = setup(
        sqlite_url, tmp_path, n=12, max_playlist_size=100
    )
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "report_dir": str(tmp_path / "r"),
    }
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    assert run_job(runtime, job) == "succeeded"
    [(pid, items)] = ledger.contents().items()
    # Simulate: the checkpoint says 3 confirmed, but 6 landed, and a stray got in.
    ledger.remove_items(pid, items[6:])
    ledger.add_items(pid, ["L0009"])
    from sqlalchemy import update

    from engine.store.models import Job

    with runtime.engine.begin() as conn:
        row = job_row(runtime, job)
        checkpoint = row["checkpoint"]
        checkpoint["parts"][0]["confirmed"] = 3
        conn.execute(
            update(Job).where(Job.id == job).values(state="running", checkpoint=checkpoint)
        )
    assert run_job(runtime, job) == "succeeded"
    assert ledger.contents()[pid] == expected_ids(12)
    assert len(ledger.contents()) == 1
    runtime.close()


def test_review_policy_and_bad_params(sqlite_url: str, tmp_path: Path) -> None:
    runtime, user, account, playlist, _ = setup(sqlite_url, tmp_path, n=4)
    with pytest.raises(InvalidParamsError, match="review_policy") as refused:
        submit(
            runtime,
            "migrate",
            {
                "source": {"playlist_id": playlist},
                "target_account_id": account,
                "review_policy": "maybe",
            },
            user_id=user,
            start=False,
        )
    assert [e["loc"] for e in refused.value.errors] == [["params", "review_policy"]]
    other = ensure_user(runtime, "mallory")
    theft = submit(
        runtime,
        "migrate",
        {"source": {"playlist_id": playlist}, "target_account_id": account},
        user_id=other,
        start=False,
    )
    assert run_job(runtime, theft) == "failed"
    assert "no provider account" in (job_row(runtime, theft)["error"] or "")
    runtime.close()


def test_split_and_quota_plan() -> None:
    assert split_parts(list("abcde"), 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert split_parts(list("ab"), None) == [["a", "b"]]
    from engine.providers import provider_class

    youtube = provider_class("youtube").capabilities
    plan = quota_plan(youtube, searches=300, adds=300, parts=1)
    assert plan["units"] == 300 * 100 + 300 * 50 + 50
    assert plan["days"] == -(-plan["units"] // youtube.daily_quota_units)
    assert (
        quota_plan(provider_class("spotify").capabilities, searches=1, adds=1, parts=1)["days"]
        is None
    )


@pytest.mark.parametrize("policy,added", [("skip", 0), ("best", 1)])
def test_review_tier_follows_policy(
    sqlite_url: str, tmp_path: Path, policy: str, added: int
) -> None:
    runtime = make_runtime(sqlite_url, tmp_path)
    user = ensure_user(runtime)
    catalog = [
        {
            "provider_id": "L1",
            "title": "Blue Monday (Live in Tokyo 1985)",
            "artists": ["New Order"],
            "isrc": None,
            "duration_ms": 240_000,
        }
    ]
    path = LedgerProvider.create(tmp_path / "l.json", catalog)
    account = ledger_account(runtime, user, path)
    playlist = store_playlist(
        runtime, user, [{"title": "Blue Monday", "artists": ["New Order"], "duration_ms": 241_000}]
    )
    job = submit(
        runtime,
        "migrate",
        {
            "source": {"playlist_id": playlist},
            "target_account_id": account,
            "review_policy": policy,
            "report_dir": str(tmp_path),
        },
        user_id=user,
        start=False,
    )
    assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
    result = job_row(runtime, job)["result"]
    plan_row = load_plan(runtime, job)[0]
    assert plan_row["decision"] == "review"
    assert result["added"] == added
    runtime.close()
