"""The job owner's saved matcher settings (Settings page) reach migrate and sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, install, ledger_account
from test_jobs_migrate import store_playlist

from engine.jobs import job_row, run_job, submit
from engine.jobs.plan import load_plan
from engine.runtime import Runtime
from engine.store import preferences

install()

CATALOG = [
    {
        "provider_id": "L1",
        "title": "Blue Monday",
        "artists": ["New Order"],
        "isrc": None,
        "duration_ms": 240_000,
    }
]
SOURCE = [{"title": "Blue Monday", "artists": ["New Order"], "duration_ms": 249_000}]


def migrate_once(runtime: Runtime, user: int, tmp_path: Path, tag: str) -> dict[str, Any]:
    ledger = LedgerProvider.create(tmp_path / f"{tag}.json", CATALOG)
    account = ledger_account(runtime, user, ledger)
    playlist = store_playlist(runtime, user, SOURCE)
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "report_dir": str(tmp_path / tag),
    }
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
    return load_plan(runtime, job)[0] | {"result": job_row(runtime, job)["result"]}


def test_stricter_auto_threshold_turns_auto_into_review(sqlite_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(sqlite_url, tmp_path)
    relaxed = ensure_user(runtime, "relaxed")
    strict = ensure_user(runtime, "strict")
    default_row = migrate_once(runtime, relaxed, tmp_path, "relaxed")
    assert default_row["decision"] == "auto" and default_row["rule"] == "fuzzy"
    assert default_row["result"]["added"] == 1
    score = float(default_row["score"])
    assert score < 0.99
    preferences.save_match_config(runtime.engine, strict, auto_threshold=0.99, review_threshold=0.5)
    strict_row = migrate_once(runtime, strict, tmp_path, "strict")
    assert strict_row["score"] == default_row["score"]
    assert strict_row["decision"] == "review" and strict_row["status"] == "pending"
    assert strict_row["result"]["added"] == 0 and strict_row["result"]["pending_review"] == 1
    # the relaxed user's settings are untouched by the strict user's
    assert preferences.load_match_config(runtime.engine, relaxed).auto_threshold == 0.82
    runtime.close()
