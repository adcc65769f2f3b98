"""Library and playlist-management endpoints of each emulated API, end to end."""

from __future__ import annotations

import httpx
from sandbox_helpers import URLS, DiscoveryDoc, OpenApiDoc, bearer

from engine.sandbox import Sandbox

JSONAPI = "application/vnd.api+json"


def test_spotify_details_saved_items_and_old_form(
    sandbox: Sandbox, client: httpx.Client, spotify_doc: OpenApiDoc
) -> None:
    api = URLS["spotify"]["api"]
    h = bearer(sandbox, "spotify")
    pid = client.post(f"{api}/users/alice/playlists", json={"name": "Old"}, headers=h).json()["id"]
    changed = client.put(f"{api}/playlists/{pid}", json={"name": "New", "public": False}, headers=h)
    assert changed.status_code == 200
    assert client.get(f"{api}/playlists/{pid}", headers=h).json()["name"] == "New"
    bob = bearer(sandbox, "spotify", "bob")
    assert client.get(f"{api}/playlists/{pid}", headers=bob).status_code == 404  # now private
    assert client.get(f"{api}/users/alice/playlists", headers=bob).json()["total"] == 0
    tracks = [t.ids["spotify"] for t in sandbox.catalog.tracks[:3]]
    assert client.put(f"{api}/me/tracks", json={"ids": tracks}, headers=h).status_code == 200
    assert (
        client.request(
            "DELETE", f"{api}/me/tracks", params={"ids": tracks[0]}, headers=h
        ).status_code
        == 200
    )
    liked = client.get(f"{api}/me/tracks", headers=h).json()
    assert [i["track"]["id"] for i in liked["items"]] == [tracks[2], tracks[1]]
    several = client.get(f"{api}/tracks", params={"ids": f"{tracks[0]},{'0' * 22}"}, headers=h)
    assert [t and t["id"] for t in several.json()["tracks"]] == [tracks[0], None]
    album = sandbox.catalog.tracks[0].album_ids["spotify"]
    client.put(f"{api}/me/library", params={"uris": f"spotify:album:{album}"}, headers=h)
    albums = client.get(f"{api}/me/albums", headers=h)
    spotify_doc.validate("/me/albums", albums)
    assert albums.json()["items"][0]["album"]["id"] == album
    client.request(
        "DELETE", f"{api}/me/library", params={"uris": f"spotify:album:{album}"}, headers=h
    )
    assert client.get(f"{api}/me/albums", headers=h).json()["total"] == 0
    replaced = client.put(
        f"{api}/playlists/{pid}/tracks",
        headers=h,
        json={"uris": [f"spotify:track:{t}" for t in tracks]},
    )
    assert replaced.status_code == 200
    assert sandbox.playlist_track_ids("spotify", pid) == tracks
    assert client.delete(f"{api}/playlists/{pid}/followers", headers=h).status_code == 200
    assert client.get(f"{api}/me/playlists", headers=h).json()["total"] == 0


def test_spotify_pre_2026_document_still_fits(sandbox: Sandbox, client: httpx.Client) -> None:
    old = OpenApiDoc("spotify/openapi-pre-2026-excerpt.json", "/v1")
    api = URLS["spotify"]["api"]
    h = bearer(sandbox, "spotify")
    pid = sandbox.seed_playlist(
        "spotify", "alice", "P", [t.ids["spotify"] for t in sandbox.catalog.tracks[:5]]
    )
    for path, url in [
        ("/playlists/{playlist_id}/tracks", f"{api}/playlists/{pid}/tracks"),
        ("/playlists/{playlist_id}", f"{api}/playlists/{pid}"),
        ("/me/playlists", f"{api}/me/playlists"),
        ("/search", f"{api}/search?q=Song&type=track"),
    ]:
        old.validate(path, client.get(url, headers=h))


def test_deezer_playlist_management_and_albums(sandbox: Sandbox, client: httpx.Client) -> None:
    api = URLS["deezer"]["api"]
    at = sandbox.issue_token("deezer", "alice").access_token
    pid = sandbox.seed_playlist("deezer", "alice", "Mine", public=False)
    updated = client.post(
        f"{api}/playlist/{pid}", params={"access_token": at, "title": "Renamed", "public": "true"}
    )
    assert updated.json() is True
    assert client.get(f"{api}/playlist/{pid}").json()["title"] == "Renamed"
    album = sandbox.catalog.tracks[0].album_ids["deezer"]
    sandbox.seed_library("deezer", "alice", saved_albums=[album])
    albums = client.get(f"{api}/user/me/albums", params={"access_token": at}).json()
    assert [str(a["id"]) for a in albums["data"]] == [album]
    full = client.get(f"{api}/album/{album}").json()
    assert full["nb_tracks"] == len(full["tracks"]["data"]) > 0
    found = client.get(f"{api}/search/track", params={"q": 'artist:"Guest Star"'}).json()
    assert found["total"] >= 6
    assert client.delete(f"{api}/playlist/{pid}", params={"access_token": at}).json() is True
    assert client.get(f"{api}/playlist/{pid}").json()["error"]["code"] == 800
    at_bob = sandbox.issue_token("deezer", "bob").access_token
    bob_id = client.get(f"{api}/user/me", params={"access_token": at_bob}).json()["id"]
    public = sandbox.seed_playlist("deezer", "bob", "Bob's", public=True)
    by_id = client.get(f"{api}/user/{bob_id}/playlists").json()
    assert [str(p["id"]) for p in by_id["data"]] == [public]
    assert client.get(f"{api}/user/123/playlists").json()["error"]["code"] == 800
    assert client.get(f"{api}/user/me/tracks", params={"access_token": at}).json()["total"] == 0


def test_tidal_playlist_and_collections(
    sandbox: Sandbox, client: httpx.Client, tidal_doc: OpenApiDoc
) -> None:
    api = URLS["tidal"]["api"]
    h = {**bearer(sandbox, "tidal"), "Content-Type": JSONAPI}
    pid = sandbox.seed_playlist("tidal", "alice", "Mine")
    patch = {
        "data": {
            "id": pid,
            "type": "playlists",
            "attributes": {"name": "Renamed", "accessType": "PUBLIC"},
        }
    }
    updated = client.patch(f"{api}/playlists/{pid}", json=patch, headers=h)
    tidal_doc.validate("/playlists/{id}", updated)
    assert updated.json()["data"]["attributes"]["name"] == "Renamed"
    track = sandbox.catalog.tracks[0].ids["tidal"]
    body = {"data": [{"id": track, "type": "tracks"}]}
    added = client.post(f"{api}/userCollectionTracks/me/relationships/items", json=body, headers=h)
    tidal_doc.validate("/userCollectionTracks/{id}/relationships/items", added)
    assert (
        client.request(
            "DELETE", f"{api}/userCollectionTracks/me/relationships/items", json=body, headers=h
        ).status_code
        == 200
    )
    album = sandbox.catalog.tracks[0].album_ids["tidal"]
    sandbox.seed_library("tidal", "alice", saved_albums=[album])
    albums = client.get(f"{api}/userCollectionAlbums/me/relationships/items", headers=h)
    tidal_doc.validate("/userCollectionAlbums/{id}/relationships/items", albums)
    bobs = sandbox.seed_playlist("tidal", "bob", "Bob's", public=True, followers=["alice"])
    followed = client.get(f"{api}/userCollectionPlaylists/me/relationships/items", headers=h)
    assert [d["id"] for d in followed.json()["data"]] == [bobs]
    assert client.get(f"{api}/users/bob", headers=h).status_code == 404
    deleted = client.delete(f"{api}/playlists/{pid}", headers=h)
    tidal_doc.validate("/playlists/{id}", deleted)
    assert client.get(f"{api}/playlists/{pid}", headers=h).status_code == 404


def test_youtube_playlist_management_and_likes(
    sandbox: Sandbox, client: httpx.Client, youtube_doc: DiscoveryDoc
) -> None:
    api = URLS["youtube"]["api"]
    h = bearer(sandbox, "youtube")
    pid = sandbox.seed_playlist("youtube", "alice", "Mine")
    updated = client.put(
        f"{api}/playlists",
        params={"part": "snippet,status"},
        headers=h,
        json={"id": pid, "snippet": {"title": "Renamed"}, "status": {"privacyStatus": "public"}},
    )
    youtube_doc.validate("playlists", "update", updated)
    by_id = client.get(f"{api}/playlists", params={"part": "snippet", "id": pid}, headers=h)
    assert by_id.json()["items"][0]["snippet"]["title"] == "Renamed"
    video = sandbox.catalog.tracks[3].ids["youtube"]
    rated = client.post(f"{api}/videos/rate", params={"id": video, "rating": "like"}, headers=h)
    youtube_doc.validate("videos", "rate", rated)
    liked = client.get(f"{api}/videos", params={"part": "id", "myRating": "like"}, headers=h)
    assert [v["id"] for v in liked.json()["items"]] == [video]
    client.post(f"{api}/videos/rate", params={"id": video, "rating": "none"}, headers=h)
    assert (
        client.get(
            f"{api}/playlistItems", params={"part": "id", "playlistId": "LL"}, headers=h
        ).json()["items"]
        == []
    )
    assert client.get(f"{api}/channels", params={"part": "id"}, headers=h).status_code == 400
    deleted = client.delete(f"{api}/playlists", params={"id": pid}, headers=h)
    youtube_doc.validate("playlists", "delete", deleted)
    assert (
        client.get(f"{api}/playlists", params={"part": "id", "mine": "true"}, headers=h).json()[
            "items"
        ]
        == []
    )


def test_control_endpoints_seed_and_revoke(sandbox: Sandbox, client: httpx.Client) -> None:
    root = "http://sandbox.local/_sandbox"
    assert (
        client.post(
            f"{root}/apps", json={"provider": "tidal", "client_id": "c", "client_secret": "s"}
        ).status_code
        == 200
    )
    track = sandbox.catalog.tracks[0].ids["deezer"]
    assert (
        client.post(
            f"{root}/library", json={"provider": "deezer", "user": "u", "liked": [track]}
        ).status_code
        == 200
    )
    made = client.post(
        f"{root}/playlists",
        json={"provider": "deezer", "user": "u", "name": "n", "track_ids": [track]},
    )
    assert made.status_code == 201
    assert sandbox.playlist_track_ids("deezer", made.json()["id"]) == [track]
    sandbox.issue_token("spotify", "u")
    assert client.post(f"{root}/revoke", json={"provider": "spotify"}).json() == {"revoked": 1}
    assert (
        client.post(f"{root}/library", json={"provider": "deezer", "liked": ["x"]}).status_code
        == 404
    )
    assert (
        client.post(f"{root}/faults", json={"rate": 0.5, "kinds": ["500"], "seed": 1}).status_code
        == 200
    )
    assert client.post(f"{root}/faults", content=b"[1]").status_code == 400
    assert client.delete(f"{root}/log").json() == {"cleared": True}
