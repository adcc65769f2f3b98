"""The CLI end to end: apps set, connect through the loopback listener against
a sandbox served on loopback, accounts, keys generate/rotate, disconnect."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from engine.auth.crypto import generate_key
from engine.cli import main
from engine.sandbox import Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID
from engine.sandbox.server import SandboxServer

OLD = generate_key("cli1")
NEW = generate_key("cli2")


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    sandbox = Sandbox.from_records(
        [{"title": "Song", "artists": ["Artist"], "isrc": "GBAYE2400001", "duration_ms": 1000}]
    )
    with SandboxServer(sandbox) as running:
        yield running


def env(tmp_path: Path, server: SandboxServer, keys: str = OLD) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return {
        **clean,
        "CROSSFADE_ENV": "test",
        "CROSSFADE_DATA_DIR": str(tmp_path / "data"),
        "CROSSFADE_TOKEN_KEYS": keys,
        "CROSSFADE_SANDBOX_URL": server.url,
    }


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def crossfade(*args: str, environ: dict[str, str]) -> Result:
    """Run the CLI in this process with ``environ`` as its environment."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Result(code, out.getvalue(), err.getvalue())


def test_cli_connect_accounts_rotate_disconnect(tmp_path: Path, server: SandboxServer) -> None:
    environ = env(tmp_path, server)
    done = crossfade(
        "apps",
        "set",
        "spotify",
        "--client-id",
        DEFAULT_CLIENT_ID,
        "--client-secret",
        "",
        environ=environ,
    )
    assert done.returncode == 0, done.stderr
    assert "Saved spotify app credentials" in done.stdout
    apps = crossfade("apps", "list", environ=environ)
    assert apps.stdout.split()[:2] == ["spotify", DEFAULT_CLIENT_ID]
    assert "no secret" in apps.stdout

    connect = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine",
            "connect",
            "spotify",
            "--no-browser",
            "--port",
            "0",
            "--timeout",
            "30",
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert connect.stdout is not None
        assert "Open this URL" in connect.stdout.readline()
        url = connect.stdout.readline().strip()
        assert url.startswith(server.url + "/spotify-accounts/authorize?")
        approved = httpx.get(url)  # the browser: the sandbox approves and redirects
        assert approved.status_code == 302
        page = httpx.get(approved.headers["location"])  # ... to the CLI's listener
        assert page.status_code == 200 and "Crossfade got it" in page.text
        out, err = connect.communicate(timeout=30)
    finally:
        if connect.poll() is None:
            connect.kill()
            connect.wait()
    assert connect.returncode == 0, err
    assert "Connected spotify (account 1)" in out

    listed = crossfade("accounts", environ=environ)
    assert listed.returncode == 0, listed.stderr
    assert "spotify" in listed.stdout and "connected" in listed.stdout

    key = crossfade("keys", "generate", "--id", "fresh", environ=environ)
    assert key.stdout.startswith("fresh:") and len(key.stdout.strip()) == len("fresh:") + 44

    rotated = crossfade("keys", "rotate", environ=env(tmp_path, server, f"{NEW},{OLD}"))
    assert rotated.returncode == 0, rotated.stderr
    assert "now under key 'cli2'" in rotated.stdout
    again = crossfade("keys", "rotate", environ=env(tmp_path, server, f"{NEW},{OLD}"))
    assert "Rotation done: 0 values" in again.stdout

    missing = crossfade("accounts", environ=env(tmp_path, server, OLD))
    assert missing.returncode == 0  # listing needs no decryption
    gone = crossfade("disconnect", "spotify", environ=env(tmp_path, server, NEW))
    assert gone.returncode == 0, gone.stderr
    assert "Disconnected spotify" in gone.stdout
    listed = crossfade("accounts", environ=env(tmp_path, server, NEW))
    assert "disconnected" in listed.stdout


def test_cli_errors_are_one_line(tmp_path: Path, server: SandboxServer) -> None:
    environ = env(tmp_path, server)
    unknown = crossfade("connect", "napster", "--no-browser", environ=environ)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "crossfade: error: unknown provider 'napster'; "
        "choose one of deezer, spotify, tidal, youtube"
    )
    no_app = crossfade("connect", "tidal", "--no-browser", "--port", "0", environ=environ)
    assert no_app.returncode == 1
    assert "crossfade apps set tidal" in no_app.stderr
    bad_keys = crossfade("keys", "rotate", environ=env(tmp_path, server, "k1:short"))
    assert bad_keys.returncode == 1 and "not valid base64" in bad_keys.stderr
