"""Helpers for the API tests: a seeded runtime, two users' tokens, a test job kind."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.jobs import JobContext, register_kind
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope
from engine.store.seed import SECOND_USER, seed

with warnings.catch_warnings():
    # Starlette asks for the httpx2 package for its TestClient and warns when it
    # runs on httpx; the warning is about packaging, not about our code.
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

TEST_KIND = "api_test_count"


def count_job(ctx: JobContext) -> dict[str, Any]:
    """Counts to params['n'], one step at a time, reporting progress."""
    n = int(ctx.params.get("n", 3))
    ctx.progress.phase("counting", total=n)
    for _ in range(n):
        time.sleep(float(ctx.params.get("sleep", 0.01)))
        ctx.progress.advance(1)
    return {"counted": n}


class CountParams(BaseModel):
    """The test kind's parameter model (a kind without one is refused over the API)."""

    model_config = ConfigDict(extra="forbid")
    n: int = Field(3, ge=0, le=10_000)
    sleep: float = Field(0.01, ge=0, le=5)


def register_test_kind() -> None:
    register_kind(
        TEST_KIND, f"{__name__}:count_job", feature="feature.api_test", params=CountParams
    )


@dataclass
class Seeded:
    runtime: Runtime
    token: str
    other_token: str
    user_id: int
    playlists: dict[str, int]


def seeded_runtime(db_url: str, tmp_path: Path) -> Seeded:
    settings = Settings(env="test", data_dir=tmp_path / "data", DATABASE_URL=db_url)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    with session_scope(runtime.engine) as session:
        report = seed(session)
        _, token = repo.create_api_token(session, report.user_id, "tests")
        alice = repo.user_by_external_id(session, SECOND_USER)
        assert alice is not None
        _, other = repo.create_api_token(session, alice.id, "alice")
        playlists = {p.name: p.id for p in repo.list_playlists(session, report.user_id)}
    return Seeded(runtime, token, other, report.user_id, playlists)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ApiProcess:
    """A real ``crossfade api`` process on 127.0.0.1 over a seeded store."""

    url: str
    process: Any
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_api_process(data: Seeded, db_url: str, tmp_path: Path) -> ApiProcess:
    """Start ``python -m engine api`` over ``data``'s store and data dir; wait
    until it answers /health. Its stderr (logs, access lines) goes to a file."""
    import os
    import subprocess
    import sys

    import httpx

    port = free_port()
    env = {
        **os.environ,
        "CROSSFADE_ENV": "test",
        "CROSSFADE_DATA_DIR": str(data.runtime.settings.data_dir),
        "DATABASE_URL": db_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    env.pop("CROSSFADE_FLAGS", None)
    log_path = tmp_path / f"api-{port}.log"
    handle = log_path.open("wb")
    command = [sys.executable, "-m", "engine", "api", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return ApiProcess(url, process, log_path)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"the API process did not start:\n{log_path.read_text()}")
        time.sleep(0.2)


def stop_api_process(api: ApiProcess) -> None:
    api.process.terminate()
    try:
        api.process.wait(timeout=20)
    except Exception:
        api.process.kill()
        api.process.wait(timeout=10)
