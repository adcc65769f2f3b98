"""A whole "Ask me" migration in a real browser (headless Chromium via
Playwright) against ``streamlit run app.py`` and the provider sandbox on
loopback: the migration waits for review with the sure tracks in its Spotify
playlist; the curator works through the queue with the keyboard (the issue's
"press 1, then Ctrl+Enter" included); each decision reaches the same playlist
at its source position, and the job ends succeeded with the playlist complete.
Screenshots in ``screenshots/ask-me-*.png``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import ARGS, CHROMIUM, SHOTS, streamlit_app, streamlit_env
from sqlalchemy import select

from engine.auth.crypto import generate_key
from engine.demo import connect_sandbox_account
from engine.frame import tracks_frame
from engine.jobs import job_row, run_job, submit
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.catalog import CatalogTrack
from engine.sandbox.server import SandboxServer
from engine.settings import Settings
from engine.store import preferences, repo
from engine.store.db import session_scope
from engine.store.models import MatchDecision

pytestmark = pytest.mark.browser

ASKED = (1, 4, 7)
"""Source positions the matcher is unsure of (no ISRC, 9 s longer, strict
auto threshold): the curator's questions."""


def messy_playlist(runtime: Runtime, user: int, tracks: list[CatalogTrack]) -> int:
    records: list[dict[str, Any]] = []
    for position, track in enumerate(tracks):
        unsure = position in ASKED
        records.append(
            {
                "title": track.title,
                "artists": list(track.artists),
                "album": track.album,
                "duration_ms": track.duration_ms + (9000 if unsure else 0),
                "isrc": None if unsure else track.isrc,
                "provider": "file",
                "provider_id": f"src-{track.key}",
            }
        )
    with session_scope(runtime.engine) as session:
        playlist = repo.create_playlist(session, user, "Messy mix")
        snapshot = repo.begin_snapshot(session, playlist.id)
        ids = repo.upsert_tracks(session, tracks_frame(records))
        repo.add_snapshot_items(session, snapshot.id, ids)
        repo.complete_snapshot(session, snapshot.id)
        return int(playlist.id)


@pytest.fixture
def ask_me(
    tmp_path: Path, service_missing: Callable[..., None]
) -> Iterator[tuple[str, Runtime, Sandbox, str, list[str]]]:
    """The app served with a migration waiting for review: (url, runtime,
    sandbox, job id, every source track's Spotify id in source order)."""
    if not Path(CHROMIUM).exists():
        service_missing("Chromium at /usr/bin/chromium")
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    server = SandboxServer(sandbox, port=0).start()
    data, keys = tmp_path / "data", generate_key("browser")
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=data, sandbox_url=server.url, token_keys=keys
    )
    runtime = Runtime(settings)
    with session_scope(runtime.engine) as session:
        user = int(repo.local_user(session).id)
    account = connect_sandbox_account(runtime, sandbox, user, "spotify")
    preferences.save_match_config(runtime.engine, user, auto_threshold=0.999)
    tracks = [t for t in sandbox.catalog.listing("spotify") if t.isrc][:9]
    playlist = messy_playlist(runtime, user, tracks)
    params = {"source": {"playlist_id": playlist}, "target_account_id": account}
    job = submit(runtime, "migrate", params, user_id=user, start=False)
    run_job(runtime, job)

    env = streamlit_env(data, CROSSFADE_SANDBOX_URL=server.url, CROSSFADE_TOKEN_KEYS=keys)
    try:
        with streamlit_app(tmp_path, env) as url:
            yield url, runtime, sandbox, job, [t.id_for("spotify") for t in tracks]
    finally:
        runtime.close()
        server.stop()


def wait_for_state(runtime: Runtime, job: str, state: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while job_row(runtime, job)["state"] != state:
        assert time.monotonic() < deadline, job_row(runtime, job)
        time.sleep(0.2)


def test_ask_me_migration_through_review_completes_the_playlist(
    ask_me: tuple[str, Runtime, Sandbox, str, list[str]],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, runtime, sandbox, job, everything = ask_me
    waiting = job_row(runtime, job)
    assert waiting["state"] == "waiting", waiting["error"]
    [target] = waiting["result"]["target_playlists"]
    sure = [tid for n, tid in enumerate(everything) if n not in ASKED]
    assert sandbox.playlist_track_ids("spotify", target) == sure
    SHOTS.mkdir(exist_ok=True)
    expect.set_options(timeout=20_000)
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(20_000)
            page.goto(f"{url}/jobs")
            expect(page.get_by_text("waiting for review").first).to_be_visible()
            expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
            page.wait_for_timeout(800)
            page.screenshot(path=str(SHOTS / "ask-me-1-jobs-waiting.png"), full_page=True)

            page.goto(f"{url}/review")
            save = page.get_by_role("button", name="Save decision")
            expect(save).to_be_visible()
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("3")
            page.wait_for_timeout(500)
            page.screenshot(path=str(SHOTS / "ask-me-2-review-queue.png"), full_page=True)

            page.keyboard.press("1")  # take the best of the first question
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("2")
            expect(page.get_by_text("Saved: ").first).to_be_visible()
            page.screenshot(path=str(SHOTS / "ask-me-3-after-key-1.png"), full_page=True)
            # the steps: 1, then Ctrl+Enter saves the NEXT item's best
            expect(page.get_by_role("radio").first).to_be_checked()
            page.keyboard.press("Control+Enter")
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("1")
            page.keyboard.press("n")  # the last one: not available
            expect(page.get_by_text("Nothing left to review")).to_be_visible()
            page.screenshot(path=str(SHOTS / "ask-me-4-queue-empty.png"), full_page=True)

            wait_for_state(runtime, job, "succeeded")
            page.goto(f"{url}/jobs")
            expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
            expect(page.get_by_text("waiting for review")).to_have_count(0)
            page.wait_for_timeout(800)
            page.screenshot(path=str(SHOTS / "ask-me-5-jobs-done.png"), full_page=True)
        finally:
            browser.close()

    with runtime.engine.connect() as conn:
        chosen = (
            conn.execute(
                select(MatchDecision.target_track_id)
                .where(MatchDecision.decided_by == "curator", MatchDecision.rule == "review")
                .order_by(MatchDecision.id)
            )
            .scalars()
            .all()
        )
    # Only real candidate ids were stored, never a radio label; the best was the right one.
    assert chosen == [everything[ASKED[0]], everything[ASKED[1]], None]
    final = [tid for n, tid in enumerate(everything) if n != ASKED[2]]
    assert sandbox.playlist_track_ids("spotify", target) == final
    done = job_row(runtime, job)["result"]
    assert done["summary"] == "8 of 9 added, 1 not available"
    assert done["target_playlists"] == [target]
