"""Helpers for the API tests: a seeded runtime, two users' tokens, a test job kind."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def register_test_kind() -> None:
    register_kind(TEST_KIND, f"{__name__}:count_job", feature="feature.api_test")


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
