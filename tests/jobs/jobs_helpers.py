"""Helpers shared by the job tests: users, runtimes and small test job kinds.

Test job functions live here as importable module-level functions (as RQ wants)
and are registered with ``engine.jobs.register_kind`` like any built-in.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select

from engine.errors import (
    CircuitOpenError,
    DataError,
    ProviderUnavailableError,
    QuotaExceededError,
)
from engine.jobs import JobContext, register_kind
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store.models import User


def make_runtime(
    db_url: str, tmp_path: Path, redis_url: str | None = None, sandbox_url: str | None = None
) -> Runtime:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        sandbox_url=sandbox_url,
    )
    runtime = Runtime(settings)
    OPENED.append(runtime)
    return runtime


OPENED: list[Runtime] = []
"""Runtimes made by :func:`make_runtime`; the jobs conftest closes any a test
left open (it failed before its own ``close()``), so a failure does not leak
connections that then break an unrelated later test."""


def ensure_user(runtime: Runtime, external_id: str = "local") -> int:
    with runtime.engine.begin() as conn:
        found = conn.execute(select(User.id).where(User.external_id == external_id)).scalar()
        if found is not None:
            return int(found)
        conn.execute(insert(User).values(external_id=external_id, display_name=external_id))
        return int(
            conn.execute(select(User.id).where(User.external_id == external_id)).scalar_one()
        )


def count_job(ctx: JobContext) -> dict[str, Any]:
    """Counts to params['n'] in batches, checkpointing after each."""
    n = int(ctx.params.get("n", 10))
    batch = int(ctx.params.get("batch", 3))
    done = int(ctx.checkpoint.get("done", 0))
    ctx.progress.phase("counting", total=n, done=done)
    while done < n:
        step = min(batch, n - done)
        time.sleep(float(ctx.params.get("sleep", 0)))
        done += step
        ctx.progress.advance(step)
        ctx.save_checkpoint(done=done)
    return {"counted": done, "attempt": ctx.attempt}


def failing_job(ctx: JobContext) -> dict[str, Any]:
    """Fails the way params['error'] says."""
    error = ctx.params.get("error")
    if error == "quota":
        raise QuotaExceededError("daily quota spent", provider="youtube")
    if error == "unavailable":
        raise ProviderUnavailableError("503 after retries", provider="deezer")
    if error == "data":
        raise DataError("row 3: no title")
    if error == "quota-no-reset":
        raise QuotaExceededError("monthly quota spent", provider="deezer")
    if error == "breaker":
        raise CircuitOpenError("circuit opened after 5 consecutive failures", provider="tidal")
    raise RuntimeError("boom")


class CountParams(BaseModel):
    """Parameters of ``api_count`` (``count_job`` with a model, as the API wants)."""

    model_config = ConfigDict(extra="forbid")
    n: int = Field(10, ge=0, le=10_000)
    batch: int = Field(3, ge=1, le=1_000)
    sleep: float = Field(0, ge=0, le=5)
    v: int = 0


def register_test_kinds() -> None:
    register_kind("test_count", "jobs_helpers:count_job", feature="feature.test")
    register_kind("test_fail", "jobs_helpers:failing_job", feature="feature.test")
    register_kind("api_count", "jobs_helpers:count_job", feature="feature.test", params=CountParams)
