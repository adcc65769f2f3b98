"""The emulated Deezer API: query-string tokens, errors in 200s, short pages, ISRC ids."""

from __future__ import annotations

from typing import Any

import httpx
from sandbox_helpers import URLS

from engine.sandbox import Sandbox

API = URLS["deezer"]["api"]
RECORDED_EXTRA = {
    "time_add",
    "type",
    "creation_date",
    "tracklist",
    "checksum",
    "md5_image",
    "contributors",
    "role",
    "title_short",
}


def token(sandbox: Sandbox, user: str = "alice") -> str:
    return sandbox.issue_token("deezer", user).access_token


def documented_fields(reference: dict[str, Any], name: str) -> set[str]:
    return {row["Name"] for row in reference["objects"][name]["tab_infos"]}


PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "string": (str,),
    "boolean": (bool,),
    "url": (str,),
    "date": (str,),
    "float": (int, float),
    "object": (dict,),
    "array": (list,),
    "list": (list, dict),
    "track": (dict,),
    "user": (dict,),
    "artist": (dict,),
    "album": (dict,),
}


def assert_documented_types(reference: dict[str, Any], name: str, obj: dict[str, Any]) -> None:
    """Each documented field has the documented type (bool is not an int here)."""
    rows = {row["Name"]: row.get("Type", "") for row in reference["objects"][name]["tab_infos"]}
    for field, value in obj.items():
        wanted = PYTHON_TYPES.get(rows.get(field, ""))
        if wanted is None or value is None:
            continue
        ok = isinstance(value, wanted) and not (isinstance(value, bool) and bool not in wanted)
        assert ok, f"{name}.{field}: {value!r} is not {rows[field]}"


def test_objects_use_only_documented_fields(
    sandbox: Sandbox, client: httpx.Client, deezer_reference: dict[str, Any]
) -> None:
    at = token(sandbox)
    track = client.get(f"{API}/track/isrc:USSBX0000001").json()
    assert set(track) <= documented_fields(deezer_reference, "track") | RECORDED_EXTRA
    assert isinstance(track["id"], int) and track["isrc"] == "USSBX0000001"
    assert_documented_types(deezer_reference, "track", track)
    assert isinstance(track["duration"], int)
    user = client.get(f"{API}/user/me", params={"access_token": at}).json()
    assert set(user) <= documented_fields(deezer_reference, "user") | RECORDED_EXTRA
    assert_documented_types(deezer_reference, "user", user)
    created = client.post(
        f"{API}/user/me/playlists", params={"access_token": at, "title": "Road"}
    ).json()
    assert set(created) == {"id"} and isinstance(created["id"], int)
    playlist = client.get(f"{API}/playlist/{created['id']}", params={"access_token": at}).json()
    assert set(playlist) <= documented_fields(deezer_reference, "playlist") | RECORDED_EXTRA
    assert_documented_types(deezer_reference, "playlist", playlist)
    search = client.get(f"{API}/search", params={"q": "Song 1"}).json()
    assert "isrc" not in search["data"][0]  # search results omit the ISRC, as recorded


def test_errors_come_back_as_200_with_codes(sandbox: Sandbox, client: httpx.Client) -> None:
    missing = client.get(f"{API}/track/-1")
    assert missing.status_code == 200
    assert missing.json() == {"error": {"type": "DataException", "message": "no data", "code": 800}}
    bad_token = client.get(f"{API}/user/me", params={"access_token": "nope"})
    assert bad_token.status_code == 200 and bad_token.json()["error"]["code"] == 300
    assert bad_token.json()["error"]["type"] == "OAuthException"
    no_token = client.get(f"{API}/user/me").json()
    assert no_token["error"]["code"] == 200
    header_only = client.get(
        f"{API}/user/me", headers={"Authorization": f"Bearer {token(sandbox)}"}
    ).json()
    assert header_only["error"]["code"] == 200  # Deezer reads the token from the query only
    unknown = client.get(f"{API}/does-not-exists")
    assert unknown.status_code == 404 and unknown.json() == {"error": "Not Found"}
    no_isrc = client.get(f"{API}/track/isrc:XX0000000000").json()
    assert no_isrc["error"]["code"] == 800


def test_short_pages_must_be_followed_by_next(sandbox: Sandbox, client: httpx.Client) -> None:
    at = token(sandbox)
    ids = [t.ids["deezer"] for t in sandbox.catalog.tracks[:55]]
    pid = sandbox.seed_playlist("deezer", "alice", "Long", ids)
    first = client.get(
        f"{API}/playlist/{pid}/tracks", params={"access_token": at, "limit": 10}
    ).json()
    assert first["total"] == 55 and len(first["data"]) == 10 and "checksum" in first
    seen = [t["id"] for t in first["data"]]
    url = first.get("next")
    short_seen = False
    while url:
        assert "access_token" not in url  # next links carry no token; clients add theirs
        page = client.get(httpx.URL(url).copy_merge_params({"access_token": at})).json()
        short_seen |= 0 < len(page["data"]) < 10
        seen += [t["id"] for t in page["data"]]
        url = page.get("next")
    assert short_seen
    assert [str(i) for i in seen] == ids


def test_several_catalogue_ids_for_one_isrc(sandbox: Sandbox, client: httpx.Client) -> None:
    multi = [
        t
        for t in sandbox.catalog.tracks
        if len(sandbox.catalog.by_isrc("deezer", t.isrc or "")) > 1
    ]
    assert multi, "the catalogue should list some recordings twice on Deezer"
    track = multi[0]
    listings = sandbox.catalog.by_isrc("deezer", track.isrc or "")
    assert len({t.ids["deezer"] for t in listings}) == 2
    assert len({t.album for t in listings}) == 2
    for listing in listings:
        body = client.get(f"{API}/track/{listing.ids['deezer']}").json()
        assert body["isrc"] == track.isrc
    assert len(sandbox.catalog.by_isrc("spotify", track.isrc or "")) == 1


def test_playlist_writes(sandbox: Sandbox, client: httpx.Client) -> None:
    at = token(sandbox)
    pid = client.post(f"{API}/user/me/playlists", params={"access_token": at, "title": "W"}).json()[
        "id"
    ]
    songs = [t.ids["deezer"] for t in sandbox.catalog.tracks[:4]]
    added = client.post(
        f"{API}/playlist/{pid}/tracks", params={"access_token": at, "songs": ",".join(songs)}
    )
    assert added.json() is True
    order = [songs[3], songs[2], songs[1], songs[0]]
    client.post(
        f"{API}/playlist/{pid}/tracks", params={"access_token": at, "order": ",".join(order)}
    )
    assert sandbox.playlist_track_ids("deezer", str(pid)) == order
    client.delete(f"{API}/playlist/{pid}/tracks", params={"access_token": at, "songs": songs[0]})
    assert sandbox.playlist_track_ids("deezer", str(pid)) == order[:3]
    other = token(sandbox, "bob")
    denied = client.post(
        f"{API}/playlist/{pid}/tracks", params={"access_token": other, "songs": songs[0]}
    ).json()
    assert denied["error"]["code"] == 200
    missing = client.post(f"{API}/playlist/{pid}/tracks", params={"access_token": at}).json()
    assert missing["error"]["code"] == 501
    bogus = client.post(
        f"{API}/playlist/{pid}/tracks", params={"access_token": at, "songs": "999"}
    ).json()
    assert bogus["error"]["code"] == 800
    basic = sandbox.issue_token("deezer", "carol", scopes=["basic_access"]).access_token
    perm = client.post(
        f"{API}/user/me/playlists", params={"access_token": basic, "title": "x"}
    ).json()
    assert perm["error"]["code"] == 200


def test_quota_is_code_4_inside_a_200(make_sandbox: Any, clock: Any) -> None:
    sandbox = make_sandbox(deezer_quota=(5, 5.0))
    with httpx.Client(transport=sandbox.transport()) as client:
        bodies = [client.get(f"{API}/track/isrc:USSBX0000001").json() for _ in range(6)]
        assert all("error" not in b for b in bodies[:5])
        assert bodies[5] == {
            "error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}
        }
        clock.now += 5.1
        assert "error" not in client.get(f"{API}/track/isrc:USSBX0000001").json()


def test_favourites_and_follow(sandbox: Sandbox, client: httpx.Client) -> None:
    at = token(sandbox)
    track_id = sandbox.catalog.tracks[2].ids["deezer"]
    sandbox.seed_library("deezer", "alice", liked=[track_id])
    # Adding favourites is not in the documents Crossfade has, so it is not emulated.
    refused = client.post(
        f"{API}/user/me/tracks", params={"access_token": at, "track_id": track_id}
    )
    assert "error" in refused.json()
    liked = client.get(f"{API}/user/me/tracks", params={"access_token": at}).json()
    assert [str(t["id"]) for t in liked["data"]] == [track_id]
    bobs = sandbox.seed_playlist("deezer", "bob", "Public", public=True)
    follow = client.post(
        f"{API}/user/me/playlists", params={"access_token": at, "playlist_id": bobs}
    )
    assert follow.json() is True
    again = client.post(
        f"{API}/user/me/playlists", params={"access_token": at, "playlist_id": bobs}
    )
    assert again.json() is False
    mine = client.get(f"{API}/user/me/playlists", params={"access_token": at}).json()
    assert [str(p["id"]) for p in mine["data"]] == [bobs]
