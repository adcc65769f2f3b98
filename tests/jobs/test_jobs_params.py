"""Typed job parameters (engine.jobs.params) and where jobs read and write
files when submitted over the API or the app (issue 16, items 1 and 2)."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, catalog_for, install, ledger_account
from sqlalchemy import insert, select
from test_jobs_migrate import source_records

from engine.errors import InvalidParamsError
from engine.formats import write
from engine.frame import tracks_frame
from engine.jobs import job_row, run_job, submit
from engine.jobs.params import validate_params
from engine.store.models import Export, Job
from engine.userfiles import export_dir, inside, save_upload

install()


def test_migrate_from_an_upload_reports_into_the_export_area(db_url: str, tmp_path: Path) -> None:
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    other = ensure_user(runtime, "mallory")
    ledger = LedgerProvider.create(tmp_path / "ledger.json", catalog_for(12))
    account = ledger_account(runtime, user, ledger)
    source = tmp_path / "road.csv"
    evil = {"title": '=HYPERLINK("http://evil","x")', "artists": ["@SUM(1+1)"]}
    write(tracks_frame([*source_records(12), evil]), source, format="csv", raw=True)
    upload = save_upload(runtime, user, "Road trip.csv", source.read_bytes())
    stolen = save_upload(runtime, other, "theirs.csv", source.read_bytes())
    params = {"source": {"upload_id": upload.id}, "target_account_id": account}
    job = submit(runtime, "migrate", params, user_id=user, start=False, local=False)
    assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
    result = job_row(runtime, job)["result"]
    assert result["added"] == 12 and result["not_available"] == 2
    area = export_dir(runtime.settings, user)
    report = Path(result["report"])
    assert inside(report, area) and report.is_file()
    with open(report, newline="") as handle:
        rows = list(csv.DictReader(handle))
    # the report is CSV for people: formula-like cells are neutralised
    assert [(r["title"], r["artists"]) for r in rows] == [
        ("Nowhere to be found", "Ghost"),
        ("'" + evil["title"], "'@SUM(1+1)"),
    ]
    with runtime.engine.connect() as conn:
        exports = conn.execute(select(Export.user_id, Export.format, Export.path)).all()
    assert [tuple(e) for e in exports] == [(user, "report", str(report))]
    assert run_job(runtime, job) == "succeeded"  # a re-run records nothing twice
    with runtime.engine.connect() as conn:
        assert len(conn.execute(select(Export.id)).all()) == 1

    # another user's upload: the job (were it queued) fails as for a missing one
    theft = submit(
        runtime,
        "migrate",
        {"source": {"upload_id": stolen.id}, "target_account_id": account},
        user_id=user,
        start=False,
        local=False,
    )
    assert run_job(runtime, theft) == "failed"
    assert job_row(runtime, theft)["error"] == f"not-found: upload {stolen.id} does not exist"
    runtime.close()


def test_paths_only_from_the_cli(tmp_path: Path) -> None:
    local = validate_params(
        "migrate",
        {"source": {"file": "/tmp/x.m3u"}, "target_account_id": "7", "report_dir": "/tmp/r"},
        local=True,
    )
    assert local == {
        "source": {"file": "/tmp/x.m3u"},
        "target_account_id": 7,
        "report_dir": "/tmp/r",
    }
    for params in (
        {"source": {"file": "/tmp/x.m3u"}, "target_account_id": 7},
        {"source": {"playlist_id": 1}, "target_account_id": 7, "report_dir": "../r"},
    ):
        with pytest.raises(InvalidParamsError, match="never server paths"):
            validate_params("migrate", params, local=False)
    with pytest.raises(InvalidParamsError, match="never server paths"):
        validate_params("export", {"out": str(tmp_path / "x.csv")}, local=False)
    assert validate_params("export", {"playlists": [1], "format": "csv"}, local=False) == {
        "playlists": [1],
        "format": "csv",
    }
    with pytest.raises(InvalidParamsError) as refused:
        validate_params("sync", {"source": {"playlist_id": 1}, "max_removals": -1}, local=True)
    locs = sorted(tuple(e["loc"]) for e in refused.value.errors)
    assert locs == [
        ("params", "max_removals"),
        ("params", "target_account_id"),
        ("params", "target_playlist_id"),
    ]


def test_stored_bad_params_fail_cleanly(db_url: str, tmp_path: Path) -> None:
    """A job row whose parameters never went through submit (an old row, a hand
    edit) fails with the field named, never a worker's KeyError."""
    runtime = make_runtime(db_url, tmp_path)
    user = ensure_user(runtime)
    job_id = uuid.uuid4().hex
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(Job).values(
                id=job_id,
                user_id=user,
                kind="migrate",
                state="queued",
                params={"source": {"playlist_id": 1}},
                idempotency_key=f"hand:{job_id}",
                progress={},
                checkpoint={},
                result={},
                attempts=0,
                created_at=datetime.now(UTC),
            )
        )
    assert run_job(runtime, job_id) == "failed"
    error = job_row(runtime, job_id)["error"] or ""
    assert error == "validation: migrate job: params.target_account_id: Field required"
    runtime.close()


def test_the_cli_validates_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    argv = ["sync", "--playlist", "1", "--to", "1", "--target-playlist", "p"]
    assert main([*argv, "--max-removals", "-1"]) == 1
    err = capsys.readouterr().err
    assert "params.max_removals" in err and "greater than or equal to 0" in err
    runtime = make_runtime(f"sqlite:///{tmp_path / 'data' / 'crossfade.db'}", tmp_path)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(Job.id)).all() == []  # nothing was queued
    runtime.close()
