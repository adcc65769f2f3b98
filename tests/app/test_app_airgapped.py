"""Air-gapped (issue 16, item 6): with every outside host blocked, a real
browser renders the API's Swagger UI and every Streamlit page, and neither
asks for anything outside 127.0.0.1.

Streamlit runs with the repository's own ``.streamlit/config.toml`` (no
command-line overrides), so the test checks what a user's installation does."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from app_world import APP
from browser_helpers import ARGS, CHROMIUM, PAGES, ROOT, free_port, streamlit_env

from engine.runtime import Runtime
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.seed import seed

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _serve(command: list[str], env: dict[str, str], log: Path, health: str) -> Any:
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(health, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{command[3]} did not start:\n{log.read_text()}")
        time.sleep(0.2)


def _stop(process: Any) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def servers(tmp_path: Path, service_missing: Callable[..., None]) -> Iterator[dict[str, str]]:
    """``crossfade api`` and ``streamlit run app.py`` over one seeded store."""
    if not Path(CHROMIUM).exists():
        service_missing("Chromium at /usr/bin/chromium")
    data = tmp_path / "data"
    runtime = Runtime(Settings(env="test", data_dir=data))  # type: ignore[call-arg]
    with session_scope(runtime.engine) as session:
        seed(session)
    runtime.close()
    env = streamlit_env(data, "STREAMLIT_BROWSER_GATHER_USAGE_STATS")
    api_port, app_port = free_port(), free_port()
    api_url, app_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{app_port}"
    api = _serve(
        [sys.executable, "-m", "engine", "api", "--port", str(api_port), "--no-start-jobs"],
        env,
        tmp_path / "api.log",
        f"{api_url}/health",
    )
    try:
        app = _serve(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                APP,
                "--server.port",
                str(app_port),
                "--server.address",
                "127.0.0.1",
            ],
            env,
            tmp_path / "streamlit.log",
            f"{app_url}/_stcore/health",
        )
        try:
            yield {"api": api_url, "app": app_url}
        finally:
            _stop(app)
    finally:
        _stop(api)


def test_docs_and_app_render_with_outside_hosts_blocked(servers: dict[str, str]) -> None:
    from playwright.sync_api import Route, expect, sync_playwright

    outside: list[str] = []
    failed: list[str] = []

    def block_outside(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("namenotresolved")  # what a machine without internet answers

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", block_outside)
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.on("requestfailed", lambda request: failed.append(request.url))

            page.goto(f"{servers['api']}/docs")
            # a loaded machine may take a while to parse the bundle and build the document
            slow = 30_000
            title = page.locator(".swagger-ui .info .title")
            expect(title).to_contain_text("Crossfade API", timeout=slow)
            expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=slow)
            expect(page.locator(".opblock-tag", has_text="uploads")).to_be_visible(timeout=slow)
            page.wait_for_timeout(500)

            for path in PAGES:
                page.goto(f"{servers['app']}/{path}")
                expect(page.locator("h1").first).to_be_visible(timeout=30_000)
                page.wait_for_timeout(1500)  # late requests (metrics, fonts) would come now
        finally:
            browser.close()
    assert outside == [], outside
    assert [url for url in failed if urlsplit(url).hostname not in LOCAL_HOSTS] == []
