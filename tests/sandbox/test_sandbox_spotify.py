"""The emulated Spotify API: paging, limits, both documented forms, errors, conformance."""

from __future__ import annotations

import httpx
import pytest
from sandbox_helpers import URLS, OpenApiDoc, bearer

from engine.sandbox import Sandbox

API = URLS["spotify"]["api"]


def uris(sandbox: Sandbox, count: int, start: int = 0) -> list[str]:
    tracks = sandbox.catalog.tracks[start : start + count]
    return [f"spotify:track:{t.ids['spotify']}" for t in tracks]


def new_playlist(client: httpx.Client, headers: dict[str, str], name: str = "Mix") -> str:
    response = client.post(f"{API}/me/playlists", json={"name": name}, headers=headers)
    assert response.status_code == 201
    return str(response.json()["id"])


def test_documented_responses_validate(
    sandbox: Sandbox, client: httpx.Client, spotify_doc: OpenApiDoc
) -> None:
    h = bearer(sandbox, "spotify")
    sandbox.seed_library(
        "spotify",
        "alice",
        liked=[sandbox.catalog.tracks[0].ids["spotify"]],
        saved_albums=[sandbox.catalog.tracks[0].album_ids["spotify"]],
    )
    created = client.post(f"{API}/me/playlists", json={"name": "A", "public": False}, headers=h)
    spotify_doc.validate("/me/playlists", created)
    pid = created.json()["id"]
    added = client.post(f"{API}/playlists/{pid}/items", json={"uris": uris(sandbox, 30)}, headers=h)
    spotify_doc.validate("/playlists/{playlist_id}/items", added)
    checks = [
        ("/me", f"{API}/me"),
        ("/me/playlists", f"{API}/me/playlists?limit=50"),
        ("/playlists/{playlist_id}", f"{API}/playlists/{pid}"),
        ("/playlists/{playlist_id}/items", f"{API}/playlists/{pid}/items?limit=10&offset=10"),
        ("/playlists/{playlist_id}/tracks", f"{API}/playlists/{pid}/tracks"),
        ("/me/tracks", f"{API}/me/tracks"),
        ("/me/albums", f"{API}/me/albums"),
        ("/search", f"{API}/search?q=isrc:USSBX0000003&type=track"),
        ("/tracks/{id}", f"{API}/tracks/{sandbox.catalog.tracks[1].ids['spotify']}"),
        ("/me", f"{API}/me?x=1"),
    ]
    for path, url in checks:
        response = client.get(url, headers=h)
        assert response.status_code == 200, url
        spotify_doc.validate(path, response)
    unauthorized = client.get(f"{API}/me", headers={"Authorization": "Bearer nope"})
    spotify_doc.validate("/me", unauthorized)


def test_paging_follows_next_with_documented_limits(
    sandbox: Sandbox, client: httpx.Client, spotify_doc: OpenApiDoc
) -> None:
    h = bearer(sandbox, "spotify")
    pid = new_playlist(client, h)
    client.post(f"{API}/playlists/{pid}/items", json={"uris": uris(sandbox, 60)}, headers=h)
    maximum = spotify_doc.parameters("/playlists/{playlist_id}/items", "get")["limit"]["schema"]
    assert maximum["maximum"] == 50
    seen: list[str] = []
    url: str | None = f"{API}/playlists/{pid}/items?limit=50"
    while url:
        page = client.get(url, headers=h).json()
        seen += [item["item"]["id"] for item in page["items"]]
        url = page["next"]
    assert seen == sandbox.playlist_track_ids("spotify", pid)
    too_big = client.get(f"{API}/playlists/{pid}/items?limit=51", headers=h)
    assert too_big.status_code == 400
    assert too_big.json()["error"]["status"] == 400
    search_limit = client.get(f"{API}/search?q=Song&type=track&limit=11", headers=h)
    assert search_limit.status_code == 400  # 2026 document: search limit max 10


def test_add_rejects_101_uris_with_the_documented_error(
    sandbox: Sandbox, client: httpx.Client
) -> None:
    h = bearer(sandbox, "spotify")
    pid = new_playlist(client, h)
    response = client.post(
        f"{API}/playlists/{pid}/items", json={"uris": (uris(sandbox, 60) * 2)[:101]}, headers=h
    )
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"status", "message"}
    assert sandbox.playlist_track_ids("spotify", pid) == []
    ok = client.post(
        f"{API}/playlists/{pid}/tracks", json={"uris": uris(sandbox, 50) * 2}, headers=h
    )
    assert ok.status_code == 201 and len(sandbox.playlist_track_ids("spotify", pid)) == 100


def test_items_and_tracks_forms_and_position(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "spotify")
    pid = new_playlist(client, h)
    first = uris(sandbox, 3)
    client.post(f"{API}/playlists/{pid}/items", json={"uris": first}, headers=h)
    extra = uris(sandbox, 1, start=10)
    client.post(f"{API}/playlists/{pid}/items?position=1", json={"uris": extra}, headers=h)
    page = client.get(f"{API}/playlists/{pid}/tracks", headers=h).json()
    got = [i["track"]["uri"] for i in page["items"]]
    assert got == [first[0], extra[0], first[1], first[2]]
    assert all(i["item"] == i["track"] for i in page["items"])
    bad = client.post(f"{API}/playlists/{pid}/items?position=9", json={"uris": extra}, headers=h)
    assert bad.status_code == 400
    unknown = client.post(
        f"{API}/playlists/{pid}/items",
        json={"uris": ["spotify:track:0000000000000000000000"]},
        headers=h,
    )
    assert unknown.status_code == 400


def test_reorder_and_remove(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "spotify")
    pid = new_playlist(client, h)
    listed = uris(sandbox, 5)
    client.post(f"{API}/playlists/{pid}/items", json={"uris": listed}, headers=h)
    ids = [u.rsplit(":", 1)[1] for u in listed]
    moved = client.put(
        f"{API}/playlists/{pid}/items",
        json={"range_start": 0, "insert_before": 5, "range_length": 2},
        headers=h,
    )
    assert moved.status_code == 200 and "snapshot_id" in moved.json()
    assert sandbox.playlist_track_ids("spotify", pid) == ids[2:] + ids[:2]
    stale = client.request(
        "DELETE",
        f"{API}/playlists/{pid}/items",
        headers=h,
        json={"items": [{"uri": listed[0]}], "snapshot_id": "old"},
    )
    assert stale.status_code == 400
    removed = client.request(
        "DELETE", f"{API}/playlists/{pid}/items", headers=h, json={"items": [{"uri": listed[0]}]}
    )
    assert removed.status_code == 200
    assert ids[0] not in sandbox.playlist_track_ids("spotify", pid)
    old_form = client.request(
        "DELETE", f"{API}/playlists/{pid}/tracks", headers=h, json={"tracks": [{"uri": listed[1]}]}
    )
    assert old_form.status_code == 200
    assert sandbox.playlist_track_ids("spotify", pid) == ids[2:]


def test_tokens_expire_and_are_checked(
    sandbox: Sandbox, client: httpx.Client, clock: object
) -> None:
    h = bearer(sandbox, "spotify")
    assert client.get(f"{API}/me", headers=h).status_code == 200
    sandbox.expire_tokens("spotify")
    expired = client.get(f"{API}/me", headers=h)
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}
    assert client.get(f"{API}/me").status_code == 401
    deezer_token = bearer(sandbox, "deezer")
    assert client.get(f"{API}/me", headers=deezer_token).status_code == 401


def test_scopes_and_ownership(sandbox: Sandbox, client: httpx.Client) -> None:
    read_only = {
        "Authorization": "Bearer "
        + sandbox.issue_token("spotify", "bob", scopes=["playlist-read-private"]).access_token
    }
    denied = client.post(f"{API}/me/playlists", json={"name": "x"}, headers=read_only)
    assert denied.status_code == 403
    alice = bearer(sandbox, "spotify", "alice")
    pid = new_playlist(client, alice)
    bob = bearer(sandbox, "spotify", "bob")
    assert client.get(f"{API}/playlists/{pid}", headers=bob).status_code == 200  # public
    write = client.post(
        f"{API}/playlists/{pid}/items", json={"uris": uris(sandbox, 1)}, headers=bob
    )
    assert write.status_code == 403
    other = client.post(f"{API}/users/alice/playlists", json={"name": "x"}, headers=bob)
    assert other.status_code == 403


def test_rate_limit_answers_429_with_retry_after(make_sandbox: object, clock: object) -> None:
    sandbox = make_sandbox(spotify_rate=(3, 30.0))  # type: ignore[operator]
    with httpx.Client(transport=sandbox.transport()) as client:
        h = bearer(sandbox, "spotify")
        statuses = [client.get(f"{API}/me", headers=h).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get(f"{API}/me", headers=h)
        assert int(limited.headers["Retry-After"]) >= 1
        clock.now += 31  # type: ignore[attr-defined]
        assert client.get(f"{API}/me", headers=h).status_code == 200


def test_search_by_isrc_and_fields(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "spotify")
    by_isrc = client.get(
        f"{API}/search", params={"q": "isrc:USSBX0000013", "type": "track"}, headers=h
    ).json()["tracks"]
    assert [t["external_ids"]["isrc"] for t in by_isrc["items"]] == ["USSBX0000013"]
    fielded = client.get(
        f"{API}/search",
        params={"q": 'track:"Song 13" artist:"Guest Star"', "type": "track"},
        headers=h,
    ).json()
    assert [t["name"] for t in fielded["tracks"]["items"]] == ["Song 13"]
    assert client.get(f"{API}/search?q=x", headers=h).status_code == 400
    page = client.get(
        f"{API}/search", params={"q": 'artist:"Guest Star"', "type": "track", "limit": 2}, headers=h
    ).json()["tracks"]
    names = [t["name"] for t in page["items"]]
    while page["next"]:  # next links use ``query=`` as Spotify's do
        page = client.get(page["next"], headers=h).json()["tracks"]
        names += [t["name"] for t in page["items"]]
    assert names == [f"Song {i}" for i in range(3, 60, 10)]
    many = client.get(f"{API}/tracks", params={"ids": ",".join(["x"] * 51)}, headers=h)
    assert many.status_code == 400


@pytest.mark.parametrize("leaf", ["items", "tracks"])
def test_unknown_playlist_is_404(sandbox: Sandbox, client: httpx.Client, leaf: str) -> None:
    response = client.get(f"{API}/playlists/nope/{leaf}", headers=bearer(sandbox, "spotify"))
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_library_save_and_follow(sandbox: Sandbox, client: httpx.Client) -> None:
    h = bearer(sandbox, "spotify")
    track = sandbox.catalog.tracks[4]
    saved = client.put(
        f"{API}/me/library", params={"uris": f"spotify:track:{track.ids['spotify']}"}, headers=h
    )
    assert saved.status_code == 200
    liked = client.get(f"{API}/me/tracks", headers=h).json()
    assert [i["track"]["id"] for i in liked["items"]] == [track.ids["spotify"]]
    too_many = client.put(
        f"{API}/me/library", params={"uris": ",".join(uris(sandbox, 41))}, headers=h
    )
    assert too_many.status_code == 400 and too_many.json()["status"] == 400
    bob_list = sandbox.seed_playlist("spotify", "bob", "Bob's", public=True)
    assert client.put(f"{API}/playlists/{bob_list}/followers", headers=h).status_code == 200
    mine = client.get(f"{API}/me/playlists", headers=h).json()
    assert bob_list in [p["id"] for p in mine["items"]]
