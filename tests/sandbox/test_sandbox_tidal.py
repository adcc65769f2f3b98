"""The emulated TIDAL API v2: JSON:API documents, cursors, filters, limits, idempotency."""

from __future__ import annotations

from typing import Any

import httpx
from sandbox_helpers import URLS, OpenApiDoc, bearer

from engine.sandbox import Sandbox

API = URLS["tidal"]["api"]
JSONAPI = "application/vnd.api+json"


def headers(sandbox: Sandbox, user: str = "alice", **extra: str) -> dict[str, str]:
    return {**bearer(sandbox, "tidal", user), "Content-Type": JSONAPI, **extra}


def create(client: httpx.Client, h: dict[str, str], name: str = "Mix") -> str:
    body = {"data": {"type": "playlists", "attributes": {"name": name, "accessType": "PUBLIC"}}}
    response = client.post(f"{API}/playlists", json=body, headers=h)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def add(client: httpx.Client, h: dict[str, str], pid: str, ids: list[str]) -> httpx.Response:
    data = [{"id": i, "type": "tracks"} for i in ids]
    return client.post(f"{API}/playlists/{pid}/relationships/items", json={"data": data}, headers=h)


def ids(sandbox: Sandbox, count: int, start: int = 0) -> list[str]:
    return [t.ids["tidal"] for t in sandbox.catalog.tracks[start : start + count]]


def test_documents_validate(sandbox: Sandbox, client: httpx.Client, tidal_doc: OpenApiDoc) -> None:
    h = headers(sandbox)
    pid = create(client, h)
    added = add(client, h, pid, ids(sandbox, 25))
    tidal_doc.validate("/playlists/{id}/relationships/items", added)
    assert added.headers["content-type"].startswith(JSONAPI)
    sandbox.seed_library("tidal", "alice", liked=ids(sandbox, 3))
    checks = [
        (
            "/tracks",
            f"{API}/tracks?filter[isrc]=USSBX0000001&filter[isrc]=USSBX0000002"
            "&include=albums,artists",
        ),
        ("/tracks", f"{API}/tracks?filter[isrc]=USSBX0000003"),
        ("/tracks/{id}", f"{API}/tracks/{ids(sandbox, 1)[0]}?include=artists"),
        ("/playlists", f"{API}/playlists?filter[owners.id]=me"),
        ("/playlists/{id}", f"{API}/playlists/{pid}?include=items"),
        ("/playlists/{id}/relationships/items", f"{API}/playlists/{pid}/relationships/items"),
        (
            "/userCollectionTracks/{id}/relationships/items",
            f"{API}/userCollectionTracks/me/relationships/items?include=items",
        ),
        ("/users/{id}", f"{API}/users/me"),
        (
            "/searchResults/{id}/relationships/tracks",
            f"{API}/searchResults/Song 1/relationships/tracks?include=tracks",
        ),
    ]
    for path, url in checks:
        response = client.get(url, headers=h)
        assert response.status_code == 200, (url, response.text)
        tidal_doc.validate(path, response)
    bad = client.get(f"{API}/tracks?filter[nope]=1", headers=h)
    tidal_doc.validate("/tracks", bad)


def test_cursor_paging_20_per_page(sandbox: Sandbox, client: httpx.Client) -> None:
    h = headers(sandbox)
    pid = create(client, h)
    for start in (0, 50):
        assert (
            add(
                client, h, pid, ids(sandbox, 50, start) if start == 0 else ids(sandbox, 5, start)
            ).status_code
            == 200
        )
    seen: list[str] = []
    url: str | None = f"/playlists/{pid}/relationships/items"
    pages = 0
    while url:
        body = client.get(API + url, headers=h).json()
        assert len(body["data"]) <= 20
        seen += [d["id"] for d in body["data"]]
        url = body["links"].get("next")
        assert (url is None) == ("meta" not in body["links"])
        pages += 1
    assert pages == 3 and seen == sandbox.playlist_track_ids("tidal", pid)


def test_isrc_filter_batches_and_limits(sandbox: Sandbox, client: httpx.Client) -> None:
    # filter[isrc] is an array parameter with OpenAPI's default style (form,
    # explode): several ISRCs repeat the parameter; a comma is part of the value.
    h = headers(sandbox)
    isrcs = [f"USSBX{i:07d}" for i in range(20)] + ["XX0000000000"]
    over = client.get(f"{API}/tracks", params={"filter[isrc]": isrcs}, headers=h)
    assert over.status_code == 400
    assert over.json()["errors"][0]["status"] == "400"
    batch = client.get(f"{API}/tracks", params={"filter[isrc]": isrcs[:19] + isrcs[-1:]}, headers=h)
    found = [d["attributes"]["isrc"] for d in batch.json()["data"]]
    assert found == isrcs[:19] and "next" not in batch.json()["links"]
    repeated = client.get(
        f"{API}/tracks?filter[isrc]=USSBX0000001&filter[isrc]=USSBX0000002", headers=h
    )
    assert len(repeated.json()["data"]) == 2
    joined = client.get(f"{API}/tracks?filter[isrc]=USSBX0000001,USSBX0000002", headers=h)
    assert joined.status_code == 200 and joined.json()["data"] == []  # one ISRC "A,B"
    assert client.get(f"{API}/tracks", headers=h).status_code == 400


def test_add_limit_position_and_skipped(sandbox: Sandbox, client: httpx.Client) -> None:
    h = headers(sandbox)
    pid = create(client, h)
    too_many = add(client, h, pid, (ids(sandbox, 60) * 2)[:51])
    assert too_many.status_code == 400
    first = add(client, h, pid, ids(sandbox, 3)).json()
    item_ids = [d["meta"]["itemId"] for d in first["data"]]
    body = {
        "data": [{"id": ids(sandbox, 1, 10)[0], "type": "tracks"}, {"id": "0", "type": "tracks"}],
        "meta": {"positionBefore": item_ids[1]},
    }
    result = client.post(f"{API}/playlists/{pid}/relationships/items", json=body, headers=h).json()
    assert result["meta"]["skipped"] == [{"id": "0", "type": "tracks", "reason": "NOT_FOUND"}]
    expected = [ids(sandbox, 3)[0], ids(sandbox, 1, 10)[0], *ids(sandbox, 3)[1:]]
    assert sandbox.playlist_track_ids("tidal", pid) == expected


def test_remove_and_reorder_by_item_id(sandbox: Sandbox, client: httpx.Client) -> None:
    h = headers(sandbox)
    pid = create(client, h)
    added = add(client, h, pid, ids(sandbox, 4)).json()["data"]
    items = [
        {"id": d["id"], "type": "tracks", "meta": {"itemId": d["meta"]["itemId"]}} for d in added
    ]
    no_item = client.request(
        "DELETE",
        f"{API}/playlists/{pid}/relationships/items",
        headers=h,
        json={"data": [{"id": added[0]["id"], "type": "tracks"}]},
    )
    assert no_item.status_code == 400
    moved = client.patch(
        f"{API}/playlists/{pid}/relationships/items",
        headers=h,
        json={"data": [items[3]], "meta": {"positionBefore": items[0]["meta"]["itemId"]}},
    )
    assert moved.status_code == 200
    order = ids(sandbox, 4)
    assert sandbox.playlist_track_ids("tidal", pid) == [order[3], *order[:3]]
    removed = client.request(
        "DELETE", f"{API}/playlists/{pid}/relationships/items", headers=h, json={"data": [items[0]]}
    )
    assert removed.status_code == 200
    assert sandbox.playlist_track_ids("tidal", pid) == [order[3], order[1], order[2]]


def test_idempotency_key_replays_and_conflicts(sandbox: Sandbox, client: httpx.Client) -> None:
    h = headers(sandbox, **{"Idempotency-Key": "k-1"})
    pid = create(client, headers(sandbox))
    first = add(client, h, pid, ids(sandbox, 2))
    replay = add(client, h, pid, ids(sandbox, 2))
    assert replay.status_code == first.status_code == 200
    assert replay.json() == first.json()
    assert len(sandbox.playlist_track_ids("tidal", pid)) == 2
    clash = add(client, h, pid, ids(sandbox, 3))
    assert clash.status_code == 422
    assert len(sandbox.playlist_track_ids("tidal", pid)) == 2


def test_media_type_auth_and_not_found(sandbox: Sandbox, client: httpx.Client, clock: Any) -> None:
    h = headers(sandbox)
    pid = create(client, h)
    plain = {**h, "Content-Type": "application/json"}
    assert add(client, plain, pid, ids(sandbox, 1)).status_code == 415
    assert client.get(f"{API}/playlists/nope", headers=h).status_code == 404
    sandbox.expire_tokens("tidal")
    expired = client.get(f"{API}/users/me", headers=h)
    assert expired.status_code == 401 and expired.json()["errors"][0]["status"] == "401"
    bob = headers(sandbox, "bob")
    assert add(client, bob, pid, ids(sandbox, 1)).status_code == 403


def test_sort_values_are_checked_and_applied(
    sandbox: Sandbox, client: httpx.Client, clock: Any
) -> None:
    h = headers(sandbox)
    pid = create(client, h)
    add(client, h, pid, ids(sandbox, 3, 10))
    clock.now += 10
    add(client, h, pid, ids(sandbox, 2))
    url = f"{API}/playlists/{pid}/relationships/items"
    newest = client.get(url, params={"sort": "-addedAt"}, headers=h).json()["data"]
    assert [d["id"] for d in newest][:2] == ids(sandbox, 2)
    by_title = client.get(url, params={"sort": "title"}, headers=h).json()["data"]
    titles = [sandbox.catalog.track("tidal", d["id"]).title for d in by_title]  # type: ignore[union-attr]
    assert titles == sorted(titles, key=str.casefold)
    by_index = client.get(url, params={"sort": "-itemIndex"}, headers=h).json()["data"]
    assert [d["id"] for d in by_index] == sandbox.playlist_track_ids("tidal", pid)[::-1]
    bad = client.get(url, params={"sort": "popularity"}, headers=h)
    assert bad.status_code == 400 and bad.json()["errors"][0]["source"] == {"parameter": "sort"}
    search = client.get(
        f"{API}/searchResults/Song/relationships/tracks", params={"sort": "title"}, headers=h
    )
    assert search.status_code == 400  # that endpoint documents no sort
    named = client.get(
        f"{API}/playlists", params={"filter[owners.id]": "me", "sort": "-name"}, headers=h
    )
    assert named.status_code == 200
