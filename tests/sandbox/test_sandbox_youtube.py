"""The emulated YouTube Data API: parts, pageToken paging, one insert per call, quota."""

from __future__ import annotations

from typing import Any

import httpx
from sandbox_helpers import URLS, DiscoveryDoc, bearer

from engine.sandbox import Sandbox

API = URLS["youtube"]["api"]


def video(sandbox: Sandbox, n: int) -> str:
    return sandbox.catalog.tracks[n].ids["youtube"]


def insert(
    client: httpx.Client, h: dict[str, str], pid: str, video_id: str, **snippet: Any
) -> httpx.Response:
    body = {
        "snippet": {
            "playlistId": pid,
            "resourceId": {"kind": "youtube#video", "videoId": video_id},
            **snippet,
        }
    }
    return client.post(f"{API}/playlistItems", params={"part": "snippet"}, json=body, headers=h)


def new_playlist(client: httpx.Client, h: dict[str, str]) -> str:
    response = client.post(
        f"{API}/playlists",
        params={"part": "snippet,status"},
        headers=h,
        json={"snippet": {"title": "Mix"}, "status": {"privacyStatus": "private"}},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_responses_fit_the_discovery_schemas(
    sandbox: Sandbox, client: httpx.Client, youtube_doc: DiscoveryDoc
) -> None:
    h = bearer(sandbox, "youtube")
    created = client.post(
        f"{API}/playlists",
        params={"part": "snippet,status,contentDetails"},
        json={"snippet": {"title": "Mix", "description": "d"}},
        headers=h,
    )
    youtube_doc.validate("playlists", "insert", created)
    pid = created.json()["id"]
    inserted = insert(client, h, pid, video(sandbox, 0))
    youtube_doc.validate("playlistItems", "insert", inserted)
    sandbox.seed_library("youtube", "alice", liked=[video(sandbox, 2)])
    checks = [
        ("channels", "list", "/channels?part=snippet,contentDetails&mine=true"),
        ("playlists", "list", "/playlists?part=snippet,status,contentDetails&mine=true"),
        ("playlistItems", "list", f"/playlistItems?part=snippet,contentDetails&playlistId={pid}"),
        ("playlistItems", "list", "/playlistItems?part=snippet&playlistId=LL"),
        ("search", "list", "/search?part=snippet&q=Song+1&type=video&maxResults=50"),
        ("videos", "list", f"/videos?part=snippet,contentDetails&id={video(sandbox, 1)}"),
        ("videos", "list", "/videos?part=snippet&myRating=like"),
    ]
    for resource, method, url in checks:
        response = client.get(API + url, headers=h)
        assert response.status_code == 200, (url, response.text)
        youtube_doc.validate(resource, method, response)
    item_id = inserted.json()["id"]
    deleted = client.delete(f"{API}/playlistItems", params={"id": item_id}, headers=h)
    youtube_doc.validate("playlistItems", "delete", deleted)


def test_parameters_are_checked_as_documented(
    sandbox: Sandbox, client: httpx.Client, youtube_doc: DiscoveryDoc
) -> None:
    h = bearer(sandbox, "youtube")
    documented = youtube_doc.method("playlistItems", "list")["parameters"]
    assert documented["maxResults"]["maximum"] == "50" and documented["part"]["required"]
    no_part = client.get(f"{API}/playlists?mine=true", headers=h)
    assert no_part.status_code == 400
    assert no_part.json()["error"]["errors"][0]["reason"] == "required"
    bad_part = client.get(f"{API}/playlists?mine=true&part=bogus", headers=h)
    assert bad_part.json()["error"]["errors"][0]["reason"] == "unknownPart"
    too_many = client.get(f"{API}/search?part=snippet&q=Song&maxResults=51", headers=h)
    assert too_many.status_code == 400


def test_page_tokens_chain_all_items(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "youtube")
    pid = sandbox.seed_playlist(
        "youtube", "alice", "Long", [t.ids["youtube"] for t in sandbox.catalog.tracks[:23]]
    )
    seen: list[str] = []
    token: str | None = None
    while True:
        params = {"part": "snippet", "playlistId": pid, "maxResults": "10"}
        if token:
            params["pageToken"] = token
        body = client.get(f"{API}/playlistItems", params=params, headers=h).json()
        seen += [i["snippet"]["resourceId"]["videoId"] for i in body["items"]]
        assert [i["snippet"]["position"] for i in body["items"]] == list(
            range(len(seen) - len(body["items"]), len(seen))
        )
        token = body.get("nextPageToken")
        if not token:
            break
    assert seen == sandbox.playlist_track_ids("youtube", pid)
    bad = client.get(
        f"{API}/playlistItems",
        headers=h,
        params={"part": "id", "playlistId": pid, "pageToken": "!!"},
    )
    assert bad.status_code == 400


def test_insert_position_update_and_delete(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "youtube")
    pid = new_playlist(client, h)
    items = [insert(client, h, pid, video(sandbox, n)).json() for n in range(3)]
    front = insert(client, h, pid, video(sandbox, 5), position=0)
    assert front.json()["snippet"]["position"] == 0
    order = [video(sandbox, n) for n in (5, 0, 1, 2)]
    assert sandbox.playlist_track_ids("youtube", pid) == order
    bad = insert(client, h, pid, video(sandbox, 6), position=99)
    assert bad.status_code == 400
    assert insert(client, h, pid, "nope").status_code == 404
    body = {
        "id": items[2]["id"],
        "snippet": {
            "playlistId": pid,
            "position": 0,
            "resourceId": {"kind": "youtube#video", "videoId": video(sandbox, 2)},
        },
    }
    moved = client.put(f"{API}/playlistItems", params={"part": "snippet"}, json=body, headers=h)
    assert moved.status_code == 200
    assert sandbox.playlist_track_ids("youtube", pid)[0] == video(sandbox, 2)
    gone = client.delete(f"{API}/playlistItems", params={"id": items[0]["id"]}, headers=h)
    assert gone.status_code == 204
    assert video(sandbox, 0) not in sandbox.playlist_track_ids("youtube", pid)
    other = bearer(sandbox, "youtube", "bob")
    assert insert(client, other, pid, video(sandbox, 7)).status_code == 404  # private


def test_search_is_by_text_only(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "youtube")
    by_text = client.get(
        f"{API}/search",
        headers=h,
        params={"part": "snippet", "q": "Song 13 Guest Star", "type": "video"},
    )
    titles = [i["snippet"]["title"] for i in by_text.json()["items"]]
    assert titles == ["Artist 6, Guest Star - Song 13"]
    by_isrc = client.get(
        f"{API}/search", headers=h, params={"part": "snippet", "q": "USSBX0000013", "type": "video"}
    )
    assert by_isrc.json()["items"] == []


def test_daily_quota_is_spent_in_units(make_sandbox: Any, clock: Any) -> None:
    sandbox = make_sandbox(youtube_daily_units=260)
    with httpx.Client(transport=sandbox.transport()) as client:
        h = bearer(sandbox, "youtube")
        search = {"part": "snippet", "q": "Song"}
        assert client.get(f"{API}/search", params=search, headers=h).status_code == 200
        assert client.get(f"{API}/search", params=search, headers=h).status_code == 200
        assert sandbox.quota_used() == 200
        pid = new_playlist(client, h)  # 50 units
        assert sandbox.quota_used() == 250
        spent = client.get(f"{API}/search", params=search, headers=h)
        assert spent.status_code == 403
        error = spent.json()["error"]
        assert error["code"] == 403
        assert error["errors"][0]["reason"] == "quotaExceeded"
        assert error["errors"][0]["domain"] == "youtube.quota"
        listed = client.get(
            f"{API}/playlistItems", headers=h, params={"part": "id", "playlistId": pid}
        )
        assert listed.status_code == 200 and sandbox.quota_used() == 251
        clock.now += 86_400
        h = bearer(sandbox, "youtube")  # the old token expired meanwhile
        assert client.get(f"{API}/search", params=search, headers=h).status_code == 200


def test_auth_errors_in_google_shape(sandbox: Sandbox, client: httpx.Client) -> None:
    response = client.get(
        f"{API}/playlists?part=id&mine=true", headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["errors"][0]["reason"] == "authError"
    readonly = sandbox.issue_token(
        "youtube", "alice", scopes=["https://www.googleapis.com/auth/youtube.readonly"]
    ).access_token
    denied = client.post(
        f"{API}/playlists?part=snippet",
        json={"snippet": {"title": "x"}},
        headers={"Authorization": f"Bearer {readonly}"},
    )
    assert denied.status_code == 403
    assert denied.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_etag_revalidation(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "youtube")
    pid = sandbox.seed_playlist("youtube", "alice", "E", [video(sandbox, 0)])
    params = {"part": "snippet", "playlistId": pid}
    first = client.get(f"{API}/playlistItems", params=params, headers=h)
    etag = first.headers["ETag"]
    assert etag == f'"{first.json()["etag"]}"'
    same = client.get(f"{API}/playlistItems", params=params, headers={**h, "If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    insert(client, h, pid, video(sandbox, 1))
    changed = client.get(
        f"{API}/playlistItems", params=params, headers={**h, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
