"""TIDAL ``include`` as the document's overview describes it: dot paths relative
to the root resource, the endpoint's options first, every further segment a
documented relationship, intermediates embedded, 3 levels and 10 resources at most."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sandbox_helpers import URLS, OpenApiDoc, bearer

from engine.sandbox import Sandbox
from engine.sandbox.tidal_includes import RELATIONSHIPS, parse_include
from engine.sandbox.wire import ApiError

API = URLS["tidal"]["api"]


def get(client: httpx.Client, sandbox: Sandbox, url: str) -> httpx.Response:
    return client.get(url, headers=bearer(sandbox, "tidal", "alice"))


def types(body: dict[str, Any]) -> Counter[str]:
    return Counter(r["type"] for r in body.get("included", []))


def track_ids(sandbox: Sandbox, count: int) -> list[str]:
    return [t.ids["tidal"] for t in sandbox.catalog.tracks[:count]]


def test_nested_item_paths_embed_tracks_artists_and_albums(
    sandbox: Sandbox, client: httpx.Client, tidal_doc: OpenApiDoc
) -> None:
    ids = track_ids(sandbox, 5)
    pid = sandbox.seed_playlist("tidal", "alice", "Nested", ids)
    url = f"{API}/playlists/{pid}/relationships/items?include=items.artists,items.albums"
    response = get(client, sandbox, url)
    assert response.status_code == 200, response.text
    tidal_doc.validate("/playlists/{id}/relationships/items", response)
    body = response.json()
    assert [d["id"] for d in body["data"]] == ids
    kinds = types(body)
    assert kinds["tracks"] == 5 and kinds["artists"] >= 1 and kinds["albums"] >= 1
    index = {(r["type"], r["id"]): r for r in body["included"]}
    for track in sandbox.catalog.tracks[:5]:
        resource = index[("tracks", track.ids["tidal"])]
        artists = resource["relationships"]["artists"]["data"]
        assert [index[("artists", a["id"])]["attributes"]["name"] for a in artists] == list(
            track.artists
        )
        [album] = resource["relationships"]["albums"]["data"]
        assert index[("albums", album["id"])]["attributes"]["title"] == track.album


def test_liked_tracks_and_saved_albums_take_nested_paths(
    sandbox: Sandbox, client: httpx.Client, tidal_doc: OpenApiDoc
) -> None:
    ids = track_ids(sandbox, 3)
    album_ids = list(dict.fromkeys(t.album_ids["tidal"] for t in sandbox.catalog.tracks[:3]))
    sandbox.seed_library("tidal", "alice", liked=ids, saved_albums=album_ids)
    liked = get(
        client,
        sandbox,
        f"{API}/userCollectionTracks/me/relationships/items?include=items.albums,items.artists",
    )
    assert liked.status_code == 200, liked.text
    tidal_doc.validate("/userCollectionTracks/{id}/relationships/items", liked)
    assert set(types(liked.json())) == {"tracks", "albums", "artists"}
    saved = get(
        client, sandbox, f"{API}/userCollectionAlbums/me/relationships/items?include=items.artists"
    )
    assert saved.status_code == 200, saved.text
    tidal_doc.validate("/userCollectionAlbums/{id}/relationships/items", saved)
    kinds = types(saved.json())
    assert kinds["albums"] == len(album_ids) and kinds["artists"] >= 1


def test_followed_playlists_are_included(
    sandbox: Sandbox, client: httpx.Client, tidal_doc: OpenApiDoc
) -> None:
    pid = sandbox.seed_playlist(
        "tidal", "bob", "Bob's", track_ids(sandbox, 2), public=True, followers=["alice"]
    )
    url = f"{API}/userCollectionPlaylists/me/relationships/items"
    response = get(client, sandbox, f"{url}?include=items")
    assert response.status_code == 200, response.text
    tidal_doc.validate("/userCollectionPlaylists/{id}/relationships/items", response)
    [playlist] = response.json()["included"]
    assert (playlist["type"], playlist["id"], playlist["attributes"]["name"]) == (
        "playlists",
        pid,
        "Bob's",
    )
    deeper = get(client, sandbox, f"{url}?include=items.items").json()  # the document's example
    assert types(deeper) == Counter({"playlists": 1, "tracks": 2})
    assert "included" not in get(client, sandbox, url).json()


def test_primary_resources_link_what_is_included(sandbox: Sandbox, client: httpx.Client) -> None:
    track = sandbox.catalog.tracks[0]
    body = get(client, sandbox, f"{API}/tracks/{track.ids['tidal']}?include=albums.artists").json()
    assert set(body["data"]["relationships"]) == {"albums"}
    assert set(types(body)) == {"albums", "artists"}  # the intermediate albums too
    plain = get(client, sandbox, f"{API}/tracks/{track.ids['tidal']}?include=genres").json()
    assert plain["data"]["relationships"]["genres"]["data"] == []  # documented, not modelled


@pytest.mark.parametrize(
    ("path", "include"),
    [
        ("playlists/{pid}/relationships/items", "owners"),  # not an option here
        ("playlists/{pid}/relationships/items", "items.nope"),  # not a relationship
        ("playlists/{pid}/relationships/items", "items.artists.albums.artists"),  # 4 levels
        ("playlists/{pid}/relationships/items", "items..artists"),
        ("tracks?filter[id]={tid}", ",".join(sorted(RELATIONSHIPS["tracks"])[:11])),  # 11
        ("userCollectionTracks/me/relationships/items", "tracks"),
    ],
)
def test_unresolvable_or_oversized_include_is_a_400(
    sandbox: Sandbox, client: httpx.Client, tidal_doc: OpenApiDoc, path: str, include: str
) -> None:
    pid = sandbox.seed_playlist("tidal", "alice", "P", track_ids(sandbox, 1))
    url = f"{API}/{path.format(pid=pid, tid=track_ids(sandbox, 1)[0])}"
    url += ("&" if "?" in url else "?") + f"include={include}"
    response = get(client, sandbox, url)
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["source"] == {"parameter": "include"}


def test_parse_include_keeps_intermediates() -> None:
    tree = parse_include(["items.artists", "items.albums"], "playlists", ("items",))
    assert tree.paths == {("items",), ("items", "artists"), ("items", "albums")}
    assert tree.children(("items",)) == ["albums", "artists"]
    assert "items" in tree and not parse_include([], "playlists", ("items",))
    with pytest.raises(ApiError):
        parse_include(["items.genres.x"], "playlists", ("items",))  # genres lead nowhere
