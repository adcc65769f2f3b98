"""TIDAL API v2 client (JSON:API).

Built to ``tidal/tidal-api-oas.json`` (v1.10.104): every document is
``application/vnd.api+json``; related resources arrive in ``included`` when
named in ``include`` (comma-separated dot paths, as the document's overview
describes); lists page by opaque cursor through ``links.next`` until it is
absent; every mutation carries an ``Idempotency-Key``. Playlist entries are
addressed by their ``meta.itemId`` for removal and moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import polars as pl

from engine.batching import chunks
from engine.errors import PlaylistFullError, ProviderError, UsageError
from engine.http.types import ProviderHttp, ProviderHttpConfig, Retryable
from engine.providers._common import (
    frame_from,
    json_body,
)
from engine.providers.base import (
    AlbumInfo,
    Capabilities,
    PlaylistInfo,
    ProviderDefaults,
    UserInfo,
)
from engine.providers.tidal_documents import (
    index_included,
    related,
    relationship_rows,
    track_row,
)

MEDIA_TYPE = "application/vnd.api+json"

CAPABILITIES = Capabilities(
    # The OAS states no playlist size limit.
    max_playlist_size=None,
    # POST /playlists/{id}/relationships/items: data maxItems 50.
    add_batch_max=50,
    # DELETE /playlists/{id}/relationships/items: data maxItems 50.
    remove_batch_max=50,
    # Cursor pages are sized by the server; there is no page-size parameter.
    page_size_max=20,
    paging="cursor",
    # GET /tracks filter[isrc]: "When multiple ISRCs are provided, one track per ISRC is
    # returned without pagination." No maximum is stated; 20 matches a server page.
    isrc_lookup="batch",
    isrc_batch_max=20,
    # Search pages by cursor like every list; the client stops once it has enough.
    search_limit_max=100,
    # Default429Response "Rate limit exceeded"; no published budget.
    quota="rolling_rate",
    # PATCH /playlists/{id}/relationships/items with meta.positionBefore (data maxItems 20).
    supports_reorder=True,
    supports_saved_albums=True,  # /userCollectionAlbums/{id}/relationships/items
    idempotency_keys=True,  # every mutation accepts Idempotency-Key
)

SEARCH_QUERY_MAX = 256
"""GET /searchResults ``filter[query]``: maxLength 256."""

INCLUDE_REFUSED = "include-refused"
"""Error kind of a 400 that names the ``include`` parameter."""

REORDER_BATCH_MAX = 20
"""PATCH /playlists/{id}/relationships/items: data maxItems 20."""

_FULL_MARKERS = ("limit", "maximum", "too many items", "full")


def check_response(response: httpx.Response) -> None:
    """Map the JSON:API error documents the status alone does not explain (an
    include tree refused, an idempotency key still in flight, a full playlist);
    the stack maps the rest."""
    if response.status_code < 400:
        return
    body = json_body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    first: dict[str, Any] = errors[0] if isinstance(errors, list) and errors else {}
    detail = " ".join(str(first.get(k)) for k in ("code", "detail") if first.get(k))
    source: dict[str, Any] = first.get("source") or {}
    if response.status_code == 400 and (
        source.get("parameter") == "include" or "include" in detail.lower()
    ):
        # "Include paths are validated ... rejected with 400" (OAS overview).
        raise ProviderError(f"include refused: {detail}", provider="tidal", kind=INCLUDE_REFUSED)
    if response.status_code == 409 and "idempotency" in detail.lower():
        # Idempotency409Response: "Request already in progress for this idempotency key".
        raise Retryable(f"tidal: {detail}")
    if (
        response.status_code in (400, 409, 422)
        and "item" in detail.lower()
        and any(m in detail.lower() for m in _FULL_MARKERS)
    ):
        raise PlaylistFullError(detail, provider="tidal")


class Tidal(ProviderDefaults):
    """TIDAL API v2 for one user."""

    name: ClassVar[str] = "tidal"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    default_base_url: ClassVar[str] = "https://openapi.tidal.com/v2"

    def __init__(self, http: ProviderHttp, *, country: str | None = None) -> None:
        self.http = http
        self.country = country
        self._user: UserInfo | None = None
        self._nested_includes = True

    @classmethod
    def http_config(cls, base_url: str | None = None) -> ProviderHttpConfig:
        return ProviderHttpConfig(
            provider=cls.name,
            base_url=base_url or cls.default_base_url,
            auth_style="bearer",
            rate_per_s=5.0,
            burst=5,
            check_response=check_response,
            default_headers={"Accept": MEDIA_TYPE},
        )

    def _country(self) -> str | None:
        return self.country or self.current_user().country

    def _catalogue_params(self) -> dict[str, Any]:
        country = self._country()
        return {"countryCode": country} if country else {}

    def _documents(
        self,
        path: str,
        params: dict[str, Any],
        *,
        cache: bool = False,
        enough: int | None = None,
    ) -> list[dict[str, Any]]:
        """Pages of a cursor-paged document, following ``links.next`` to the end
        (or until ``enough`` primary resources are in hand)."""
        documents = []
        seen = 0
        document = self.http.get_json(path, params, cache=cache)
        while True:
            documents.append(document)
            seen += len(document.get("data") or [])
            next_link = (document.get("links") or {}).get("next")
            if not next_link or (enough is not None and seen >= enough):
                return documents
            document = self.http.get_json(next_link, cache=cache)

    def _track_documents(
        self,
        path: str,
        root: str,
        params: dict[str, Any],
        *,
        cache: bool = False,
        enough: int | None = None,
    ) -> list[dict[str, Any]]:
        """Pages of a relationship whose ``root`` resources are tracks, with
        each track's artists and albums in ``included``.

        Asks for the nested include paths (``items.artists,items.albums``) the
        document's overview allows (and the recorded real responses show), in
        one request per page. The overview also says include trees are bounded
        and "individual endpoints may apply different limits", rejected with
        400: only then is ``root`` asked alone and the tracks completed with
        ``GET /tracks?filter[id]=`` (remembered for this client).
        """
        documents, nested = self._include_documents(
            path, f"{root}.artists,{root}.albums", root, params, cache=cache, enough=enough
        )
        if not nested:
            self._complete_tracks(documents)
        return documents

    def _include_documents(
        self,
        path: str,
        nested: str,
        plain: str,
        params: dict[str, Any],
        *,
        cache: bool = False,
        enough: int | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Pages with ``include=nested`` or, once a server has refused nested
        include paths, with ``include=plain``; and whether ``nested`` was used."""
        if self._nested_includes:
            try:
                documents = self._documents(
                    path, {"include": nested, **params}, cache=cache, enough=enough
                )
                return documents, True
            except ProviderError as exc:
                if exc.kind != INCLUDE_REFUSED:
                    raise
                self._nested_includes = False
        documents = self._documents(path, {"include": plain, **params}, cache=cache, enough=enough)
        return documents, False

    def _complete_tracks(self, documents: list[dict[str, Any]]) -> None:
        """Add artists/albums of every track in ``documents`` to their ``included``."""
        ids = list(
            dict.fromkeys(
                str(d["id"])
                for doc in documents
                for d in doc.get("data") or []
                if d.get("type") == "tracks"
            )
        )
        extra: list[dict[str, Any]] = []
        for batch in chunks(ids, CAPABILITIES.isrc_batch_max):
            params = {"filter[id]": batch, "include": "artists,albums", **self._catalogue_params()}
            for doc in self._documents("/tracks", params, cache=True):
                extra.extend(doc.get("data") or [])
                extra.extend(doc.get("included") or [])
        for doc in documents:
            doc["included"] = [*(doc.get("included") or []), *extra]

    def _write(self, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"Content-Type": MEDIA_TYPE, "Idempotency-Key": str(uuid.uuid4())}
        return self.http.send(method, path, json=body, headers=headers)

    # -- reads ----------------------------------------------------------------------
    def current_user(self) -> UserInfo:
        if self._user is None:
            data = self.http.get_json("/users/me")["data"]
            attrs = data.get("attributes") or {}
            self._user = UserInfo(
                id=str(data["id"]), display_name=attrs.get("username"), country=attrs.get("country")
            )
        return self._user

    def _owner_of(self, resource: dict[str, Any], owned: bool) -> str | None:
        """The owner from ``relationships.owners.data`` when the document carries
        it, else the user's id when this client already knows it; never a
        ``GET /users/me`` of its own (creating a playlist would cost one more
        request than the API needs)."""
        owners = ((resource.get("relationships") or {}).get("owners") or {}).get("data")
        if owners:
            return str(owners[0].get("id"))
        if owned and self._user is not None:
            return self._user.id
        return None

    def _playlist_info(self, resource: dict[str, Any], owned: bool) -> PlaylistInfo:
        attrs = resource.get("attributes") or {}
        links = [x.get("href") for x in attrs.get("externalLinks") or [] if x.get("href")]
        return PlaylistInfo(
            id=str(resource["id"]),
            name=attrs.get("name") or "",
            owner_id=self._owner_of(resource, owned),
            track_count=attrs.get("numberOfItems"),
            description=attrs.get("description") or None,
            owned=owned,
            version=attrs.get("lastModifiedAt"),
            url=links[0] if links else None,
        )

    def playlists(self) -> list[PlaylistInfo]:
        """Owned playlists (``filter[owners.id]=me``), then followed ones from the
        user's playlist collection; followed playlists the collection page does
        not embed are read with ``GET /playlists?filter[id]=``."""
        found: dict[str, PlaylistInfo] = {}
        for doc in self._documents("/playlists", {"filter[owners.id]": "me"}):
            for resource in doc.get("data") or []:
                found[str(resource["id"])] = self._playlist_info(resource, owned=True)
        followed: dict[str, dict[str, Any] | None] = {}
        path = "/userCollectionPlaylists/me/relationships/items"
        for doc in self._documents(path, {"include": "items"}):
            index = index_included(doc.get("included"))
            for ident in doc.get("data") or []:
                key = str(ident.get("id"))
                if key not in found:
                    followed[key] = index.get(("playlists", key))
        missing = [key for key, resource in followed.items() if resource is None]
        for batch in chunks(missing, CAPABILITIES.page_size_max):
            for doc in self._documents("/playlists", {"filter[id]": batch}):
                for resource in doc.get("data") or []:
                    followed[str(resource["id"])] = resource
        for key, resource in followed.items():
            if resource is not None:
                found[key] = self._playlist_info(resource, owned=False)
        return list(found.values())

    def _relationship_frame(self, path: str, params: dict[str, Any]) -> pl.DataFrame:
        rows: list[dict[str, Any]] = []
        for doc in self._track_documents(path, "items", params):
            rows.extend(relationship_rows(doc, start=len(rows)))
        for position, row in enumerate(rows):
            row["position"] = position
        return frame_from(rows)

    def playlist_items(self, playlist_id: str) -> pl.DataFrame:
        path = f"/playlists/{playlist_id}/relationships/items"
        frame = self._relationship_frame(path, self._catalogue_params())
        return frame.with_columns(pl.lit(playlist_id).alias("playlist"))

    def liked_tracks(self) -> pl.DataFrame:
        path = "/userCollectionTracks/me/relationships/items"
        return self._relationship_frame(path, {})

    def save_liked(self, track_ids: Sequence[str]) -> None:
        """``POST /userCollectionTracks/me/relationships/items`` (the liked tracks)."""
        path = "/userCollectionTracks/me/relationships/items"
        for batch in chunks([str(t) for t in track_ids], CAPABILITIES.add_batch_max):
            self._write("POST", path, {"data": [{"id": t, "type": "tracks"} for t in batch]})

    def remove_liked(self, track_ids: Sequence[str]) -> None:
        """``DELETE /userCollectionTracks/me/relationships/items``."""
        path = "/userCollectionTracks/me/relationships/items"
        for batch in chunks([str(t) for t in track_ids], CAPABILITIES.remove_batch_max):
            self._write("DELETE", path, {"data": [{"id": t, "type": "tracks"} for t in batch]})

    def saved_albums(self) -> list[AlbumInfo]:
        path = "/userCollectionAlbums/me/relationships/items"
        albums = []
        documents, _ = self._include_documents(path, "items.artists", "items", {})
        for doc in documents:
            index = index_included(doc.get("included"))
            for ident in doc.get("data") or []:
                album = index.get(("albums", str(ident.get("id"))))
                if album is None:
                    continue
                attrs = album.get("attributes") or {}
                artists = related(album, "artists", index)
                albums.append(
                    AlbumInfo(
                        id=str(album["id"]),
                        title=attrs.get("title") or "",
                        artists=tuple(
                            str((a.get("attributes") or {}).get("name") or "") for a in artists
                        ),
                        upc=attrs.get("barcodeId"),
                        release_date=attrs.get("releaseDate"),
                        track_count=attrs.get("numberOfItems"),
                    )
                )
        return albums

    def find_albums(
        self, *, upc: str | None = None, title: str | None = None, artist: str | None = None
    ) -> list[AlbumInfo]:
        """Catalogue albums by barcode (``GET /albums?filter[barcodeId]=..``).
        A text search of albums (``searchResults/{q}/relationships/albums``) is not
        used yet: without a barcode nothing is found."""
        if not upc:
            return []
        params = {"filter[barcodeId]": [upc], **self._catalogue_params()}
        albums = []
        for doc in self._documents("/albums", params):
            for album in doc.get("data") or []:
                attrs = album.get("attributes") or {}
                albums.append(
                    AlbumInfo(
                        id=str(album["id"]),
                        title=attrs.get("title") or "",
                        upc=attrs.get("barcodeId"),
                        release_date=attrs.get("releaseDate"),
                        track_count=attrs.get("numberOfItems"),
                    )
                )
        return albums

    def save_albums(self, album_ids: Sequence[str]) -> None:
        """``POST /userCollectionAlbums/me/relationships/items``."""
        path = "/userCollectionAlbums/me/relationships/items"
        for batch in chunks([str(a) for a in album_ids], CAPABILITIES.add_batch_max):
            self._write("POST", path, {"data": [{"id": a, "type": "albums"} for a in batch]})

    def lookup_isrcs(self, isrcs: Sequence[str]) -> pl.DataFrame:
        """``GET /tracks?filter[isrc]=..`` with up to ``isrc_batch_max`` ISRCs per call."""
        wanted = list(dict.fromkeys(i.strip().upper() for i in isrcs if i and i.strip()))
        rows = []
        for batch in chunks(wanted, CAPABILITIES.isrc_batch_max):
            params = {
                "filter[isrc]": batch,
                "include": "artists,albums",
                **self._catalogue_params(),
            }
            # A single ISRC may page (several tracks); several ISRCs never do.
            for doc in self._documents("/tracks", params, cache=True):
                index = index_included(doc.get("included"))
                for track in doc.get("data") or []:
                    isrc = ((track.get("attributes") or {}).get("isrc") or "").upper()
                    rows.append(track_row(track, index, lookup_isrc=isrc or None))
        return frame_from(rows)

    def get_track(self, track_id: str) -> pl.DataFrame:
        """``GET /tracks?filter[id]=..`` with its artists and albums: the track
        as one row, or an empty frame when TIDAL does not know it."""
        params = {"filter[id]": [track_id], "include": "artists,albums", **self._catalogue_params()}
        rows: list[dict[str, Any]] = []
        for doc in self._documents("/tracks", params, cache=True):
            index = index_included(doc.get("included"))
            rows.extend(
                track_row(track, index)
                for track in doc.get("data") or []
                if str(track.get("id")) == track_id
            )
        return frame_from(rows[:1])

    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame:
        """``GET /searchResults?filter[query]=..`` with the tracks (and their
        artists and albums) included, then the tracks relationship's
        ``links.next`` until ``limit`` tracks are in hand.

        The query travels as a query parameter, never as a path segment: in the
        document the ``{id}`` of ``/searchResults/{id}/relationships/tracks`` is
        "an opaque search results identifier" (one the server hands out), while
        ``filter[query]`` is the "Search query" (maxLength 256). A title with a
        "/" ("AC/DC") is therefore an ordinary query.
        """
        text = " ".join(query.split())[:SEARCH_QUERY_MAX]
        if not text:
            raise UsageError("search query is empty")
        limit = max(1, limit)
        params = {"filter[query]": text, **self._catalogue_params()}
        documents, nested = self._include_documents(
            "/searchResults", "tracks.artists,tracks.albums", "tracks", params, cache=True
        )
        pages: list[dict[str, Any]] = []
        for doc in documents:
            for result in doc.get("data") or []:
                tracks = (result.get("relationships") or {}).get("tracks") or {}
                pages.append(
                    {
                        "data": tracks.get("data") or [],
                        "included": doc.get("included") or [],
                        "links": tracks.get("links") or {},
                    }
                )
        seen = sum(len(page["data"]) for page in pages)
        next_link = (pages[-1]["links"].get("next") if pages else None) if seen < limit else None
        if next_link:
            pages.extend(
                self._track_documents(next_link, "tracks", {}, cache=True, enough=limit - seen)
            )
        if not nested:
            self._complete_tracks(pages)
        rows: list[dict[str, Any]] = []
        for page in pages:
            rows.extend(relationship_rows(page, start=len(rows)))
        return frame_from(rows[:limit])

    # -- writes ---------------------------------------------------------------------
    def create_playlist(
        self, name: str, description: str = "", public: bool = False
    ) -> PlaylistInfo:
        access = "PUBLIC" if public else "UNLISTED"
        attributes: dict[str, Any] = {"name": name, "accessType": access}
        if description:
            attributes["description"] = description
        body = {"data": {"type": "playlists", "attributes": attributes}}
        created = self._write("POST", "/playlists", body).json()["data"]
        return self._playlist_info(created, owned=True)

    def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        path = f"/playlists/{playlist_id}/relationships/items"
        for batch in chunks([str(t) for t in track_ids], CAPABILITIES.add_batch_max):
            self._write("POST", path, {"data": [{"id": t, "type": "tracks"} for t in batch]})

    def _entries(self, playlist_id: str) -> list[tuple[str, str]]:
        """(track id, item id) of every entry, in order."""
        path = f"/playlists/{playlist_id}/relationships/items"
        return [
            (str(ident["id"]), str((ident.get("meta") or {}).get("itemId")))
            for doc in self._documents(path, {})
            for ident in doc.get("data") or []
        ]

    def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Remove every entry of these tracks (entries are addressed by item id)."""
        wanted = {str(t) for t in track_ids}
        data = [
            {"id": track, "type": "tracks", "meta": {"itemId": item}}
            for track, item in self._entries(playlist_id)
            if track in wanted
        ]
        path = f"/playlists/{playlist_id}/relationships/items"
        for batch in chunks(data, CAPABILITIES.remove_batch_max):
            self._write("DELETE", path, {"data": batch})

    def arrange(self, playlist_id: str, current: Sequence[str], wanted: Sequence[str]) -> int:
        """One read of the entries (their item ids), then one PATCH per moved
        entry, each before its successor in ``wanted`` (last first, simulated
        locally); the last entry, if moved, gets the entries after it moved in
        front of it instead (there is no entry to go before)."""
        from engine.diff import longest_increasing

        if sorted(current) != sorted(wanted) or len(set(wanted)) != len(wanted):
            raise ValueError("arrange needs the same ids, once each, on both sides")
        if list(current) == list(wanted):
            return 0
        entries = self._entries(playlist_id)
        item_of = dict(entries)
        order = [track for track, _ in entries]
        path = f"/playlists/{playlist_id}/relationships/items"

        def patch(tracks: list[str], before: str) -> None:
            for batch in chunks(tracks, REORDER_BATCH_MAX):
                body = {
                    "data": [
                        {"id": t, "type": "tracks", "meta": {"itemId": item_of[t]}} for t in batch
                    ],
                    "meta": {"positionBefore": item_of[before]},
                }
                self._write("PATCH", path, body)

        moves = 0
        last = wanted[-1]
        if order[-1] != last:
            after = order[order.index(last) + 1 :]
            patch(after, last)
            order = [t for t in order if t not in set(after)]
            at = order.index(last)
            order[at:at] = after
            moves += 1
        position = {track: i for i, track in enumerate(wanted)}
        stay = {order[i] for i in longest_increasing([position[t] for t in order])}
        for index in range(len(wanted) - 2, -1, -1):
            track, successor = wanted[index], wanted[index + 1]
            if track in stay:
                continue
            at = order.index(track)
            if at + 1 < len(order) and order[at + 1] == successor:
                continue
            patch([track], successor)
            order.pop(at)
            order.insert(order.index(successor), track)
            moves += 1
        return moves

    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None:
        """Move entries before another entry (``meta.positionBefore`` = its item id).

        Moving to the very end has no entry to go before, so the entries after
        the range are moved in front of it instead: the same final order.
        """
        entries = self._entries(playlist_id)
        count = len(entries)
        if range_start < 0 or range_length < 1 or range_start + range_length > count:
            raise UsageError(f"reorder range {range_start}+{range_length} is outside the playlist")
        if not 0 <= insert_before <= count:
            raise UsageError(f"insert_before {insert_before} is outside the playlist")
        if range_start <= insert_before <= range_start + range_length:
            return  # already in place
        if insert_before == count:
            moved, before = entries[range_start + range_length :], entries[range_start]
        else:
            moved = entries[range_start : range_start + range_length]
            before = entries[insert_before]
        path = f"/playlists/{playlist_id}/relationships/items"
        for batch in chunks(moved, REORDER_BATCH_MAX):
            body = {
                "data": [{"id": t, "type": "tracks", "meta": {"itemId": i}} for t, i in batch],
                "meta": {"positionBefore": before[1]},
            }
            self._write("PATCH", path, body)
