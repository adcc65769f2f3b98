"""A real browser (headless Chromium driven by Playwright) through the review
flow against ``streamlit run app.py``: open the queue, accept a match, pick
another candidate for the next, reload, see both persisted. Screenshots of
every page go to ``screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_world import seed_reviews
from browser_helpers import ARGS, CHROMIUM, PAGES, SHOTS, streamlit_app, streamlit_env
from sqlalchemy import select

from engine.runtime import Runtime
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.models import MatchDecision
from engine.store.seed import seed

pytestmark = pytest.mark.browser


@pytest.fixture
def served_app(
    tmp_path: Path, service_missing: Callable[..., None]
) -> Iterator[tuple[str, Runtime]]:
    if not Path(CHROMIUM).exists():
        service_missing("Chromium at /usr/bin/chromium")
    data = tmp_path / "data"
    runtime = Runtime(Settings(env="test", data_dir=data))  # type: ignore[call-arg]
    seed_reviews(runtime, count=3)  # first in the queue
    with session_scope(runtime.engine) as session:
        seed(session)  # playlists and charts for the screenshots
    try:
        with streamlit_app(tmp_path, streamlit_env(data)) as url:
            yield url, runtime
    finally:
        runtime.close()


def test_review_flow_in_a_real_browser(served_app: tuple[str, Runtime]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, runtime = served_app
    SHOTS.mkdir(exist_ok=True)
    expect.set_options(timeout=20_000)  # the first page load imports the matcher
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(20_000)
            page.goto(f"{url}/review")
            expect(page.get_by_text("Review uncertain matches")).to_be_visible()
            save = page.get_by_role("button", name="Save decision")
            expect(save).to_be_visible()
            expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
            page.wait_for_timeout(500)
            page.screenshot(path=str(SHOTS / "review-queue.png"), full_page=True)

            save.click()  # accept the best candidate (selected by default)
            expect(page.get_by_text("Saved: The Tidewater Band - Harbour Lights")).to_be_visible()
            expect(page.get_by_text("Night Drive", exact=True).first).to_be_visible()
            expect(save).to_have_count(1)  # the fragment's previous render is gone
            expect(page.get_by_text("Harbour Lights", exact=True)).to_have_count(0)
            expect(page.get_by_role("button", name=re.compile(r"^Take 2"))).to_be_enabled()
            page.keyboard.press("2")  # shortcut: take candidate 2, the live version
            expect(page.get_by_text("Saved: Mira Vale - Night Drive")).to_be_visible()
            expect(page.get_by_text("Paper Planes at Dawn", exact=True).first).to_be_visible()

            page.reload()
            expect(page.get_by_text("Review uncertain matches")).to_be_visible()
            recent = page.get_by_test_id("stTableStyledTable")  # "Your recent decisions"
            expect(recent).to_contain_text("Harbour Lights")
            expect(recent).to_contain_text("Night Drive")
            expect(page.get_by_text("Paper Planes at Dawn", exact=True).first).to_be_visible()
            page.screenshot(path=str(SHOTS / "review-after-reload.png"), full_page=True)

            for path in PAGES:
                page.goto(f"{url}/{path}")
                expect(page.locator("h1").first).to_be_visible()
                page.wait_for_timeout(800)  # charts and tables settle
                page.screenshot(path=str(SHOTS / f"page-{path or 'library'}.png"), full_page=True)
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
    assert len(chosen) == 2
    assert chosen[0] is not None and "b0" in chosen[0]  # the best: the remaster
    assert chosen[1] is not None and "a1" in chosen[1]  # the other: the live version
