"""What the real-browser tests share: the headless Chromium they drive and a
``streamlit run app.py`` served on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from app_world import APP

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(APP).parent
SHOTS = ROOT / "screenshots"
PAGES = ["", "transfer", "review", "jobs", "files", "connections", "settings"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def streamlit_env(data: Path, *drop: str, **extra: str) -> dict[str, str]:
    """This process's environment without any Crossfade setting, the shared
    database or Redis (nor the ``drop`` names), pointed at the test store
    ``data`` plus ``extra`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSFADE_")}
    for name in ("DATABASE_URL", "REDIS_URL", *drop):
        env.pop(name, None)
    env.update(CROSSFADE_ENV="test", CROSSFADE_DATA_DIR=str(data), **extra)
    return env


@contextmanager
def streamlit_app(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """``streamlit run app.py`` (headless, no file watcher) on a free port,
    once healthy: its url. Its output goes to ``tmp_path / "streamlit.log"``."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            APP,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, (tmp_path / "streamlit.log").read_text()
            assert time.monotonic() < deadline, "streamlit did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
