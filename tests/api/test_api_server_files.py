"""A real ``crossfade api`` process, two users: jobs name uploads and ids, never
server paths; written files stay in their owner's export area; parameters are
typed before anything is queued (issue 16, items 1 and 2)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import (
    ApiProcess,
    Seeded,
    seeded_runtime,
    start_api_process,
    stop_api_process,
)

from engine.samples import sample_path
from engine.store import repo
from engine.store.db import session_scope
from engine.userfiles import export_dir, upload_dir

PROBLEM = "application/problem+json"


@dataclass
class World:
    data: Seeded
    api: ApiProcess
    bob: httpx.Client
    """The seed's local user (``data.token``)."""
    alice: httpx.Client
    """The second user (``data.other_token``)."""
    alice_id: int


@pytest.fixture
def world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    data = seeded_runtime(pg_url, tmp_path)
    api = start_api_process(data, pg_url, tmp_path)
    with session_scope(data.runtime.engine) as session:
        alice_id = int(repo.user_for_token(session, data.other_token).id)  # type: ignore[union-attr]
    bob = httpx.Client(
        base_url=api.url, headers={"Authorization": f"Bearer {data.token}"}, timeout=30
    )
    alice = httpx.Client(
        base_url=api.url, headers={"Authorization": f"Bearer {data.other_token}"}, timeout=30
    )
    try:
        yield World(data, api, bob, alice, alice_id)
    finally:
        bob.close()
        alice.close()
        stop_api_process(api)
        data.runtime.close()


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def _upload(client: httpx.Client, name: str = "road-trip.m3u8") -> dict[str, Any]:
    files = {"file": (name, sample_path(name).read_bytes(), "application/octet-stream")}
    response = client.post("/uploads", files=files)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _no_jobs(client: httpx.Client) -> None:
    assert client.get("/jobs").json() == []


def test_server_paths_are_refused_before_queueing(world: World, tmp_path: Path) -> None:
    """Absolute paths, ``..`` and symlinks, read or written: 422, nothing queued,
    nothing written; the answer never tells whether the server file exists."""
    secret = tmp_path / "server-secret.csv"
    secret.write_text("title,artist\nSecret Song,Nobody\n", encoding="utf-8")
    link = tmp_path / "innocent.m3u8"
    link.symlink_to(secret)
    alice_area = export_dir(world.data.runtime.settings, world.alice_id)
    escape = alice_area / ".." / ".." / "escaped.csv"
    attempts: list[dict[str, Any]] = [
        {"kind": "export", "params": {"out": str(tmp_path / "anywhere" / "x.csv")}},
        {"kind": "export", "params": {"out": str(escape)}},
        {"kind": "export", "params": {"out": "../../../x.csv"}},
        {"kind": "export", "params": {"out": str(alice_area / "x.csv")}},
        {"kind": "export", "params": {"out": str(tmp_path), "lake": True}},
        {"kind": "migrate", "params": {"source": {"file": str(secret)}, "target_account_id": 1}},
        {"kind": "migrate", "params": {"source": {"file": str(link)}, "target_account_id": 1}},
        {
            "kind": "migrate",
            "params": {
                "source": {"playlist_id": world.data.playlists["Road Trip"]},
                "target_account_id": 1,
                "report_dir": str(alice_area),
            },
        },
        {
            "kind": "sync",
            "params": {
                "source": {"file": "../x.m3u"},
                "target_account_id": 1,
                "target_playlist_id": "p1",
            },
        },
    ]
    for body in attempts:
        problem = _problem(world.bob.post("/jobs", json=body), 422)
        assert problem["type"].endswith("/validation"), problem
        assert any("server paths" in e["msg"] for e in problem["errors"]), problem
    _no_jobs(world.bob)
    assert not (tmp_path / "anywhere").exists() and not escape.exists()
    assert not alice_area.exists()
    assert not (tmp_path / "lake").exists()

    # the existence oracle: an existing server file, a missing one, a folder and
    # an unreadable format all get the very same answer
    answers = set()
    for path in (secret, tmp_path / "no-such-file.csv", tmp_path, Path("/etc/hostname")):
        body = {
            "kind": "migrate",
            "params": {"source": {"file": str(path)}, "target_account_id": 1},
        }
        problem = _problem(world.bob.post("/jobs", json=body), 422)
        answers.add((problem["detail"], str(problem["errors"])))
    assert len(answers) == 1, answers


def test_uploads_belong_to_their_user(world: World) -> None:
    """A job may read only the caller's uploads: another user's upload, a
    missing one and one whose file was swapped for a symlink answer alike."""
    mine = _upload(world.bob)
    theirs = _upload(world.alice, "road-trip.csv")
    assert mine["format"] == "m3u" and mine["tracks"] > 0
    assert [u["id"] for u in world.bob.get("/uploads").json()["items"]] == [mine["id"]]
    _problem(world.bob.get(f"/uploads/{theirs['id']}"), 404)

    def migrate_from(upload_id: int) -> httpx.Response:
        params = {"source": {"upload_id": upload_id}, "target_account_id": 1}
        return world.bob.post("/jobs", json={"kind": "migrate", "params": params})

    refused = [_problem(migrate_from(i), 422) for i in (theirs["id"], 99_999)]
    assert [p["errors"][0]["loc"] for p in refused] == [["params", "source", "upload_id"]] * 2
    assert {p["detail"].replace(str(theirs["id"]), "N").replace("99999", "N") for p in refused} == {
        "params.source.upload_id: upload N does not exist"
    }
    # a symlink put in place of my upload's file (pointing at Alice's) is not followed
    settings = world.data.runtime.settings
    with session_scope(world.data.runtime.engine) as session:
        row = repo.get_upload(session, world.data.user_id, mine["id"])
        alice_file = repo.get_upload(session, world.alice_id, theirs["id"]).path
        mine_path = Path(row.path)
    assert mine_path.parent == upload_dir(settings, world.data.user_id)
    mine_path.unlink()
    mine_path.symlink_to(alice_file)
    _problem(migrate_from(mine["id"]), 422)
    _no_jobs(world.bob)

    # a file that does not read is refused and not kept; the error names the
    # upload, never where the server keeps it
    bad = world.bob.post("/uploads", files={"file": ("notes.txt", b"\x00\x01 not a playlist")})
    problem = _problem(bad, 422)
    assert "notes.txt" in problem["detail"] and str(settings.data_dir) not in problem["detail"]
    assert [u["id"] for u in world.bob.get("/uploads").json()["items"]] == [mine["id"]]


def test_api_export_jobs_write_only_the_callers_export_area(world: World) -> None:
    """An export job over the API writes into the caller's export area; the
    files are the caller's exports, downloadable by them only."""
    road = world.data.playlists["Road Trip"]
    alice_export = world.alice.post("/exports", json={"playlist_id": _alice_playlist(world)})
    assert alice_export.status_code == 201, alice_export.text
    before = world.alice.get(alice_export.json()["download_url"]).content

    submitted = world.bob.post(
        "/jobs", json={"kind": "export", "params": {"playlists": [road], "format": "csv"}}
    )
    assert submitted.status_code == 201, submitted.text
    job = _wait(world.bob, submitted.json()["id"])
    assert job["state"] == "succeeded", job
    page = world.bob.get("/exports").json()
    assert set(page) == {"items", "total", "offset", "limit"}
    assert page["total"] == 1 and page["limit"] == 50 and page["offset"] == 0
    (export,) = page["items"]
    assert export["job_id"] == job["id"] and export["format"] == "csv"
    download = world.bob.get(export["download_url"])
    assert download.status_code == 200 and "Night Drive" in download.text
    _problem(world.alice.get(export["download_url"]), 404)
    area = export_dir(world.data.runtime.settings, world.data.user_id)
    assert [p.parent.parent for p in area.rglob("*.csv")] == [area]
    # Alice's export is untouched
    assert world.alice.get(alice_export.json()["download_url"]).content == before

    # an export row leading out of the area (a symlink, or a path elsewhere) is
    # never served, though it is the caller's own row
    settings = world.data.runtime.settings
    alice_row_path = _export_path(world, world.alice_id, alice_export.json()["id"])
    link = area / "link.csv"
    link.symlink_to(alice_row_path)
    for path in (str(link), alice_row_path, str(area / ".." / f"user-{world.alice_id}")):
        with session_scope(world.data.runtime.engine) as session:
            row = repo.record_export(session, world.data.user_id, format="csv", path=path)
            export_id = row.id
        _problem(world.bob.get(f"/exports/{export_id}/download"), 404)
    assert settings.data_dir.exists()


def test_job_parameters_are_typed_before_queueing(world: World) -> None:
    """A migrate without ``target_account_id`` (accepted and then a worker
    KeyError before) is 422 with field errors; nothing is queued."""
    road = world.data.playlists["Road Trip"]
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"source": {"playlist_id": road}}, ["params", "target_account_id"]),
        (
            {"source": {"playlist_id": road}, "target_account_id": "x"},
            ["params", "target_account_id"],
        ),
        ({"source": {}, "target_account_id": 1}, ["params", "source"]),
        (
            {"source": {"playlist_id": road}, "target_account_id": 1, "review_policy": "maybe"},
            ["params", "review_policy"],
        ),
        (
            {"source": {"playlist_id": road}, "target_account_id": 1, "colour": 1},
            ["params", "colour"],
        ),
    ]
    for params, loc in cases:
        problem = _problem(world.bob.post("/jobs", json={"kind": "migrate", "params": params}), 422)
        assert problem["type"].endswith("/validation")
        assert problem["errors"][0]["loc"] == loc, problem
    problem = _problem(
        world.bob.post("/jobs", json={"kind": "export", "params": {"format": "docx"}}), 422
    )
    assert problem["errors"][0]["loc"] == ["params", "format"]
    _no_jobs(world.bob)


def test_access_log_keeps_every_line_and_no_secret(world: World) -> None:
    """uvicorn's access line for every request (the redaction hook is on in
    the API process), never a ``--- Logging error ---``, never an OAuth code."""
    code = "AQDk3f9s8Jd72hFq0PzLm4nX1aTg6uVy5cRw"
    for _ in range(3):
        assert world.bob.get("/health").status_code == 200
    world.bob.get("/oauth/spotify/callback", params={"code": code, "state": "nope"})
    assert world.bob.get("/health").status_code == 200
    stop_api_process(world.api)
    log = world.api.log()
    assert "Logging error" not in log, log
    # one more from the fixture's start-up wait
    assert log.count('"GET /health HTTP/1.1" 200 OK') == 1 + 4, log
    assert '"GET /oauth/spotify/callback?code=[redacted]&state=nope HTTP/1.1"' in log, log
    assert code not in log


def test_token_is_checked_before_the_query(world: World) -> None:
    """An unauthenticated caller learns nothing from its query (401, not 422);
    an unknown parameter's 422 lists it in ``errors`` like every validation."""
    anonymous = httpx.get(f"{world.api.url}/playlists", params={"limt": "5"}, timeout=30)
    assert _problem(anonymous, 401)["type"].endswith("/unauthorized")
    bad_token = httpx.get(
        f"{world.api.url}/exports",
        params={"limt": "5"},
        headers={"Authorization": "Bearer cf_nope"},
        timeout=30,
    )
    _problem(bad_token, 401)
    problem = _problem(world.bob.get("/playlists", params={"limt": "5", "offset": "0"}), 422)
    assert problem["errors"] == [
        {"loc": ["query", "limt"], "msg": "unknown query parameter", "type": "extra_forbidden"}
    ]
    repeated = _problem(world.bob.get("/exports?limit=1&limit=2"), 422)
    assert repeated["errors"][0]["loc"] == ["query", "limit"]
    # /health needs no token, so its unknown parameter is a plain 422
    assert httpx.get(f"{world.api.url}/health?x=1", timeout=30).status_code == 422


def test_operator_sets_app_credentials_once_for_every_user(world: World) -> None:
    """``crossfade apps set`` (the operator, once) lets every user connect;
    the second user's connect answered 409 before. Accounts stay per user."""
    import os
    import subprocess
    import sys
    from urllib.parse import parse_qs, urlsplit

    def connect(client: httpx.Client) -> httpx.Response:
        body = {"redirect_uri": f"{world.api.url}/oauth/deezer/callback"}
        return client.post("/accounts/deezer/connect", json=body)

    def crossfade(*args: str) -> str:
        env = {
            **os.environ,
            "CROSSFADE_ENV": "test",
            "CROSSFADE_DATA_DIR": str(world.data.runtime.settings.data_dir),
            "DATABASE_URL": world.data.runtime.settings.sqlalchemy_url,
        }
        done = subprocess.run(
            [sys.executable, "-m", "engine", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    _problem(connect(world.alice), 409)
    crossfade("apps", "set", "deezer", "--client-id", "1234", "--client-secret", "s3cret")
    for client in (world.alice, world.bob):
        started = connect(client)
        assert started.status_code == 201, started.text
        query = parse_qs(urlsplit(started.json()["authorize_url"]).query)
        assert query["app_id"] == ["1234"]
    assert "deezer   1234  (secret set" in crossfade("apps", "list")
    # accounts stay per user: Alice has none, Bob his seeded ones
    assert world.alice.get("/accounts").json() == []
    assert {a["provider"] for a in world.bob.get("/accounts").json()} == {"deezer", "spotify"}


def test_csv_exports_for_people_are_formula_safe(world: World) -> None:
    """POST /exports as CSV neutralises a formula title; ``raw`` keeps it."""
    import csv
    import io

    from engine.frame import tracks_frame

    evil = '=HYPERLINK("http://evil","x")'
    with session_scope(world.data.runtime.engine) as session:
        playlist = repo.create_playlist(session, world.data.user_id, "Evil")
        snapshot = repo.begin_snapshot(session, playlist.id)
        ids = repo.upsert_tracks(session, tracks_frame([{"title": evil, "artists": ["+x"]}]))
        repo.add_snapshot_items(session, snapshot.id, ids)
        repo.complete_snapshot(session, snapshot.id)
        playlist_id = playlist.id
    titles = {}
    for raw in (False, True):
        body = {"playlist_id": playlist_id, "format": "csv", "raw": raw}
        created = world.bob.post("/exports", json=body)
        assert created.status_code == 201, created.text
        download = world.bob.get(created.json()["download_url"])
        assert download.status_code == 200, download.text
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert len(rows) == 1, (created.json(), download.text)
        titles[raw] = rows[0]["title"]
    assert titles == {False: "'" + evil, True: evil}


def _alice_playlist(world: World) -> int:
    items = world.alice.get("/playlists").json()["items"]
    return int(items[0]["id"])


def _export_path(world: World, user_id: int, export_id: int) -> str:
    with session_scope(world.data.runtime.engine) as session:
        return str(repo.get_export(session, user_id, export_id).path)
