"""Emulated TIDAL API v2 (JSON:API), after ``tidal-api-oas.json``.

``application/vnd.api+json`` both ways (writes with another content type get
415); cursor paging through ``links.next`` (20 items a page, as recorded);
``filter[...]`` the endpoint does not document -> 400 listing the available
ones; ``filter[isrc]`` takes several ISRCs (one track each, unpaged) or one
ISRC (paged, several tracks); at most 50 items per add/remove and 20 per
reorder (``maxItems`` in the payload schemas); every mutation honours
``Idempotency-Key`` (same key + same payload within an hour replays the first
response; a different payload with that key gets 422).
"""

from __future__ import annotations

from typing import Any

import httpx

from engine.sandbox.base import ProviderApi
from engine.sandbox.catalog import CatalogTrack, derive_id
from engine.sandbox.countries import is_country_code
from engine.sandbox.state import Playlist
from engine.sandbox.tidal_documents import MEDIA_TYPE, _cursor
from engine.sandbox.tidal_includes import RELATIONSHIPS, Node
from engine.sandbox.tidal_library import ADD_MAX, TidalLibrary
from engine.sandbox.wire import ApiError, SandboxRequest, json_response

TRACK_OPTIONS = tuple(sorted(RELATIONSHIPS["tracks"]))
"""``include`` options of /tracks and /tracks/{id} ("Available options")."""
PLAYLIST_OPTIONS = tuple(sorted(RELATIONSHIPS["playlists"]))
"""``include`` options of /playlists and /playlists/{id}."""
REORDER_MAX = 20
_PL_READ = ("playlists.read", "r_usr")
_PL_WRITE = ("playlists.write", "w_usr")
_COL_READ = ("collection.read", "r_usr")
_COL_WRITE = ("collection.write", "w_usr")
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}


def accepts_json_api(accept: str | None) -> bool:
    """Whether an ``Accept`` header admits ``application/vnd.api+json`` (no
    header, ``*/*`` and ``application/*`` do; ``application/json`` alone does not).
    JSON:API also refuses the media type when every mention carries parameters."""
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = [p.strip() for p in params.split(";") if p.strip()]
        if media in ("*/*", "application/*"):
            return True
        if media == MEDIA_TYPE and all(p.lower().startswith("q=") for p in quality):
            return True
    return False


class TidalApi(TidalLibrary, ProviderApi):
    name = "tidal"

    def register(self) -> None:
        add = self.router.add
        add("GET", "/users/{id}", self.get_user, ("user.read", "r_usr"))
        add("GET", "/tracks", self.list_tracks)
        add("GET", "/tracks/{id}", self.get_track)
        add("GET", "/playlists", self.list_playlists, _PL_READ)
        add("POST", "/playlists", self.create_playlist, _PL_WRITE)
        add("GET", "/playlists/{id}", self.get_playlist)
        add("PATCH", "/playlists/{id}", self.update_playlist, _PL_WRITE)
        add("DELETE", "/playlists/{id}", self.delete_playlist, _PL_WRITE)
        items = "/playlists/{id}/relationships/items"
        add("GET", items, self.playlist_items)
        add("POST", items, self.add_items, _PL_WRITE)
        add("DELETE", items, self.remove_items, _PL_WRITE)
        add("PATCH", items, self.reorder_items, _PL_WRITE)
        add("GET", "/albums", self.list_albums)
        albums = "/userCollectionAlbums/{id}/relationships/items"
        add("POST", albums, self.collect_albums, _COL_WRITE)
        add("DELETE", albums, self.uncollect_albums, _COL_WRITE)
        liked = "/userCollectionTracks/{id}/relationships/items"
        add("GET", liked, self.collection_tracks, _COL_READ)
        add("POST", liked, self.collect_tracks, _COL_WRITE)
        add("DELETE", liked, self.uncollect_tracks, _COL_WRITE)
        add(
            "GET",
            "/userCollectionAlbums/{id}/relationships/items",
            self.collection_albums,
            _COL_READ,
        )
        add(
            "GET",
            "/userCollectionPlaylists/{id}/relationships/items",
            self.collection_playlists,
            _COL_READ,
        )
        add("GET", "/searchResults", self.search_results, ("search.read", "r_usr"))
        add(
            "GET",
            "/searchResults/{id}/relationships/tracks",
            self.search_tracks,
            ("search.read", "r_usr"),
        )

    # errors, limits --------------------------------------------------------------
    def render_error(self, error: ApiError) -> httpx.Response:
        entry: dict[str, Any] = {
            "id": derive_id("tidal", "error", error.message),
            "status": str(error.status),
            "code": _TITLES.get(error.status, "ERROR").upper().replace(" ", "_"),
            "detail": error.message,
        }
        if error.parameter:
            entry["source"] = {"parameter": error.parameter}
        return json_response(
            error.status, {"errors": [entry]}, error.headers, media_type=MEDIA_TYPE
        )

    def before(self, request: SandboxRequest) -> None:
        wait = self.state.hit_window("tidal", self.state.config.tidal_rate)
        if wait is not None:
            raise ApiError(
                429, "Rate limit exceeded", headers={"Retry-After": str(max(1, round(wait)))}
            )
        # "All endpoints exchange application/vnd.api+json documents" (OAS overview),
        # each answering 406 "No acceptable response media type" otherwise.
        if not accepts_json_api(request.headers.get("accept")):
            raise ApiError(406, f"Accept must allow {MEDIA_TYPE}")
        # countryCode: "ISO 3166-1 alpha-2 country code" (overview: "countries ISO
        # 3166-1 alpha-2"): "usa", "us" and "ZZ" are refused.
        country = request.arg("countryCode")
        if country is not None and not is_country_code(country):
            raise ApiError(400, f"Invalid countryCode: {country}", parameter="countryCode")
        if request.method in ("POST", "PATCH", "DELETE") and request.body:
            ctype = request.headers.get("content-type", "").split(";")[0].strip()
            if ctype != MEDIA_TYPE:
                raise ApiError(415, f"Content-Type must be {MEDIA_TYPE}")

    def quota_response(self) -> httpx.Response:
        return self.render_error(ApiError(429, "Rate limit exceeded", headers={"Retry-After": "1"}))

    # handlers ------------------------------------------------------------------------------
    def get_user(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._me(request)
        return self.doc(200, {"data": self.user_resource(user_id), "links": {"self": request.path}})

    def list_tracks(self, request: SandboxRequest) -> httpx.Response:
        filters = self._filters(request, ("id", "isrc", "owners.id"))
        tree = self.include_tree(request, "tracks", TRACK_OPTIONS)
        if not filters:
            raise ApiError(
                400, "At least one filter is required: filter[id], filter[isrc], filter[owners.id]"
            )
        tracks: list[CatalogTrack] = []
        keys = {"title": lambda t: t.title.casefold(), "createdAt": lambda t: t.release_date or ""}
        isrcs = filters.get("isrc", [])
        if len(isrcs) > 1:
            tracks = [hits[0] for i in isrcs if (hits := self.state.catalog.by_isrc(self.name, i))]
            tracks = self.sorted_by(request, tracks, keys)
            links: dict[str, Any] = {"self": request.path}
            data = [self.track_resource(t) for t in tracks]
        else:
            if isrcs:
                tracks = self.state.catalog.by_isrc(self.name, isrcs[0])
            for track_id in filters.get("id", []):
                found = self.state.catalog.track(self.name, track_id)
                if found:
                    tracks.append(found)
            tracks = self.sorted_by(request, tracks, keys)
            data, links = self.paged(request, tracks, self.track_resource)
            shown = {d["id"] for d in data}
            tracks = [t for t in tracks if t.ids[self.name] in shown]
        body: dict[str, Any] = {"data": data, "links": links}
        if tree:
            primary = [(("tracks", t), d) for t, d in zip(tracks, data, strict=True)]
            body["included"] = self.compound(primary, tree)
        return self.doc(200, body)

    def list_albums(self, request: SandboxRequest) -> httpx.Response:
        """``GET /albums`` by ``filter[barcodeId]`` or ``filter[id]`` (no includes)."""
        filters = self._filters(request, ("barcodeId", "id", "owners.id"))
        if not filters:
            raise ApiError(
                400,
                "At least one filter is required: filter[barcodeId], filter[id], filter[owners.id]",
            )
        found = []
        for code in filters.get("barcodeId", []):
            found.extend(self.state.catalog.albums_by_upc(self.name, code))
        for album_id in filters.get("id", []):
            album = self.state.catalog.album(self.name, album_id)
            if album is not None:
                found.append(album)
        data = [self.album_resource(a) for a in found]
        return self.doc(200, {"data": data, "links": {"self": request.path}})

    def get_track(self, request: SandboxRequest) -> httpx.Response:
        tree = self.include_tree(request, "tracks", TRACK_OPTIONS)
        track = self.state.catalog.track(self.name, request.params["id"])
        if track is None:
            raise ApiError(404, "Track not found")
        body: dict[str, Any] = {"data": self.track_resource(track), "links": {"self": request.path}}
        if tree:
            body["included"] = self.compound([(("tracks", track), body["data"])], tree)
        return self.doc(200, body)

    def _visible(self, playlist: Playlist | None) -> Playlist:
        if playlist is None or (not playlist.public and playlist.owner != self.user_id):
            raise ApiError(404, "Playlist not found")
        return playlist

    def _owned(self, request: SandboxRequest) -> Playlist:
        playlist = self._visible(self.state.playlist(self.name, request.params["id"]))
        if playlist.owner != self.user_id:
            raise ApiError(403, "Only the owner can change this playlist")
        return playlist

    def list_playlists(self, request: SandboxRequest) -> httpx.Response:
        filters = self._filters(request, ("collaborators.id", "id", "owners.id"))
        tree = self.include_tree(request, "playlists", PLAYLIST_OPTIONS)
        if not filters:
            raise ApiError(
                400,
                "At least one filter is required: filter[id], "
                "filter[owners.id], filter[collaborators.id]",
            )
        playlists: list[Playlist] = []
        for owner in filters.get("owners.id", []):
            owner_id = self.user_id if owner == "me" else owner
            playlists.extend(
                p
                for p in self.state.playlists.values()
                if p.provider == self.name
                and p.owner == owner_id
                and (p.public or owner_id == self.user_id)
            )
        for playlist_id in filters.get("id", []):
            found = self.state.playlist(self.name, playlist_id)
            if found and (found.public or found.owner == self.user_id):
                playlists.append(found)
        playlists.sort(key=lambda p: -p.created_at)
        playlists = self.sorted_by(
            request,
            playlists,
            {
                "createdAt": lambda p: p.created_at,
                "lastModifiedAt": lambda p: p.modified_at,
                "name": lambda p: p.name.casefold(),
            },
        )
        data, links = self.paged(request, playlists, self.playlist_resource)
        body: dict[str, Any] = {"data": data, "links": links}
        if tree:
            shown = {d["id"]: d for d in data}
            primary = [(("playlists", p), shown[p.id]) for p in playlists if p.id in shown]
            body["included"] = self.compound(primary, tree)
        return self.doc(200, body)

    def create_playlist(self, request: SandboxRequest) -> httpx.Response:
        def action() -> httpx.Response:
            body = request.json()
            data = body.get("data") if isinstance(body, dict) else None
            attrs = data.get("attributes") if isinstance(data, dict) else None
            if (
                not isinstance(data, dict)
                or data.get("type") != "playlists"
                or not isinstance(attrs, dict)
            ):
                raise ApiError(400, "Request body must be a playlists resource")
            name = attrs.get("name")
            if not isinstance(name, str) or not name:
                raise ApiError(400, "name is required")
            access = attrs.get("accessType", "UNLISTED")
            if access not in ("PUBLIC", "UNLISTED"):
                raise ApiError(400, "Invalid accessType")
            playlist = self.state.create_playlist(
                self.name,
                self.user_id,
                name,
                str(attrs.get("description") or ""),
                public=access == "PUBLIC",
            )
            return self.doc(
                201,
                {
                    "data": self.playlist_resource(playlist),
                    "links": {"self": f"/playlists/{playlist.id}"},
                },
            )

        return self.idempotent(request, action)

    def get_playlist(self, request: SandboxRequest) -> httpx.Response:
        tree = self.include_tree(request, "playlists", PLAYLIST_OPTIONS)
        playlist = self._visible(self.state.playlist(self.name, request.params["id"]))
        resource = self.playlist_resource(playlist)
        body: dict[str, Any] = {"data": resource, "links": {"self": request.path}}
        first: dict[str, list[Node]] = {}
        if "items" in tree:
            page = playlist.items[: self.state.config.tidal_page_size]
            rel: dict[str, Any] = {
                "data": [self.item_identifier(i) for i in page],
                "links": {"self": f"{request.path}/relationships/items"},
            }
            if len(playlist.items) > len(page):
                cursor = _cursor(len(page))
                rel["links"]["next"] = (
                    f"{request.path}/relationships/items?"
                    f"{httpx.QueryParams({'page[cursor]': cursor})}"
                )
                rel["links"]["meta"] = {"nextCursor": cursor}
            resource["relationships"] = {"items": rel}
            first["items"] = self.track_nodes(i.track_id for i in page)
        for name in tree.children(()):
            if name != "items":
                first[name] = self.related(("playlists", playlist), name)
                self.relate(resource, name, first[name], request.path)
        if tree:
            body["included"] = self.included(tree, first)
        return self.doc(200, body)

    def update_playlist(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._owned(request)

        def action() -> httpx.Response:
            body = request.json()
            data = body.get("data") if isinstance(body, dict) else None
            if (
                not isinstance(data, dict)
                or data.get("type") != "playlists"
                or data.get("id") != playlist.id
            ):
                raise ApiError(400, "data must be the playlists resource being updated")
            attrs = data.get("attributes") or {}
            if "name" in attrs:
                playlist.name = str(attrs["name"])
            if "description" in attrs:
                playlist.description = str(attrs["description"] or "")
            if "accessType" in attrs:
                playlist.public = attrs["accessType"] == "PUBLIC"
            self.state.touch(playlist)
            return self.doc(
                200, {"data": self.playlist_resource(playlist), "links": {"self": request.path}}
            )

        return self.idempotent(request, action)

    def delete_playlist(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._owned(request)

        def action() -> httpx.Response:
            self.state.playlists.pop((self.name, playlist.id), None)
            for library in self.state.libraries.values():
                if playlist.id in library.playlists:
                    library.playlists.remove(playlist.id)
            return self.doc(200, {"links": {"self": request.path}})

        return self.idempotent(request, action)

    def playlist_items(self, request: SandboxRequest) -> httpx.Response:
        tree = self.include_tree(request, "playlists", ("items",))
        playlist = self._visible(self.state.playlist(self.name, request.params["id"]))
        keys = self.track_keys(lambda pair: self.state.catalog.track(self.name, pair[1].track_id))
        keys.update(addedAt=lambda pair: pair[1].added_at, itemIndex=lambda pair: pair[0])
        ordered = [
            pair[1] for pair in self.sorted_by(request, list(enumerate(playlist.items)), keys)
        ]
        data, links = self.paged(request, ordered, self.item_identifier)
        return self.listing_doc(tree, data, links, "items", self.track_nodes)

    def add_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._owned(request)

        def action() -> httpx.Response:
            data, meta = self._payload(request, ADD_MAX)
            at = len(playlist.items)
            before = meta.get("positionBefore")
            if before is not None:
                positions = [n for n, i in enumerate(playlist.items) if i.item_id == before]
                if not positions:
                    raise ApiError(400, "positionBefore does not name an item of this playlist")
                at = positions[0]
            found = [e["id"] for e in data if self.state.catalog.track(self.name, e["id"])]
            skipped = [
                {"id": e["id"], "type": e["type"], "reason": "NOT_FOUND"}
                for e in data
                if not self.state.catalog.track(self.name, e["id"])
            ]
            room = self.state.room_left(playlist)
            if room is not None and len(found) > room:
                raise ApiError(422, "Playlist item limit reached")
            new = self.state.new_items(playlist, found, self.user_id)
            playlist.items[at:at] = new
            self.state.touch(playlist)
            return self.doc(
                200,
                {
                    "data": [self.item_identifier(i) for i in new],
                    "links": {"self": request.path},
                    "meta": {"skipped": skipped},
                },
            )

        return self.idempotent(request, action)

    def remove_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._owned(request)

        def action() -> httpx.Response:
            data, _ = self._payload(request, ADD_MAX, need_item_id=True)
            doomed = {e["meta"]["itemId"] for e in data}
            known = {i.item_id for i in playlist.items}
            if doomed - known:
                raise ApiError(400, "Unknown itemId in payload")
            playlist.items = [i for i in playlist.items if i.item_id not in doomed]
            self.state.touch(playlist)
            return self.doc(200, {"links": {"self": request.path}})

        return self.idempotent(request, action)

    def reorder_items(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._owned(request)

        def action() -> httpx.Response:
            data, meta = self._payload(request, REORDER_MAX, need_item_id=True)
            before = meta.get("positionBefore")
            if not before:
                raise ApiError(400, "meta.positionBefore is required")
            moving_ids = [e["meta"]["itemId"] for e in data]
            by_id = {i.item_id: i for i in playlist.items}
            if any(m not in by_id for m in moving_ids) or (before != "END" and before not in by_id):
                raise ApiError(400, "Unknown itemId in payload")
            moving = [by_id[m] for m in moving_ids]
            rest = [i for i in playlist.items if i.item_id not in set(moving_ids)]
            at = (
                len(rest)
                if before == "END"
                else next((n for n, i in enumerate(rest) if i.item_id == before), len(rest))
            )
            playlist.items = rest[:at] + moving + rest[at:]
            self.state.touch(playlist)
            return self.doc(200, {"links": {"self": request.path}})

        return self.idempotent(request, action)
