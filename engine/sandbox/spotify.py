"""Emulated Spotify Web API (``/v1``), after ``official-spotify-open-api.yml``.

Both forms the documents show are served: the 2026 ``/playlists/{id}/items``
(+ ``item`` field, ``POST /me/playlists``, ``PUT /me/library``) and the
deprecated ``/playlists/{id}/tracks`` (+ ``track`` field, ``/users/{id}/playlists``,
``PUT /me/tracks``). Playlist item objects carry both ``item`` and ``track``
as the current schema does. Limits: 50 per page, search 10 per page and
offset <= 1000, 100 URIs per add/remove, 50 ids per ``/tracks`` and
``/me/tracks``, 40 URIs per ``/me/library``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx

from engine.sandbox.base import ProviderApi
from engine.sandbox.catalog import CatalogTrack
from engine.sandbox.countries import is_country_code
from engine.sandbox.search_syntax import spotify_search
from engine.sandbox.spotify_objects import SpotifyObjects
from engine.sandbox.state import Playlist
from engine.sandbox.wire import ApiError, SandboxRequest, iso, json_response

PAGE_MAX = 50
SEARCH_MAX = 10
SEARCH_OFFSET_MAX = 1000
ADD_MAX = 100
IDS_MAX = 50
LIBRARY_URIS_MAX = 40
_URI = re.compile(r"^spotify:(track|episode):([0-9A-Za-z]{22})$")
_READ = ("playlist-read-private", "playlist-read-collaborative")
_MODIFY = ("playlist-modify-public", "playlist-modify-private")


def _list_window(request: SandboxRequest) -> tuple[int, int]:
    """``limit`` and ``offset`` of a paged list (components.parameters QueryLimit:
    default 20, maximum 50; QueryOffset)."""
    limit = request.int_arg("limit", 20, low=0, high=PAGE_MAX)
    offset = request.int_arg("offset", 0, low=0, high=100_000)
    return limit, offset


class SpotifyApi(SpotifyObjects, ProviderApi):
    name = "spotify"

    def register(self) -> None:
        add = self.router.add
        add("GET", "/me", self.me)
        add("GET", "/me/playlists", self.my_playlists)
        add("POST", "/me/playlists", self.create_playlist, _MODIFY)
        add("GET", "/users/{user_id}/playlists", self.user_playlists)
        add("POST", "/users/{user_id}/playlists", self.create_playlist, _MODIFY)
        add("GET", "/playlists/{playlist_id}", self.get_playlist)
        add("PUT", "/playlists/{playlist_id}", self.change_details, _MODIFY)
        for leaf in ("items", "tracks"):
            add("GET", f"/playlists/{{playlist_id}}/{leaf}", self.playlist_items)
            add("POST", f"/playlists/{{playlist_id}}/{leaf}", self.add_items, _MODIFY)
            add("PUT", f"/playlists/{{playlist_id}}/{leaf}", self.reorder_items, _MODIFY)
            add("DELETE", f"/playlists/{{playlist_id}}/{leaf}", self.remove_items, _MODIFY)
        add("PUT", "/playlists/{playlist_id}/followers", self.follow, _MODIFY)
        add("DELETE", "/playlists/{playlist_id}/followers", self.unfollow, _MODIFY)
        add("GET", "/me/tracks", self.saved_tracks, ("user-library-read",))
        add("PUT", "/me/tracks", self.save_tracks, ("user-library-modify",))
        add("DELETE", "/me/tracks", self.unsave_tracks, ("user-library-modify",))
        add("GET", "/me/albums", self.saved_albums, ("user-library-read",))
        add("PUT", "/me/library", self.save_library, ("user-library-modify",))
        add("DELETE", "/me/library", self.unsave_library, ("user-library-modify",))
        add("GET", "/search", self.search)
        add("GET", "/tracks/{id}", self.get_track)
        add("GET", "/tracks", self.get_tracks)

    # errors and limits -------------------------------------------------------
    def render_error(self, error: ApiError) -> httpx.Response:
        if error.reason == "bare":  # /me/library documents a bare ErrorObject on 400
            return json_response(error.status, {"status": error.status, "message": error.message})
        body = {"error": {"status": error.status, "message": error.message}}
        return json_response(error.status, body, error.headers)

    def not_found_response(self, request: SandboxRequest) -> httpx.Response:
        return self.render_error(ApiError(404, "Service not found"))

    def before(self, request: SandboxRequest) -> None:
        wait = self.state.hit_window("spotify", self.state.config.spotify_rate)
        if wait is not None:
            raise ApiError(
                429, "API rate limit exceeded", headers={"Retry-After": str(max(1, round(wait)))}
            )
        # components.parameters.QueryMarket: "An ISO 3166-1 alpha-2 country code".
        # The documents name no other value (no ``from_token``), and the standard
        # writes codes upper case: "us", "ZZ" or "USA" answer 400.
        market = request.arg("market")
        if market is not None and not is_country_code(market):
            raise ApiError(400, "Invalid market code")

    # lookups --------------------------------------------------------------------
    def _playlist(self, request: SandboxRequest, *, write: bool = False) -> Playlist:
        playlist = self.state.playlist(self.name, request.params["playlist_id"])
        if playlist is None:
            raise ApiError(404, "Resource not found")
        if playlist.owner != self.user_id:
            if write:
                raise ApiError(403, "You cannot add tracks to a playlist you don't own.")
            if not playlist.public and self.user_id not in playlist.followers:
                raise ApiError(404, "Resource not found")
        return playlist

    def _track(self, track_id: str) -> CatalogTrack:
        track = self.state.catalog.track(self.name, track_id)
        if track is None:
            raise ApiError(
                400,
                f"Invalid base62 id: {track_id}"
                if len(track_id) != 22
                else "Payload contains a non-existing ID",
            )
        return track

    def _uri_track(self, uri: str) -> str:
        found = _URI.match(uri.strip())
        if not found:
            raise ApiError(400, f"Invalid track uri: {uri}")
        self._track(found.group(2))
        return found.group(2)

    # handlers ---------------------------------------------------------------------
    def me(self, request: SandboxRequest) -> httpx.Response:
        user = self.state.user(self.name, self.user_id)
        body = {
            **self.user_object(request, self.user_id),
            "country": user.country,
            "product": "premium",
            "images": [],
            "followers": {"href": None, "total": 0},
        }
        return json_response(200, body)

    def _list_playlists(self, request: SandboxRequest, user_id: str) -> httpx.Response:
        limit, offset = _list_window(request)
        ids = self.state.library(self.name, user_id).playlists
        playlists = [p for p in (self.state.playlist(self.name, i) for i in ids) if p]
        if user_id != self.user_id:
            playlists = [p for p in playlists if p.public]
        path = "/me/playlists" if user_id == self.user_id else f"/users/{user_id}/playlists"
        return json_response(
            200,
            self.page(
                request,
                playlists,
                offset,
                limit,
                path,
                lambda p: self.playlist_object(request, p, full=False),
            ),
        )

    def my_playlists(self, request: SandboxRequest) -> httpx.Response:
        return self._list_playlists(request, self.user_id)

    def user_playlists(self, request: SandboxRequest) -> httpx.Response:
        return self._list_playlists(request, request.params["user_id"])

    def create_playlist(self, request: SandboxRequest) -> httpx.Response:
        owner = request.params.get("user_id", self.user_id)
        if owner != self.user_id:
            raise ApiError(403, "You cannot create a playlist for another user.")
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            raise ApiError(400, "Missing required field: name")
        playlist = self.state.create_playlist(
            self.name,
            owner,
            body["name"],
            str(body.get("description") or ""),
            bool(body.get("public", True)),
        )
        return json_response(201, self.playlist_object(request, playlist, full=True))

    def get_playlist(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request)
        return json_response(200, self.playlist_object(request, playlist, full=True))

    def change_details(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        body = request.json() or {}
        if not isinstance(body, dict):
            raise ApiError(400, "Error parsing JSON.")
        playlist.name = str(body.get("name", playlist.name))
        playlist.description = str(body.get("description", playlist.description))
        playlist.public = bool(body.get("public", playlist.public))
        self.state.touch(playlist)
        return httpx.Response(200)

    def playlist_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request)
        limit, offset = _list_window(request)
        leaf = request.path.rsplit("/", 1)[1]
        return json_response(
            200,
            self.page(
                request,
                playlist.items,
                offset,
                limit,
                f"/playlists/{playlist.id}/{leaf}",
                lambda item: self.item_object(request, item),
            ),
        )

    def add_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        body = request.json()
        query_uris = request.arg("uris")
        if query_uris is not None:
            uris = [u for u in query_uris.split(",") if u]
        elif isinstance(body, dict) and isinstance(body.get("uris"), list):
            uris = [str(u) for u in body["uris"]]
        else:
            raise ApiError(400, "No uris provided")
        if len(uris) > ADD_MAX:
            raise ApiError(400, f"You can add a maximum of {ADD_MAX} tracks per request.")
        if not uris:
            raise ApiError(400, "No uris provided")
        raw_position = request.arg("position")
        if raw_position is None and isinstance(body, dict):
            raw_position = body.get("position")
        position = len(playlist.items)
        if raw_position is not None:
            try:
                position = int(raw_position)
            except (TypeError, ValueError) as exc:
                raise ApiError(400, "Invalid position") from exc
            if not 0 <= position <= len(playlist.items):
                raise ApiError(400, "Index out of bounds")
        track_ids = [self._uri_track(u) for u in uris]
        room = self.state.room_left(playlist)
        if room is not None and len(track_ids) > room:
            raise ApiError(400, "Playlist size limit reached")
        playlist.items[position:position] = self.state.new_items(playlist, track_ids, self.user_id)
        self.state.touch(playlist)
        return json_response(201, {"snapshot_id": playlist.snapshot_id})

    def reorder_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        body = request.json() or {}
        if not isinstance(body, dict):
            raise ApiError(400, "Error parsing JSON.")
        uris = request.arg("uris")
        if uris is not None or "uris" in body:
            listed = uris.split(",") if uris is not None else list(body["uris"])
            if len(listed) > ADD_MAX:
                raise ApiError(400, f"You can add a maximum of {ADD_MAX} tracks per request.")
            track_ids = [self._uri_track(u) for u in listed if u]
            playlist.items = self.state.new_items(playlist, track_ids, self.user_id)
            self.state.touch(playlist)
            return json_response(200, {"snapshot_id": playlist.snapshot_id})
        self._check_snapshot(playlist, body)
        try:
            start = int(body["range_start"])
            before = int(body["insert_before"])
            length = int(body.get("range_length", 1))
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(400, "Missing range_start or insert_before") from exc
        size = len(playlist.items)
        if not (0 <= start < size and 0 <= before <= size and 1 <= length <= size - start):
            raise ApiError(400, "Index out of bounds")
        moved = playlist.items[start : start + length]
        rest = playlist.items[:start] + playlist.items[start + length :]
        at = before if before <= start else before - length
        playlist.items = rest[:at] + moved + rest[at:]
        self.state.touch(playlist)
        return json_response(200, {"snapshot_id": playlist.snapshot_id})

    def _check_snapshot(self, playlist: Playlist, body: dict[str, Any]) -> None:
        snapshot = body.get("snapshot_id")
        if snapshot is not None and snapshot != playlist.snapshot_id:
            raise ApiError(400, "Invalid snapshot_id")

    def remove_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        body = request.json()
        key = "items" if request.path.endswith("/items") else "tracks"
        if not isinstance(body, dict) or not isinstance(body.get(key), list):
            raise ApiError(400, f"Missing required field: {key}")
        entries = body[key]
        if len(entries) > ADD_MAX:
            raise ApiError(400, f"You can remove a maximum of {ADD_MAX} tracks per request.")
        self._check_snapshot(playlist, body)
        doomed = set()
        for entry in entries:
            if not isinstance(entry, dict) or "uri" not in entry:
                raise ApiError(400, "Invalid track uri")
            doomed.add(self._uri_track(str(entry["uri"])))
        playlist.items = [i for i in playlist.items if i.track_id not in doomed]
        self.state.touch(playlist)
        return json_response(200, {"snapshot_id": playlist.snapshot_id})

    def follow(self, request: SandboxRequest) -> httpx.Response:
        playlist = self.state.playlist(self.name, request.params["playlist_id"])
        if playlist is None or (not playlist.public and playlist.owner != self.user_id):
            raise ApiError(404, "Resource not found")
        playlist.followers.add(self.user_id)
        library = self.state.library(self.name, self.user_id)
        if playlist.id not in library.playlists:
            library.playlists.insert(0, playlist.id)
        return httpx.Response(200)

    def unfollow(self, request: SandboxRequest) -> httpx.Response:
        playlist_id = request.params["playlist_id"]
        library = self.state.library(self.name, self.user_id)
        if playlist_id in library.playlists:
            library.playlists.remove(playlist_id)
        playlist = self.state.playlist(self.name, playlist_id)
        if playlist:
            playlist.followers.discard(self.user_id)
        return httpx.Response(200)

    def saved_tracks(self, request: SandboxRequest) -> httpx.Response:
        limit, offset = _list_window(request)
        liked = self.state.library(self.name, self.user_id).liked

        def render(entry: tuple[str, float]) -> dict[str, Any]:
            track = self._track(entry[0])
            return {"added_at": iso(entry[1]), "track": self.track_object(request, track)}

        return json_response(200, self.page(request, liked, offset, limit, "/me/tracks", render))

    def _ids(self, request: SandboxRequest) -> list[str]:
        ids = request.args("ids")
        body = request.json() if not ids else None
        if not ids and isinstance(body, dict):
            ids = [str(i) for i in body.get("ids") or []]
        if not ids:
            raise ApiError(400, "Missing required field: ids")
        if len(ids) > IDS_MAX:
            raise ApiError(400, "Too many ids requested")
        return ids

    def _save(self, entries: list[tuple[str, float]], track_ids: list[str]) -> None:
        have = {e[0] for e in entries}
        now = self.state.clock()
        for track_id in track_ids:
            if track_id not in have:
                entries.insert(0, (track_id, now))
                have.add(track_id)

    def save_tracks(self, request: SandboxRequest) -> httpx.Response:
        ids = self._ids(request)
        for track_id in ids:
            self._track(track_id)
        self._save(self.state.library(self.name, self.user_id).liked, ids)
        return httpx.Response(200)

    def unsave_tracks(self, request: SandboxRequest) -> httpx.Response:
        ids = set(self._ids(request))
        library = self.state.library(self.name, self.user_id)
        library.liked = [e for e in library.liked if e[0] not in ids]
        return httpx.Response(200)

    def saved_albums(self, request: SandboxRequest) -> httpx.Response:
        limit, offset = _list_window(request)
        saved = self.state.library(self.name, self.user_id).saved_albums

        def render(entry: tuple[str, float]) -> dict[str, Any]:
            album = self.state.catalog.album(self.name, entry[0])
            first = self.state.catalog.track(self.name, album.track_ids[0]) if album else None
            if first is None:  # pragma: no cover - only catalogue albums are saved
                raise ApiError(500, "Server error")
            obj = self.album_object(request, first)
            obj["tracks"] = self.page(
                request,
                list(album.track_ids) if album else [],
                0,
                50,
                f"/albums/{entry[0]}/tracks",
                lambda tid: self._simple_track(request, tid),
            )
            upc = {"upc": album.upc} if album and album.upc else {}
            obj.update(external_ids=upc, copyrights=[], genres=[], label="", popularity=0)
            return {"added_at": iso(entry[1]), "album": obj}

        return json_response(200, self.page(request, saved, offset, limit, "/me/albums", render))

    def _simple_track(self, request: SandboxRequest, track_id: str) -> dict[str, Any]:
        obj = self.track_object(request, self._track(track_id))
        for key in ("album", "external_ids", "is_playable"):
            obj.pop(key, None)
        return obj

    def _library_uris(self, request: SandboxRequest) -> list[tuple[str, str]]:
        raw = request.arg("uris")
        if not raw:
            raise ApiError(400, "Missing uris parameter", reason="bare")
        uris = [u for u in raw.split(",") if u]
        if len(uris) > LIBRARY_URIS_MAX:
            raise ApiError(400, f"Too many URIs: at most {LIBRARY_URIS_MAX}", reason="bare")
        out = []
        for uri in uris:
            parts = uri.split(":")
            if (
                len(parts) != 3
                or parts[0] != "spotify"
                or parts[1]
                not in ("track", "album", "episode", "show", "audiobook", "user", "playlist")
            ):
                raise ApiError(400, f"Invalid URI: {uri}", reason="bare")
            out.append((parts[1], parts[2]))
        return out

    def save_library(self, request: SandboxRequest) -> httpx.Response:
        library = self.state.library(self.name, self.user_id)
        for kind, item_id in self._library_uris(request):
            if kind == "track":
                self._track(item_id)
                self._save(library.liked, [item_id])
            elif kind == "album":
                if self.state.catalog.album(self.name, item_id) is None:
                    raise ApiError(400, f"Invalid URI: spotify:album:{item_id}", reason="bare")
                self._save(library.saved_albums, [item_id])
            elif kind == "playlist":
                playlist = self.state.playlist(self.name, item_id)
                if playlist and item_id not in library.playlists:
                    playlist.followers.add(self.user_id)
                    library.playlists.insert(0, item_id)
        return httpx.Response(200)

    def unsave_library(self, request: SandboxRequest) -> httpx.Response:
        library = self.state.library(self.name, self.user_id)
        for kind, item_id in self._library_uris(request):
            if kind == "track":
                library.liked = [e for e in library.liked if e[0] != item_id]
            elif kind == "album":
                library.saved_albums = [e for e in library.saved_albums if e[0] != item_id]
            elif kind == "playlist" and item_id in library.playlists:
                library.playlists.remove(item_id)
        return httpx.Response(200)

    def search(self, request: SandboxRequest) -> httpx.Response:
        # Spotify's own next/href links spell the query parameter ``query``.
        query = request.arg("q") or request.arg("query")
        types = request.args("type")
        if not query:
            raise ApiError(400, "No search query")
        if not types:
            raise ApiError(400, "Missing parameter type")
        known = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}
        if set(types) - known:
            raise ApiError(400, "Bad search type field")
        limit = request.int_arg("limit", 5, low=0, high=SEARCH_MAX)
        offset = request.int_arg("offset", 0, low=0, high=SEARCH_OFFSET_MAX)
        body: dict[str, Any] = {}
        if "album" in types:
            albums = self._album_hits(query)
            carried = [("query", query), ("type", ",".join(types))]
            body["albums"] = self.page(
                request,
                albums,
                offset,
                limit,
                "/search",
                lambda a: self.album_object(request, self._track(a.track_ids[0])),
                "&" + urlencode(carried),
            )
        if "track" in types:
            hits = spotify_search(self.state.catalog, self.name, query)
            carried = [("query", query), ("type", ",".join(types))]
            carried += [("market", m) for m in [request.arg("market")] if m]
            extra = "&" + urlencode(carried)
            body["tracks"] = self.page(
                request,
                hits,
                offset,
                limit,
                "/search",
                lambda t: self.track_object(request, t),
                extra,
            )
        return json_response(200, body)

    def _album_hits(self, query: str) -> list[Any]:
        """Album search: ``upc:<code>`` (albums only, per the reference) or
        ``album:``/``artist:`` filters and free words over title and artists."""
        upc = re.search(r"(?<![\w:])upc:(\S+)", query, re.I)
        if upc:
            return self.state.catalog.albums_by_upc(self.name, upc.group(1))
        words = re.sub(r"(?<![\w:])(album|artist):", " ", query, flags=re.I).replace('"', " ")
        return self.state.catalog.search_albums(self.name, words.split())

    def get_track(self, request: SandboxRequest) -> httpx.Response:
        track = self.state.catalog.track(self.name, request.params["id"])
        if track is None:
            raise ApiError(
                404 if len(request.params["id"]) == 22 else 400,
                "Resource not found" if len(request.params["id"]) == 22 else "Invalid base62 id",
            )
        return json_response(200, self.track_object(request, track))

    def get_tracks(self, request: SandboxRequest) -> httpx.Response:
        ids = request.args("ids")
        if not ids:
            raise ApiError(400, "Missing required parameter: ids")
        if len(ids) > IDS_MAX:
            raise ApiError(400, "Too many ids requested")
        found = [self.state.catalog.track(self.name, i) for i in ids]
        tracks = [self.track_object(request, t) if t else None for t in found]
        return json_response(200, {"tracks": tracks})
