"""Sync groups over the HTTP API: create, list, pause/resume, schedule, run,
reviews; another user's group is "not found"; a file member is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import Seeded, TestClient, seeded_runtime
from sqlalchemy import select

from engine.api import create_app
from engine.jobs import job_row
from engine.store.models import ProviderAccount


@pytest.fixture
def seeded(sqlite_url: str, tmp_path: Path) -> Iterator[Seeded]:
    data = seeded_runtime(sqlite_url, tmp_path)
    yield data
    data.runtime.close()


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    app = create_app(seeded.runtime, start_jobs=False)
    with TestClient(app, headers={"Authorization": f"Bearer {seeded.token}"}) as test_client:
        yield test_client


def _accounts(seeded: Seeded) -> dict[str, int]:
    with seeded.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(ProviderAccount.provider, ProviderAccount.id).where(
                ProviderAccount.user_id == seeded.user_id
            )
        ).all()
    return {provider: int(account) for provider, account in rows}


def test_groups_over_the_api(client: TestClient, seeded: Seeded) -> None:
    accounts = _accounts(seeded)
    body = {
        "name": "everywhere",
        "members": [
            {"kind": "playlist", "account_id": accounts["spotify"], "playlist_id": "sp1"},
            {"kind": "playlist", "account_id": accounts["deezer"], "playlist_id": "dz1"},
        ],
    }
    created = client.post("/sync-groups", json=body)
    assert created.status_code == 201, created.text
    group = created.json()
    assert [m["kind"] for m in group["members"]] == ["playlist", "playlist"]
    assert group["previewed"] is False and group["status"] == "active"
    assert client.post("/sync-groups", json=body).status_code == 409  # same name

    bad = {**body, "name": "f", "members": [{"kind": "file", "path": "/etc/passwd"}] * 2}
    assert client.post("/sync-groups", json=bad).status_code == 422  # no server paths
    assert [g["name"] for g in client.get("/sync-groups").json()] == ["everywhere"]

    gid = group["id"]
    assert client.post(f"/sync-groups/{gid}/pause").json()["status"] == "paused"
    assert client.post(f"/sync-groups/{gid}/resume").json()["status"] == "active"
    scheduled = client.put(f"/sync-groups/{gid}/schedule", json={"every": "6h"})
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["schedule"] == "every:21600" and scheduled.json()["next_run_at"]
    assert client.put(f"/sync-groups/{gid}/schedule", json={"cron": "nonsense"}).status_code == 400
    assert client.put(f"/sync-groups/{gid}/schedule", json={}).json()["schedule"] is None

    run = client.post(f"/sync-groups/{gid}/runs", json={})
    assert run.status_code == 202, run.text
    job = job_row(seeded.runtime, run.json()["job_id"])
    assert job["kind"] == "sync_group" and job["params"]["dry_run"] is True
    again = client.post(f"/sync-groups/{gid}/runs", json={"apply": True}).json()
    assert again["job_id"] != run.json()["job_id"] and again["dry_run"] is False
    assert client.get(f"/jobs/{again['job_id']}").status_code == 200
    assert client.get("/sync-groups/reviews").json() == []

    other = {"Authorization": f"Bearer {seeded.other_token}"}
    assert client.get(f"/sync-groups/{gid}", headers=other).status_code == 404
    assert client.post(f"/sync-groups/{gid}/runs", json={}, headers=other).status_code == 404
    assert client.delete(f"/sync-groups/{gid}", headers=other).status_code == 404
    assert client.delete(f"/sync-groups/{gid}").status_code == 204
    assert client.get(f"/sync-groups/{gid}").status_code == 404
