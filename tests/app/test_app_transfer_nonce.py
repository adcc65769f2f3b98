"""Transfer page: a double click on Start follows one job; once the page has
been shown again, the same transfer started deliberately is a new job."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from test_app_connect_transfer import connect, no_errors, page

from engine import jobs
from engine.auth.crypto import generate_key
from engine.frame import tracks_frame
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
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


def wait_finished(runtime: Runtime, job_id: str) -> None:
    deadline = time.monotonic() + 60
    while jobs.job_row(runtime, job_id)["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"job {job_id} did not finish"
        time.sleep(0.1)


def test_double_click_follows_one_job_and_a_rerun_starts_another(
    served: SandboxServer, app_runtime: Runtime
) -> None:
    connect("deezer")
    with session_scope(app_runtime.engine) as session:
        uid = repo.local_user(session).id
        playlist = repo.create_playlist(session, uid, "Two songs")
        snapshot = repo.begin_snapshot(session, playlist.id)
        songs = [
            {"title": "Jóga", "artists": ["Björk"], "duration_ms": 305_000},
            {"title": "Nowhere to be found", "artists": ["Ghost"], "duration_ms": 200_000},
        ]
        track_ids = repo.upsert_tracks(session, tracks_frame(songs))
        repo.add_snapshot_items(session, snapshot.id, track_ids)
        repo.complete_snapshot(session, snapshot.id)

    transfer = page("transfer")
    no_errors(transfer)
    nonce = transfer.session_state["cf_tr_nonce"]
    transfer.button(key="cf_tr_start").click().run()
    no_errors(transfer)
    first = transfer.session_state["cf_tr_job"]
    transfer.button(key="cf_tr_start").click().run()  # the double click
    no_errors(transfer)
    assert transfer.session_state["cf_tr_job"] == first
    assert transfer.session_state["cf_tr_nonce"] == nonce
    assert [j["id"] for j in jobs.list_jobs(app_runtime, user_id=uid)] == [first]
    wait_finished(app_runtime, first)

    transfer.run()  # the page shown again with the job: a fresh form
    no_errors(transfer)
    assert transfer.session_state["cf_tr_nonce"] != nonce
    transfer.button(key="cf_tr_start").click().run()  # the same transfer, deliberately
    no_errors(transfer)
    second = transfer.session_state["cf_tr_job"]
    assert second != first
    assert {j["id"] for j in jobs.list_jobs(app_runtime, user_id=uid)} == {first, second}
    params = [jobs.job_row(app_runtime, j)["params"] for j in (first, second)]
    assert params[0] == params[1]  # same request; only the form's nonce differs
    wait_finished(app_runtime, second)

    # A new browser session renders a new form: its Start is a new job too.
    other = page("transfer")
    assert other.session_state["cf_tr_nonce"] not in (nonce, transfer.session_state["cf_tr_nonce"])
