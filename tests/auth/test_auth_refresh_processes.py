"""Two PROCESSES refresh the same Spotify account at once on Postgres against
one sandbox served on loopback (single-use refresh tokens enforced there):
exactly one refresh happens, both end with the same valid token, and the
account is not marked needs_reconnect."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from sqlalchemy import select

from engine.auth.crypto import generate_key, parse_key_ring
from engine.auth.oauth import finish_connect, start_connect
from engine.auth.tokens import save_app_credentials
from engine.http.factory import HttpFactory
from engine.runtime import Runtime
from engine.sandbox import Sandbox
from engine.sandbox.oauth import DEFAULT_CLIENT_ID
from engine.sandbox.server import SandboxServer
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.models import ProviderAccount
from engine.store.users import local_user

KEYS = generate_key("proc1")
WORKER = Path(__file__).with_name("auth_refresh_worker.py")


class SlowTokenSandbox(Sandbox):
    """Holds each token request for a moment, so the two refreshes overlap."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/token"):
            time.sleep(0.5)
        return super().handle(request)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_refresh_one_account_once(pg_url: str, tmp_path: Path) -> None:
    sandbox = SlowTokenSandbox.from_records(
        [{"title": "Song", "artists": ["Artist"], "isrc": "GBAYE2400001", "duration_ms": 1000}]
    )
    with SandboxServer(sandbox) as server:
        settings = Settings(  # type: ignore[call-arg]
            env="test", data_dir=tmp_path / "data", token_keys=KEYS, sandbox_url=server.url
        ).model_copy(update={"database_url": pg_url})
        runtime = Runtime(settings)
        try:
            account_id = _connect(runtime)
        finally:
            runtime.close()
        sandbox.expire_tokens("spotify")
        refreshes_before = sandbox.log.count("spotify", "POST", "/api/token")

        env = {
            **os.environ,
            "CROSSFADE_ENV": "test",
            "CROSSFADE_DATA_DIR": str(tmp_path / "data"),
            "CROSSFADE_TOKEN_KEYS": KEYS,
            "CROSSFADE_SANDBOX_URL": server.url,
            "DATABASE_URL": pg_url,
        }
        env.pop("REDIS_URL", None)
        go = tmp_path / "go"
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), str(account_id), str(go)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert worker.stdout.readline().strip() == "ready", worker.stderr
            go.touch()
            outputs = [worker.communicate(timeout=60) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        results = []
        for worker, (out, err) in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))

        assert sandbox.log.count("spotify", "POST", "/api/token") - refreshes_before == 1
        assert sorted(r["refreshes"] for r in results) == [0, 1]
        assert results[0]["sha"] == results[1]["sha"]
        valid = {
            hashlib.sha256(token.encode()).hexdigest()
            for token in sandbox.state.access
            if sandbox.state.valid_access("spotify", token) is not None
        }
        assert results[0]["sha"] in valid

    engine_runtime = Runtime(settings)
    try:
        with session_scope(engine_runtime.engine) as session:
            row = session.scalars(select(ProviderAccount)).one()
            assert row.status == "connected", row.status_reason
    finally:
        engine_runtime.close()


def _connect(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        uid = local_user(session).id
        save_app_credentials(
            session,
            parse_key_ring(KEYS),
            user_id=uid,
            provider="spotify",
            client_id=DEFAULT_CLIENT_ID,
            client_secret=None,
            redirect_uri="http://127.0.0.1:8765/callback",
        )
    url = start_connect(runtime, uid, "spotify")
    location = httpx.get(url).headers["location"]
    params = dict(parse_qsl(urlsplit(location).query))
    with HttpFactory(runtime.settings) as http:
        return finish_connect(runtime, uid, "spotify", params, http_factory=http)
