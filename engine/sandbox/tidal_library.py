"""Emulated TIDAL API v2: the request helpers every mutation shares
(``Idempotency-Key``, JSON:API payloads) and the user's library endpoints
(``userCollectionTracks|Albums|Playlists``) and search, after ``tidal-api-oas.json``."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from engine.sandbox.state import Playlist
from engine.sandbox.tidal_documents import _cursor
from engine.sandbox.tidal_includes import TidalIncludes
from engine.sandbox.wire import ApiError, SandboxRequest, iso

ADD_MAX = 50
"""``maxItems`` of the add/remove payloads."""
IDEMPOTENCY_TTL_S = 3600


class TidalLibrary(TidalIncludes):
    """Mixed into the API class, whose base (``ProviderApi``) gives ``user_id``
    (the token's user) and ``state``."""

    user_id: str

    def _me(self, request: SandboxRequest) -> str:
        raw = request.params["id"]
        if raw not in ("me", self.user_id):
            raise ApiError(404, "Resource not found")
        return self.user_id

    # idempotency ---------------------------------------------------------------------------
    def idempotent(
        self, request: SandboxRequest, action: Callable[[], httpx.Response]
    ) -> httpx.Response:
        key = request.headers.get("idempotency-key")
        if not key:
            return action()
        digest = hashlib.sha256(
            f"{request.method} {request.path}\n".encode() + request.body
        ).hexdigest()
        slot = (self.user_id, key)
        seen = self.state.idempotency.get(slot)
        if seen and self.state.clock() - seen[1][0] < IDEMPOTENCY_TTL_S:
            if seen[0] != digest:
                raise ApiError(422, "Idempotency-Key reused with a different payload")
            _, status, headers, content = seen[1]
            return httpx.Response(status, headers=headers, content=content)
        response = action()
        if response.status_code < 500:
            self.state.idempotency[slot] = (
                digest,
                (
                    self.state.clock(),
                    response.status_code,
                    dict(response.headers),
                    response.content,
                ),
            )
        return response

    def _payload(
        self,
        request: SandboxRequest,
        max_items: int,
        types: tuple[str, ...] = ("tracks", "videos"),
        need_item_id: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ApiError(400, "Request body must contain a data array")
        data = body["data"]
        if not 1 <= len(data) <= max_items:
            raise ApiError(400, f"data must hold between 1 and {max_items} items")
        for n, entry in enumerate(data):
            if not isinstance(entry, dict) or not entry.get("id") or entry.get("type") not in types:
                raise ApiError(400, f"Invalid resource identifier at /data/{n}")
            if need_item_id and not (entry.get("meta") or {}).get("itemId"):
                raise ApiError(400, f"Missing meta.itemId at /data/{n}")
        meta = body.get("meta") or {}
        return data, meta if isinstance(meta, dict) else {}

    # library and search ------------------------------------------------------------------
    def collection_tracks(self, request: SandboxRequest) -> httpx.Response:
        tree = self.include_tree(request, "userCollectionTracks", ("items",))
        user_id = self._me(request)
        liked = self.state.library(self.name, user_id).liked

        def render(entry: tuple[str, float]) -> dict[str, Any]:
            return {"id": entry[0], "type": "tracks", "meta": {"addedAt": iso(entry[1])}}

        keys = self.track_keys(lambda entry: self.state.catalog.track(self.name, entry[0]))
        keys["addedAt"] = lambda entry: entry[1]
        data, links = self.paged(request, self.sorted_by(request, liked, keys), render)
        return self.listing_doc(tree, data, links, "items", self.track_nodes)

    def collect_tracks(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._me(request)

        def action() -> httpx.Response:
            data, _ = self._payload(request, ADD_MAX, types=("tracks",))
            liked = self.state.library(self.name, user_id).liked
            have = {e[0] for e in liked}
            added = []
            for entry in data:
                if self.state.catalog.track(self.name, entry["id"]) is None:
                    raise ApiError(404, f"Track {entry['id']} not found")
                if entry["id"] not in have:
                    liked.insert(0, (entry["id"], self.state.clock()))
                    have.add(entry["id"])
                    added.append({"id": entry["id"], "type": "tracks"})
            return self.doc(200, {"data": added, "links": {"self": request.path}})

        return self.idempotent(request, action)

    def uncollect_tracks(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._me(request)

        def action() -> httpx.Response:
            data, _ = self._payload(request, ADD_MAX, types=("tracks",))
            gone = {e["id"] for e in data}
            library = self.state.library(self.name, user_id)
            library.liked = [e for e in library.liked if e[0] not in gone]
            return self.doc(200, {"links": {"self": request.path}})

        return self.idempotent(request, action)

    def collect_albums(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._me(request)

        def action() -> httpx.Response:
            data, _ = self._payload(request, ADD_MAX, types=("albums",))
            saved = self.state.library(self.name, user_id).saved_albums
            have = {e[0] for e in saved}
            added = []
            for entry in data:
                if self.state.catalog.album(self.name, entry["id"]) is None:
                    raise ApiError(404, f"Album {entry['id']} not found")
                if entry["id"] not in have:
                    saved.insert(0, (entry["id"], self.state.clock()))
                    have.add(entry["id"])
                    added.append({"id": entry["id"], "type": "albums"})
            return self.doc(200, {"data": added, "links": {"self": request.path}})

        return self.idempotent(request, action)

    def uncollect_albums(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._me(request)

        def action() -> httpx.Response:
            data, _ = self._payload(request, ADD_MAX, types=("albums",))
            gone = {e["id"] for e in data}
            library = self.state.library(self.name, user_id)
            library.saved_albums = [e for e in library.saved_albums if e[0] not in gone]
            return self.doc(200, {"links": {"self": request.path}})

        return self.idempotent(request, action)

    def collection_albums(self, request: SandboxRequest) -> httpx.Response:
        tree = self.include_tree(request, "userCollectionAlbums", ("items",))
        user_id = self._me(request)
        catalog = self.state.catalog

        def album_field(get: Callable[[Any], Any]) -> Callable[[tuple[str, float]], Any]:
            return lambda e: get(a) if (a := catalog.album(self.name, e[0])) else ""

        saved = self.sorted_by(
            request,
            self.state.library(self.name, user_id).saved_albums,
            {
                "addedAt": lambda e: e[1],
                "artists.name": album_field(lambda a: a.artists[0].casefold()),
                "releaseDate": album_field(lambda a: a.release_date or ""),
                "title": album_field(lambda a: a.title.casefold()),
            },
        )
        data, links = self.paged(
            request, saved, lambda e: {"id": e[0], "type": "albums", "meta": {"addedAt": iso(e[1])}}
        )
        return self.listing_doc(tree, data, links, "items", self.album_nodes)

    def collection_playlists(self, request: SandboxRequest) -> httpx.Response:
        tree = self.include_tree(request, "userCollectionPlaylists", ("items",))
        user_id = self._me(request)
        ids = [
            i
            for i in self.state.library(self.name, user_id).playlists
            if (p := self.state.playlist(self.name, i)) and p.owner != user_id
        ]

        def playlist_field(get: Callable[[Playlist], Any]) -> Callable[[str], Any]:
            return lambda i: get(found) if (found := self.state.playlist(self.name, i)) else ""

        ids = self.sorted_by(
            request,
            ids,
            {
                "addedAt": lambda i: 0,  # follows keep no time; newest first already
                "lastModifiedAt": playlist_field(lambda p: p.modified_at),
                "name": playlist_field(lambda p: p.name.casefold()),
            },
        )
        data, links = self.paged(request, ids, lambda i: {"id": i, "type": "playlists"})
        return self.listing_doc(tree, data, links, "items", self.playlist_nodes)

    def search_results(self, request: SandboxRequest) -> httpx.Response:
        """``GET /searchResults?filter[query]=..``: "a collection containing exactly
        one search results resource", whose id is opaque; the tracks relationship
        holds the first page of hits, ``links.next`` the rest."""
        tree = self.include_tree(request, "searchResults", SEARCH_OPTIONS)
        filters = self._filters(request, ("query",))
        query = (filters.get("query") or [""])[0]
        if not query.strip():
            raise ApiError(400, "filter[query] is required", parameter="filter[query]")
        if len(query) > SEARCH_QUERY_MAX:
            raise ApiError(
                400,
                f"filter[query] is longer than {SEARCH_QUERY_MAX} characters",
                parameter="filter[query]",
            )
        result_id = search_id(query)
        hits = self.state.catalog.search(self.name, query)
        size = self.state.config.tidal_page_size
        rel_path = f"/searchResults/{result_id}/relationships/tracks"
        country = [("countryCode", c) for c in [request.arg("countryCode")] if c]
        links: dict[str, Any] = {"self": rel_path}
        if len(hits) > size:
            cursor = _cursor(size)
            links["next"] = f"{rel_path}?{httpx.QueryParams([*country, ('page[cursor]', cursor)])}"
            links["meta"] = {"nextCursor": cursor}
        attributes = {
            "query": query,
            "trackingId": str(uuid.UUID(hashlib.sha256(query.encode()).hexdigest()[:32])),
        }
        resource: dict[str, Any] = {
            "id": result_id,
            "type": "searchResults",
            "attributes": attributes,
        }
        first = [("tracks", t) for t in hits[:size]]
        names = tree.children(())
        if "tracks" in names:
            resource["relationships"] = {
                "tracks": {"data": [self.identifier(n) for n in first], "links": links}
            }
        for name in names:
            if name != "tracks":
                self.relate(resource, name, [], f"/searchResults/{result_id}")
        body: dict[str, Any] = {"data": [resource], "links": {"self": request.path}}
        if tree:
            body["included"] = self.included(tree, {"tracks": first})
        return self.doc(200, body)

    def search_tracks(self, request: SandboxRequest) -> httpx.Response:
        """``GET /searchResults/{id}/relationships/tracks``: ``{id}`` is the opaque
        id ``/searchResults`` handed out, or (as clients of older document
        versions send it) the query itself as one path segment; a "/" in that
        segment, even as ``%2F``, splits the path and answers 404 like the
        real service."""
        tree = self.include_tree(request, "searchResults", ("tracks",))
        query = query_of(request.params["id"])
        hits = self.sorted_by(request, self.state.catalog.search(self.name, query), {})
        data, links = self.paged(
            request, hits, lambda t: {"id": t.ids[self.name], "type": "tracks"}
        )
        return self.listing_doc(tree, data, links, "tracks", self.track_nodes)


SEARCH_QUERY_MAX = 256
"""GET /searchResults ``filter[query]``: maxLength 256."""
SEARCH_OPTIONS = ("albums", "artists", "playlists", "topHits", "tracks", "videos")
"""``include`` options of GET /searchResults ("Available options")."""
_SEARCH_ID_PREFIX = "sr"


def search_id(query: str) -> str:
    """The opaque id of the search results of ``query`` (path-safe, stable)."""
    encoded = base64.urlsafe_b64encode(query.encode()).decode().rstrip("=")
    return _SEARCH_ID_PREFIX + encoded


def query_of(result_id: str) -> str:
    """The query behind a search results id (an id this sandbox handed out, or
    a bare query sent as the id)."""
    if result_id.startswith(_SEARCH_ID_PREFIX):
        raw = result_id[len(_SEARCH_ID_PREFIX) :]
        try:
            return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            pass
    return result_id
