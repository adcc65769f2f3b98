"""Connections, Files and Transfer against the provider sandbox served on
loopback: save app credentials, connect Deezer through OAuth (the browser's
part done with httpx), import a file, dry run by tier, start the migrate job
and follow it to the end, then disconnect."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from app_world import APP, choice_radio, found_radio
from streamlit.testing.v1 import AppTest

from engine import jobs
from engine.auth.crypto import generate_key
from engine.frame import tracks_frame
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from engine.sandbox.server import SandboxServer
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope


@pytest.fixture
def served(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    server = SandboxServer(Sandbox.from_catalog(sample_path(CATALOG))).start()
    monkeypatch.setenv("CROSSFADE_SANDBOX_URL", server.url)
    monkeypatch.setenv("CROSSFADE_TOKEN_KEYS", generate_key("app1"))
    yield server
    server.stop()


def page(name: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(f"pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def connect(provider: str) -> None:
    at = page("connections")
    assert any("not connected" in m.value for m in at.markdown if provider.capitalize() in m.value)
    at.text_input(key=f"cf_app_{provider}_client_id").set_value(DEFAULT_CLIENT_ID)
    at.text_input(key=f"cf_app_{provider}_secret").set_value(DEFAULT_CLIENT_SECRET)
    at.button(key=f"cf_app_save_{provider}").click().run()
    no_errors(at)
    assert any(f"{provider} app credentials saved" in s.value for s in at.success)
    at.button(key=f"cf_conn_start_{provider}").click().run()
    no_errors(at)
    url = at.session_state[f"cf_conn_url_{provider}"]
    response = httpx.get(url)  # the browser: the sandbox approves and redirects back
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/connections"
    back = page("connections", dict(parse_qsl(location.query)))  # a new browser session
    no_errors(back)
    assert any(f"{provider} connected" in s.value for s in back.success)
    assert any("connected]" in m.value for m in back.markdown if provider.capitalize() in m.value)


def test_connect_import_dry_run_transfer_disconnect(
    served: SandboxServer, app_runtime: Runtime
) -> None:
    connect("deezer")

    files = page("files")
    files.file_uploader(key="cf_files_upload").upload(
        "road-trip.m3u8", sample_path("road-trip.m3u8").read_bytes()
    )
    next(b for b in files.button if b.label == "Import").click().run()
    no_errors(files)
    assert any("Imported 1 playlist" in s.value for s in files.success)

    transfer = page("transfer")
    no_errors(transfer)
    transfer.button(key="cf_tr_dry_run").click().run()
    no_errors(transfer)
    counts = {m.label: int(m.value) for m in transfer.metric}
    assert counts["Would match"] >= 10 and counts["Not found"] >= 1
    assert sum(counts.values()) == transfer.dataframe[0].value.shape[0]
    preview = transfer.dataframe[0].value  # the chosen target beside the source, not a bare id
    matched = preview[preview["tier"] == "auto"]
    assert matched["target_title"].notna().all() and matched["target_artists"].notna().all()
    assert matched["target_length"].str.match(r"^\d+:\d\d$").all()
    assert (matched["title match"] > 0.5).all()
    # The same dry run from the playlist's snapshot and from an uploaded file.
    transfer.radio(key="cf_tr_kind").set_value("snapshot").run()
    transfer.button(key="cf_tr_dry_run").click().run()
    no_errors(transfer)
    assert {m.label: int(m.value) for m in transfer.metric} == counts
    transfer.radio(key="cf_tr_kind").set_value("file").run()
    assert transfer.button(key="cf_tr_dry_run").disabled  # nothing uploaded yet
    transfer.file_uploader(key="cf_tr_upload").upload(
        "road-trip.m3u8", sample_path("road-trip.m3u8").read_bytes()
    )
    transfer.run()
    # a preview before any dry run: format, track count, warnings
    assert any(c.value.startswith("Read as **m3u**") for c in transfer.caption)
    transfer.button(key="cf_tr_dry_run").click().run()
    no_errors(transfer)
    assert {m.label: int(m.value) for m in transfer.metric} == counts
    transfer.radio(key="cf_tr_kind").set_value("playlist").run()
    transfer.button(key="cf_tr_start").click().run()
    no_errors(transfer)
    job_id = transfer.session_state["cf_tr_job"]
    deadline = time.monotonic() + 60
    while jobs.job_row(app_runtime, job_id)["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "the migrate job did not finish"
        time.sleep(0.2)
    transfer.run()
    no_errors(transfer)
    assert jobs.job_row(app_runtime, job_id)["state"] == "succeeded"
    assert any(s.value.startswith("Done") for s in transfer.success)
    assert transfer.get("download_button"), "the report is a download, not a server path"
    links = [m.value for m in transfer.markdown if m.value.startswith("Target playlist:")]
    assert links and "https://www.deezer.com/playlist/" in links[0]
    added = jobs.job_row(app_runtime, job_id)["result"]["added"]
    assert added == counts["Would match"] or added >= counts["Would match"]

    listing = page("jobs")
    no_errors(listing)
    shown = listing.dataframe[0].value
    assert shown["state"].tolist() == ["succeeded"]
    assert shown["works on"][0].startswith('playlist "Road Trip" → deezer playlist ')
    assert shown["summary"][0].startswith(f"{added} of ")

    # Pending reviews recorded with bare candidate ids (as migrate records them)
    # are completed from the provider for display: titles and part scores.
    with session_scope(app_runtime.engine) as session:
        uid = repo.local_user(session).id
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
        repo.record_decision(
            session,
            uid,
            track_id,
            "deezer",
            status="pending",
            score=0.7,
            tier="review",
            candidates=["747950875", "999999999"],
        )
    review = page("review")
    no_errors(review)
    while review.metric[0].value != "1":  # decide the transfer's own reviews first
        next(b for b in review.button if b.label == "Save decision").click().run()
        no_errors(review)
    options = choice_radio(review).options
    assert options[0].startswith("MALAMENTE - Cap.1: Augurio — ROSALÍA")
    assert "no details stored" in options[1]
    assert review.dataframe[0].value["title match"].iloc[0] > 0.8
    # Search the target by hand and use a result.
    next(b for b in review.button if b.label == "Search deezer").click().run()
    no_errors(review)
    found = found_radio(review)
    assert found.options[0].startswith("MALAMENTE - Cap.1: Augurio")
    assert found.value is None  # nothing preselected among search results
    found.set_value("747950875")
    next(b for b in review.button if b.label == "Use this track").click().run()
    no_errors(review)
    assert review.metric[0].value == "0"
    with session_scope(app_runtime.engine) as session:
        rule = repo.curator_rule_for(session, uid, track_id, "deezer")
        assert rule is not None and rule.target_track_id == "747950875"

    # A provider source: the account's playlists load; liked tracks dry-run.
    transfer = page("transfer")
    transfer.radio(key="cf_tr_kind").set_value("provider").run()
    transfer.button(key="cf_tr_load").click().run()
    no_errors(transfer)
    transfer.button(key="cf_tr_dry_run").click().run()
    no_errors(transfer)
    assert [m.value for m in transfer.metric] == ["0", "0", "0"]  # no liked tracks
    remote_id, label = transfer.session_state["cf_tr_remote_list"]["items"][0]
    assert label.startswith("Road Trip")  # the playlist the migrate job created
    transfer.selectbox(key="cf_tr_remote").set_value(remote_id)
    transfer.button(key="cf_tr_dry_run").click().run()
    no_errors(transfer)
    moved = {m.label: int(m.value) for m in transfer.metric}
    assert moved["Would match"] == added and moved["Not found"] == 0  # back onto itself

    at = page("connections")
    at.button(key="cf_conn_drop_deezer").click().run()
    no_errors(at)
    assert any("deezer disconnected" in s.value for s in at.success)
