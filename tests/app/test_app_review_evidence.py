"""Review page and stored evidence: a migrate job on the provider sandbox
records each pending review's candidates with their metadata and part scores,
and the page shows them without asking the provider anything; an old row that
holds bare candidate ids is still completed from the provider."""

from __future__ import annotations

from pathlib import Path

from app_world import choice_radio
from sqlalchemy import select
from test_app_connect_transfer import connect, no_errors, page

from engine import jobs
from engine.frame import tracks_frame
from engine.runtime import Runtime
from engine.samples import sample_path
from engine.sandbox import Sandbox
from engine.settings import load_settings
from engine.store import preferences, repo
from engine.store.db import session_scope
from engine.store.models import MatchDecision, ProviderAccount


def catalogue_reads(sandbox: Sandbox) -> int:
    """Deezer searches and track lookups in the sandbox's request log."""
    return sum(
        1
        for r in sandbox.log.records
        if r.provider == "deezer" and ("/search" in r.path or "/track/" in r.path)
    )


def migrate_with_reviews(runtime: Runtime, tmp_path: Path) -> int:
    """Run migrate for the local user with a strict auto threshold (so the
    sample's fuzzy matches wait for review); the number of pending reviews."""
    with session_scope(runtime.engine) as session:
        uid = repo.local_user(session).id
        account = session.scalar(
            select(ProviderAccount.id).where(ProviderAccount.provider == "deezer")
        )
    preferences.save_match_config(runtime.engine, uid, auto_threshold=0.999)
    # The sample playlist with every duration 9 s longer: no exact rung, fuzzy scores
    lines = sample_path("road-trip.m3u8").read_text(encoding="utf-8").splitlines()
    shifted = [
        f"#EXTINF:{int(line[8:].split(',', 1)[0]) + 9},{line.split(',', 1)[1]}"
        if line.startswith("#EXTINF:")
        else line
        for line in lines
    ]
    source = tmp_path / "road-trip-9s.m3u8"
    source.write_text("\n".join(shifted) + "\n", encoding="utf-8")
    job = jobs.submit(
        runtime,
        "migrate",
        {
            "source": {"file": str(source)},
            "target_account_id": account,
            "report_dir": str(tmp_path / "reports"),
        },
        user_id=uid,
        start=False,
    )
    assert jobs.run_job(runtime, job) == "waiting", jobs.job_row(runtime, job)["error"]
    result = jobs.job_row(runtime, job)["result"]
    assert "waiting for review" in result["summary"]
    return int(result["pending_review"])


def test_stored_evidence_needs_no_request_and_old_rows_are_completed(
    sandbox: Sandbox, app_runtime: Runtime, tmp_path: Path
) -> None:
    connect("deezer")
    worker = Runtime(load_settings())  # reads the sandbox's URL and token keys
    try:
        pending = migrate_with_reviews(worker, tmp_path)
    finally:
        worker.close()
    assert pending >= 2
    with session_scope(app_runtime.engine) as session:
        uid = repo.local_user(session).id
        stored = session.scalars(select(MatchDecision).where(MatchDecision.status == "pending"))
        assert all(c.get("title") and c.get("parts") for d in stored for c in d.candidates)
        (track_id,) = repo.upsert_tracks(
            session,
            tracks_frame(
                [
                    {
                        "title": "MALAMENTE - Cap.1: Augurio",
                        "artists": ["ROSALÍA"],
                        "album": "El Mal Querer",
                        "duration_ms": 150_500,
                    }
                ]
            ),
        )
        repo.record_decision(  # an old row: bare ids, queued after the job's reviews
            session, uid, track_id, "deezer", status="pending", score=0.7, tier="review",
            candidates=["747950875"],
        )  # fmt: skip

    sandbox.log.clear()
    review = page("review")
    no_errors(review)
    for shown in range(pending):  # every item with stored evidence: zero requests
        assert review.metric[0].value == str(pending + 1 - shown)
        options = choice_radio(review).options
        assert "no details stored" not in options[0]
        table = review.dataframe[0].value
        assert table["title match"].notna().all()
        # the waiting migration adds each answer to its playlist; the page itself
        # makes no catalogue request
        assert catalogue_reads(sandbox) == 0, sandbox.log.records
        next(b for b in review.button if b.label == "Save decision").click().run()
        no_errors(review)

    assert review.metric[0].value == "1"  # the old row: completed from the provider
    options = choice_radio(review).options
    assert options[0].startswith("MALAMENTE - Cap.1: Augurio — ROSALÍA")
    assert catalogue_reads(sandbox) >= 1
