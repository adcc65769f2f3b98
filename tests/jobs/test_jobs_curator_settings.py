"""The job owner's saved matcher settings (Settings page) reach migrate and sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, install, ledger_account
from sqlalchemy import select
from test_jobs_migrate import store_playlist

from engine.jobs import job_row, run_job, submit
from engine.jobs.plan import load_plan
from engine.matching import MatchConfig
from engine.runtime import Runtime
from engine.store import preferences
from engine.store.db import session_scope
from engine.store.models import MatchDecision

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
# A typo'd artist a second apart: a fuzzy auto for the learned scorer by default.
# (Identical title and artist 9 s apart, as before, is now "review": the model
# gives it ~0.76, another edit being likely.)
SOURCE = [{"title": "Blue Monday", "artists": ["New Ordre"], "duration_ms": 241_000}]
NINE_SECONDS_APART = [{"title": "Blue Monday", "artists": ["New Order"], "duration_ms": 249_000}]


def migrate_once(
    runtime: Runtime,
    user: int,
    tmp_path: Path,
    tag: str,
    source: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    ledger = LedgerProvider.create(tmp_path / f"{tag}.json", CATALOG)
    account = ledger_account(runtime, user, ledger)
    playlist = store_playlist(runtime, user, source or SOURCE)
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "report_dir": str(tmp_path / tag),
    }
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    # "Ask me" (the default policy) waits while a review is open
    assert run_job(runtime, job) in ("succeeded", "waiting"), job_row(runtime, job)["error"]
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
    relaxed_config = preferences.load_match_config(runtime.engine, relaxed)
    assert relaxed_config.auto_threshold == MatchConfig().auto_threshold
    runtime.close()


def test_pending_review_records_its_evidence(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    strict = ensure_user(runtime, "strict")
    preferences.save_match_config(runtime.engine, strict, auto_threshold=0.99)
    row = migrate_once(runtime, strict, tmp_path, "strict", NINE_SECONDS_APART)
    assert row["status"] == "pending"
    with session_scope(runtime.engine) as session:
        (decision,) = session.scalars(
            select(MatchDecision).where(MatchDecision.status == "pending")
        ).all()
        candidates = list(decision.candidates)
    assert len(candidates) == 1
    entry = candidates[0]
    assert set(entry) == {
        "id", "title", "artists", "album", "duration_ms", "isrc", "explicit", "release_date", "url",
        "score", "decision", "rule", "parts",
    }  # fmt: skip
    assert entry["id"] == "L1" and entry["title"] == "Blue Monday"
    assert entry["artists"] == ["New Order"] and entry["duration_ms"] == 240_000
    assert entry["score"] == row["score"] and entry["decision"] == "review"
    assert entry["rule"] == "fuzzy"
    assert set(entry["parts"]) == {"title", "artists", "album", "duration", "version", "explicit"}
    assert entry["parts"]["title"] == 1.0 and entry["parts"]["artists"] == 1.0
    assert 0 < entry["parts"]["duration"] < 1  # 9 s apart: partial agreement
    assert entry["parts"]["album"] is None  # neither side knows the album
    runtime.close()


def test_sync_matches_with_the_owners_settings(sqlite_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(sqlite_url, tmp_path)
    user = ensure_user(runtime, "curator")
    preferences.save_match_config(runtime.engine, user, auto_threshold=0.99)
    path = LedgerProvider.create(tmp_path / "sync.json", CATALOG)
    account = ledger_account(runtime, user, path)
    ledger = LedgerProvider(path)
    playlist = store_playlist(runtime, user, SOURCE)
    target = ledger.create_playlist("Target").id
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": account,
        "target_playlist_id": target,
        "dry_run": False,
    }
    strict = submit(runtime, "sync", params, user_id=user, idempotency_key="s1", start=False)
    assert run_job(runtime, strict) == "succeeded", job_row(runtime, strict)["error"]
    assert job_row(runtime, strict)["result"]["add"] == []  # waits for review
    assert ledger.contents()[target] == []
    preferences.reset_match_config(runtime.engine, user)
    relaxed = submit(runtime, "sync", params, user_id=user, idempotency_key="s2", start=False)
    assert run_job(runtime, relaxed) == "succeeded", job_row(runtime, relaxed)["error"]
    assert job_row(runtime, relaxed)["result"]["add"] == ["L1"]
    assert ledger.contents()[target] == ["L1"]
    runtime.close()
