"""The HTTP API against a real store (SQLite and Postgres), in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import TEST_KIND, Seeded, TestClient, register_test_kind, seeded_runtime

from engine import flags
from engine.api import create_app

PROBLEM = "application/problem+json"


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[Seeded]:
    register_test_kind()
    data = seeded_runtime(db_url, tmp_path)
    yield data
    data.runtime.close()


@pytest.fixture
def client(seeded: Seeded) -> Iterator[TestClient]:
    app = create_app(seeded.runtime, progress_poll_s=0.02)
    with TestClient(app, headers={"Authorization": f"Bearer {seeded.token}"}) as test_client:
        yield test_client


def _assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_auth_is_required_and_tokens_are_per_user(client: TestClient, seeded: Seeded) -> None:
    assert client.get("/health", headers={"Authorization": ""}).json() == {"status": "ok"}
    body = _assert_problem(client.get("/playlists", headers={"Authorization": ""}), 401)
    assert "missing API token" in str(body["detail"])
    _assert_problem(client.get("/playlists", headers={"Authorization": "Bearer nope"}), 401)

    mine = client.get("/playlists").json()
    assert mine["total"] == 3
    assert {p["name"]: p["item_count"] for p in mine["items"]} == {
        "Road Trip": 6,
        "Focus": 3,
        "Kitchen Radio": 3,
    }
    alice = {"Authorization": f"Bearer {seeded.other_token}"}
    theirs = client.get("/playlists", headers=alice).json()
    assert [p["name"] for p in theirs["items"]] == ["Alice's mix"]
    road = seeded.playlists["Road Trip"]
    _assert_problem(client.get(f"/playlists/{road}", headers=alice), 404)
    _assert_problem(client.get(f"/playlists/{road}/items", headers=alice), 404)
    assert client.get("/reviews", headers=alice).json()["total"] == 1


def test_playlists_items_accounts(client: TestClient, seeded: Seeded) -> None:
    road = seeded.playlists["Road Trip"]
    assert client.get(f"/playlists/{road}").json()["item_count"] == 6
    page = client.get(f"/playlists/{road}/items", params={"offset": 1, "limit": 2}).json()
    assert page["total"] == 6 and page["offset"] == 1 and page["limit"] == 2
    assert [i["title"] for i in page["items"]] == ["Harbour Lights", "Paper Planes at Dawn"]
    assert page["items"][0]["provider"] == "spotify"
    kitchen = client.get(f"/playlists/{seeded.playlists['Kitchen Radio']}/items").json()
    assert [i["override"] for i in kitchen["items"]] == [None, None, "replace"]
    accounts = client.get("/accounts").json()
    assert [(a["provider"], a["status"]) for a in accounts] == [
        ("deezer", "needs_reconnect"),
        ("spotify", "connected"),
    ]
    assert not any("token" in key for a in accounts for key in a)
    body = _assert_problem(client.get("/playlists", params={"limit": 0}), 422)
    assert "limit" in str(body["detail"])
    _assert_problem(client.get("/playlists/999999"), 404)
    assert "limt" in str(_assert_problem(client.get("/playlists?limt=5"), 422)["detail"])
    _assert_problem(client.get("/playlists?limit=5&limit=6"), 422)
    _assert_problem(client.get("/nowhere"), 404)


def test_reviews_decide_and_undo(client: TestClient) -> None:
    reviews = client.get("/reviews").json()
    assert reviews["total"] == 2
    first = reviews["items"][0]
    chosen = first["candidates"][0]["id"]
    decided = client.post(f"/reviews/{first['id']}/decision", json={"target_track_id": chosen})
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "matched" and decided.json()["decided_by"] == "curator"
    assert client.get("/reviews").json()["total"] == 1
    again = client.post(f"/reviews/{first['id']}/decision", json={"target_track_id": None})
    _assert_problem(again, 409)
    undone = client.post(f"/decisions/{decided.json()['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"] is not None
    assert client.get("/reviews").json()["total"] == 2
    _assert_problem(client.post("/reviews/1/decision", json={"bogus": 1}), 422)


def test_exports_create_then_download(client: TestClient, seeded: Seeded) -> None:
    road = seeded.playlists["Road Trip"]
    created = client.post("/exports", json={"playlist_id": road, "format": "m3u"})
    assert created.status_code == 201, created.text
    export = created.json()
    assert export["format"] == "m3u" and export["size_bytes"] > 0
    download = client.get(export["download_url"])
    assert download.status_code == 200
    assert "Night Drive" in download.text
    assert [e["id"] for e in client.get("/exports").json()["items"]] == [export["id"]]
    for fmt in ("exportify", "pif", "xspf"):  # formats with and without a file extension
        other = client.post("/exports", json={"playlist_id": road, "format": fmt})
        assert other.status_code == 201, other.text
        assert client.get(other.json()["download_url"]).content
    assert client.get(f"/exports/{export['id']}").json()["playlist_id"] == road
    assert len(client.get("/exports").json()) == 4
    alice = {"Authorization": f"Bearer {seeded.other_token}"}
    _assert_problem(client.get(export["download_url"], headers=alice), 404)
    _assert_problem(client.post("/exports", json={"playlist_id": road, "format": "wav"}), 400)
    _assert_problem(client.post("/exports", json={"playlist_id": road}, headers=alice), 404)


def test_jobs_idempotency_and_sse(client: TestClient, seeded: Seeded) -> None:
    body = {"kind": TEST_KIND, "params": {"n": 3}}
    headers = {"Idempotency-Key": "phone-1"}
    first = client.post("/jobs", json=body, headers=headers)
    assert first.status_code == 201, first.text
    job_id = first.json()["id"]
    replay = client.post("/jobs", json=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["id"] == job_id
    changed = client.post("/jobs", json={"kind": TEST_KIND, "params": {"n": 4}}, headers=headers)
    assert "idempotency-mismatch" in str(_assert_problem(changed, 422)["type"])

    with client.stream("GET", f"/jobs/{job_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert "event: progress" in text and "event: end" in text
    assert '"state": "succeeded"' in text
    job = client.get(f"/jobs/{job_id}").json()
    assert job["state"] == "succeeded" and job["result"] == {"counted": 3}
    assert [j["id"] for j in client.get("/jobs").json()] == [job_id]
    assert client.get("/jobs", params={"state": "queued"}).json() == []
    _assert_problem(client.get("/jobs", params={"state": "false"}), 422)
    _assert_problem(client.post(f"/jobs/{job_id}/cancel"), 409)

    alice = {"Authorization": f"Bearer {seeded.other_token}"}
    _assert_problem(client.get(f"/jobs/{job_id}", headers=alice), 404)
    _assert_problem(client.get(f"/jobs/{job_id}/events", headers=alice), 404)
    # the same key from another user is another job
    theirs = client.post("/jobs", json=body, headers={**headers, **alice})
    assert theirs.status_code == 201 and theirs.json()["id"] != job_id
    client.get(f"/jobs/{theirs.json()['id']}/events", headers=alice)  # let it finish

    _assert_problem(client.post("/jobs", json={"kind": "no_such_kind"}), 400)
    bad = client.post("/jobs", json={"kind": TEST_KIND, "params": {"x": "a\u0000b"}})
    _assert_problem(bad, 422)


def test_disabled_features_answer_503(client: TestClient, seeded: Seeded) -> None:
    runtime = seeded.runtime
    flags.set_flag(runtime, "feature.api_test", False)
    body = _assert_problem(client.post("/jobs", json={"kind": TEST_KIND}), 503)
    assert "feature.api_test is switched off" in str(body["detail"])
    flags.set_flag(runtime, "feature.review", False)
    _assert_problem(client.get("/reviews"), 503)
    flags.set_flag(runtime, "feature.export", False)
    _assert_problem(client.post("/exports", json={"playlist_id": 1}), 503)
    assert client.get("/playlists").status_code == 200
    flags.set_flag(runtime, "feature.api", False)
    _assert_problem(client.get("/playlists"), 503)
    flags.clear_flag(runtime, "feature.api")
    listed = {f["name"]: f["enabled"] for f in client.get("/flags").json()}
    assert listed["feature.review"] is False and listed["feature.api"] is True


def test_docs_and_openapi(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    assert "/jobs/{job_id}/events" in schema["paths"]


def test_upload_answer_carries_the_reader_warnings(client: TestClient) -> None:
    data = b"#EXTM3U\n#EXTINF:x,A - B\na.mp3\n#EXTINF:1,Gone\n"
    response = client.post("/uploads", files={"file": ("odd.m3u8", data, "audio/x-mpegurl")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tracks"] == 1
    assert [(w["file"], w["line"], w["reason"][:17]) for w in body["warnings"]] == [
        ("odd.m3u8", 2, "malformed #EXTINF"),
        ("odd.m3u8", 4, "#EXTINF without a"),
    ]
    empty = client.post("/uploads", files={"file": ("c.xspf", b"<playlist/>", "text/xml")})
    assert empty.status_code == 422 and "no tracks found" in empty.text
