"""Job progress is read through the owner-checked path: ``read_progress``,
``follow`` and the API's progress stream refuse another user's job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import pytest
from api_helpers import TEST_KIND, Seeded, TestClient, register_test_kind, seeded_runtime

from engine import jobs
from engine.api import create_app
from engine.api.routes_jobs import progress_events
from engine.errors import NotFoundError
from engine.store import repo
from engine.store.db import session_scope
from engine.store.seed import SECOND_USER


@pytest.fixture
def seeded(sqlite_url: str, tmp_path: Path) -> Iterator[Seeded]:
    register_test_kind()
    data = seeded_runtime(sqlite_url, tmp_path)
    yield data
    data.runtime.close()


def alice_id(seeded: Seeded) -> int:
    with session_scope(seeded.runtime.engine) as session:
        alice = repo.user_by_external_id(session, SECOND_USER)
        assert alice is not None
        return int(alice.id)


def test_read_progress_checks_the_owner(seeded: Seeded) -> None:
    runtime, owner, other = seeded.runtime, seeded.user_id, alice_id(seeded)
    job = jobs.submit(runtime, TEST_KIND, {"n": 2}, user_id=owner, start=False)
    assert jobs.read_progress(runtime, job, user_id=owner)["state"] == "queued"
    assert jobs.read_progress(runtime, job)["job_id"] == job  # no user: the operator's view
    with pytest.raises(NotFoundError, match=f"no job {job}"):
        jobs.read_progress(runtime, job, user_id=other)
    with pytest.raises(NotFoundError):
        next(jobs.follow(runtime, job, user_id=other, timeout_s=1))
    with pytest.raises(NotFoundError):  # another user's job reads like a missing one
        jobs.read_progress(runtime, "no-such-job", user_id=owner)


def test_api_progress_stream_checks_the_owner(seeded: Seeded) -> None:
    runtime, other = seeded.runtime, alice_id(seeded)
    app = create_app(runtime, progress_poll_s=0.02)
    with TestClient(app, headers={"Authorization": f"Bearer {seeded.token}"}) as client:
        created = client.post("/jobs", json={"kind": TEST_KIND, "params": {"n": 2}})
        assert created.status_code == 201, created.text
        job = created.json()["id"]
        alice = {"Authorization": f"Bearer {seeded.other_token}"}
        for path in (f"/jobs/{job}", f"/jobs/{job}/events"):
            refused = client.get(path, headers=alice)
            assert refused.status_code == 404, refused.text
            assert job in refused.json()["detail"]
        own = client.get(f"/jobs/{job}")
        assert own.status_code == 200 and own.json()["progress"]["job_id"] == job
        client.get(f"/jobs/{job}/events")  # let it finish before the runtime closes

    async def first_event(user_id: int) -> dict[str, str]:
        stream = progress_events(runtime, job, 0.01, user_id=user_id)
        assert isinstance(stream, AsyncGenerator)
        try:
            return await anext(stream)
        finally:
            await stream.aclose()

    assert '"job_id"' in asyncio.run(first_event(seeded.user_id))["data"]
    with pytest.raises(NotFoundError):
        asyncio.run(first_event(other))
