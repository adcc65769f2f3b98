"""Spotify Web API client.

Built to ``official-spotify-open-api.yml`` (2026 form: ``/playlists/{id}/items``,
``POST /me/playlists``, the ``item`` field of a playlist entry) and, with
``api_form="pre-2026"``, to ``pre-2026-02/official-spotify-open-api.yml``
(``/playlists/{id}/tracks``, ``POST /users/{user_id}/playlists``, ``track``).
Payloads of either form are read whichever form sent the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import httpx
import polars as pl

from engine.batching import chunks
from engine.errors import NotFoundError, PlaylistFullError, ProviderError, UsageError
from engine.http.types import ProviderHttp, ProviderHttpConfig
from engine.providers._common import (
    append_batches,
    frame_from,
    json_body,
    tail_check,
)
from engine.providers.base import (
    AlbumInfo,
    Capabilities,
    PlaylistInfo,
    ProviderDefaults,
    UserInfo,
    album_filter_query,
    field_value,
    free_text_query,
)

ApiForm = Literal["2026", "pre-2026"]

CAPABILITIES = Capabilities(
    # Not in the OpenAPI document; Spotify's published per-playlist limit of
    # 10,000 items (also quoted by community clients, e.g. rimutaka/spotify-play-all-saved-albums).
    max_playlist_size=10_000,
    # POST /playlists/{id}/items, body `uris`: "A maximum of 100 items can be added in one request."
    add_batch_max=100,
    # DELETE /playlists/{id}/items, body `items`: "A maximum of 100 objects can be sent at once."
    remove_batch_max=100,
    # components.parameters.QueryLimit: "Maximum: 50" (playlists, items, saved tracks/albums).
    page_size_max=50,
    paging="offset",
    # GET /search `q`: "The `isrc` and `track` filters can be used while searching tracks";
    # no batch form exists, so one search per ISRC.
    isrc_lookup="search",
    isrc_batch_max=1,
    # GET /search `limit`: maximum 10 in the 2026 document (50 before, see SEARCH_LIMIT_MAX).
    search_limit_max=10,
    # Rolling 30-second window, signalled by 429 + Retry-After
    # (components.responses.TooManyRequests).
    quota="rolling_rate",
    supports_reorder=True,  # PUT /playlists/{id}/items with range_start/insert_before
    supports_saved_albums=True,  # GET /me/albums
)

SEARCH_LIMIT_MAX: dict[ApiForm, int] = {"2026": 10, "pre-2026": 50}
"""GET /search `limit` maximum in each document."""

_FULL_MARKERS = ("playlist size limit", "maximum number of tracks", "too many items")


LIBRARY_URIS_MAX = 40
"""``/me/library``: at most 40 URIs a request (the 2026 reference)."""
LIBRARY_IDS_MAX_PRE_2026 = 50
"""``/me/tracks`` (pre-2026 reference): at most 50 ids a request."""


def check_response(response: httpx.Response) -> None:
    """Spot the errors the status alone does not tell: a full playlist (400 with
    Spotify's error object ``{"error": {"status", "message"}}``). Everything else
    is mapped from the status by the HTTP stack."""
    if response.status_code < 400:
        return
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    message = ""
    if isinstance(error, dict):
        message = str(error.get("message") or "")
    elif isinstance(error, str):  # the accounts service answers {"error": "invalid_client"}
        message = str(body.get("error_description") or error)
    if response.status_code in (400, 403) and any(m in message.lower() for m in _FULL_MARKERS):
        raise PlaylistFullError(message, provider="spotify")


def _track_uri(track_id: str) -> str:
    return track_id if track_id.startswith("spotify:") else f"spotify:track:{track_id}"


def track_row(track: dict[str, Any], **extras: Any) -> dict[str, Any]:
    """One canonical row from a Spotify TrackObject."""
    album = track.get("album") or {}
    more = {k: v for k, v in extras.items() if v is not None}
    if track.get("uri"):
        more["uri"] = track["uri"]
    if track.get("is_local"):
        more["is_local"] = "true"
    return {
        "title": track.get("name"),
        "artists": [a.get("name") for a in track.get("artists") or [] if a.get("name")],
        "album": album.get("name"),
        "duration_ms": track.get("duration_ms"),
        "isrc": ((track.get("external_ids") or {}).get("isrc") or None),
        "explicit": track.get("explicit"),
        "release_date": album.get("release_date"),
        "provider": "spotify",
        "provider_id": track.get("id"),
        "url": (track.get("external_urls") or {}).get("spotify"),
        "extras": more,
    }


def playlist_entry_rows(page: dict[str, Any], start: int = 0) -> list[dict[str, Any]]:
    """Rows of one page of playlist entries, reading ``item`` (2026) or ``track`` (earlier).

    Entries whose item is null or not a track (episodes) are skipped; ``position``
    keeps the entry's place in the playlist.
    """
    rows = []
    for offset, entry in enumerate(page.get("items") or []):
        item = entry.get("item") or entry.get("track")
        if not item or item.get("type", "track") != "track":
            continue
        row = track_row(item, added_at=entry.get("added_at"))
        row["position"] = start + offset
        rows.append(row)
    return rows


class Spotify(ProviderDefaults):
    """Spotify Web API for one user."""

    name: ClassVar[str] = "spotify"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    default_base_url: ClassVar[str] = "https://api.spotify.com/v1"

    def __init__(
        self, http: ProviderHttp, *, market: str | None = None, api_form: ApiForm = "2026"
    ) -> None:
        self.http = http
        self.market = market
        self.api_form = api_form
        self._user: UserInfo | None = None

    @classmethod
    def http_config(cls, base_url: str | None = None) -> ProviderHttpConfig:
        # Spotify does not publish a number; a rolling 30 s window. 10/s keeps
        # bulk jobs clear of it while the stack still honours Retry-After.
        return ProviderHttpConfig(
            provider=cls.name,
            base_url=base_url or cls.default_base_url,
            auth_style="bearer",
            rate_per_s=10.0,
            burst=10,
            check_response=check_response,
        )

    # -- paths that differ between the two documents --------------------------------
    def _items_path(self, playlist_id: str) -> str:
        leaf = "items" if self.api_form == "2026" else "tracks"
        return f"/playlists/{playlist_id}/{leaf}"

    def _market(self) -> dict[str, str]:
        return {"market": self.market} if self.market else {}

    def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of an offset-paged list, following ``next``. Library data
        changes under us, so it is never served from the cache."""
        pages = []
        page = self.http.get_json(path, params, cache=False)
        while True:
            pages.append(page)
            next_url = page.get("next")
            if not next_url:
                return pages
            page = self.http.get_json(next_url, cache=False)

    # -- reads ----------------------------------------------------------------------
    def current_user(self) -> UserInfo:
        if self._user is None:
            me = self.http.get_json("/me")
            self._user = UserInfo(
                id=str(me["id"]), display_name=me.get("display_name"), country=me.get("country")
            )
        return self._user

    def playlists(self) -> list[PlaylistInfo]:
        me = self.current_user().id
        result = []
        for page in self._pages("/me/playlists", {"limit": CAPABILITIES.page_size_max}):
            for item in page.get("items") or []:
                if not item:
                    continue
                owner = (item.get("owner") or {}).get("id")
                ref = item.get("items") or item.get("tracks") or {}
                result.append(
                    PlaylistInfo(
                        id=item["id"],
                        name=item.get("name") or "",
                        owner_id=owner,
                        track_count=ref.get("total"),
                        description=item.get("description") or None,
                        owned=owner == me,
                        version=item.get("snapshot_id"),
                        url=(item.get("external_urls") or {}).get("spotify"),
                    )
                )
        return result

    def playlist_items(self, playlist_id: str) -> pl.DataFrame:
        """Entries in order. In the 2026 API only playlists the user owns or
        collaborates on can be read; others answer 403, reported as such."""
        params = {"limit": CAPABILITIES.page_size_max, **self._market()}
        rows: list[dict[str, Any]] = []
        try:
            pages = self._pages(self._items_path(playlist_id), params)
        except ProviderError as exc:
            if exc.kind != "forbidden":
                raise
            raise ProviderError(
                f"playlist {playlist_id} cannot be read: Spotify only lists the items of "
                "playlists the user owns or collaborates on",
                provider="spotify",
                kind="forbidden",
            ) from exc
        for page in pages:
            rows.extend(playlist_entry_rows(page, start=int(page.get("offset") or 0)))
        return frame_from(rows).with_columns(pl.lit(playlist_id).alias("playlist"))

    def liked_tracks(self) -> pl.DataFrame:
        params = {"limit": CAPABILITIES.page_size_max, **self._market()}
        rows = [
            track_row(saved["track"], added_at=saved.get("added_at"))
            for page in self._pages("/me/tracks", params)
            for saved in page.get("items") or []
            if saved.get("track")
        ]
        return frame_from(rows)

    def save_liked(self, track_ids: Sequence[str]) -> None:
        """Save tracks to the liked library: ``PUT /me/library?uris=`` (40 a
        request; ``PUT /me/tracks`` is deprecated), or ``PUT /me/tracks`` (50)
        on the pre-2026 API."""
        self._library("PUT", [_track_uri(t) for t in track_ids], track_ids)

    def remove_liked(self, track_ids: Sequence[str]) -> None:
        """Remove tracks from the liked library (``DELETE /me/library``)."""
        self._library("DELETE", [_track_uri(t) for t in track_ids], track_ids)

    def _library(self, method: str, uris: list[str], ids: Sequence[str]) -> None:
        if self.api_form == "2026":
            for batch in chunks(uris, LIBRARY_URIS_MAX):
                self.http.send(method, "/me/library", params={"uris": ",".join(batch)})
            return
        for batch in chunks([str(i) for i in ids], LIBRARY_IDS_MAX_PRE_2026):
            self.http.send(method, "/me/tracks", json={"ids": batch})

    def saved_albums(self) -> list[AlbumInfo]:
        params = {"limit": CAPABILITIES.page_size_max, **self._market()}
        albums = []
        for page in self._pages("/me/albums", params):
            for saved in page.get("items") or []:
                album = saved.get("album") or {}
                albums.append(
                    AlbumInfo(
                        id=album["id"],
                        title=album.get("name") or "",
                        artists=tuple(a["name"] for a in album.get("artists") or []),
                        upc=(album.get("external_ids") or {}).get("upc"),
                        release_date=album.get("release_date"),
                        track_count=album.get("total_tracks"),
                    )
                )
        return albums

    def find_albums(
        self, *, upc: str | None = None, title: str | None = None, artist: str | None = None
    ) -> list[AlbumInfo]:
        """Catalogue albums by barcode (``q=upc:..``, an albums-only filter) or
        by ``album:``/``artist:`` text, as ``GET /search?type=album`` ranks them."""
        if upc:
            query = f"upc:{upc}"
        elif title:
            query = f'album:"{title}"' + (f' artist:"{artist}"' if artist else "")
        else:
            return []
        params = {"q": query, "type": "album", "limit": 10, **self._market()}
        body = self.http.get_json("/search", params)
        return [
            AlbumInfo(
                id=str(album["id"]),
                title=album.get("name") or "",
                artists=tuple(a["name"] for a in album.get("artists") or []),
                upc=upc,
                release_date=album.get("release_date"),
                track_count=album.get("total_tracks"),
            )
            for album in (body.get("albums") or {}).get("items") or []
            if album
        ]

    def save_albums(self, album_ids: Sequence[str]) -> None:
        """``PUT /me/library?uris=spotify:album:..`` (``PUT /me/albums`` is deprecated)."""
        uris = [f"spotify:album:{a}" for a in album_ids]
        for batch in chunks(uris, LIBRARY_URIS_MAX):
            self.http.send("PUT", "/me/library", params={"uris": ",".join(batch)})

    def _search(self, query: str, limit: int) -> list[dict[str, Any]]:
        params = {"q": query, "type": "track", "limit": limit, **self._market()}
        body = self.http.get_json("/search", params)
        return list((body.get("tracks") or {}).get("items") or [])

    def lookup_isrcs(self, isrcs: Sequence[str]) -> pl.DataFrame:
        """One ``isrc:`` search per distinct ISRC; every catalogue track found is kept."""
        rows = []
        # The 2026 maximum: enough for one recording, and valid in both forms.
        limit = SEARCH_LIMIT_MAX["2026"]
        for isrc in dict.fromkeys(i.strip().upper() for i in isrcs if i and i.strip()):
            for track in self._search(f"isrc:{isrc}", limit):
                found = ((track.get("external_ids") or {}).get("isrc") or "").upper()
                if found == isrc:
                    rows.append(track_row(track, lookup_isrc=isrc))
        return frame_from(rows)

    def ladder_query(self, rung: str, *, title: str, artist: str, album: str) -> str | None:
        """Field filters for the ``fielded`` and ``album`` rungs; free text otherwise."""
        # GET /search `q`: "You can narrow down your search using field filters ...
        # The `isrc` and `track` filters can be used while searching tracks", `artist`
        # and `album` too (official-spotify-open-api.yml).
        if rung == "fielded" and title:
            parts = [f"track:{field_value(title)}"]
            if artist:
                parts.append(f"artist:{field_value(artist)}")
            return " ".join(parts)
        if rung == "album" and album:
            return album_filter_query(artist=artist, album=album)
        return free_text_query(rung, title=title, artist=artist, album=album)

    def get_track(self, track_id: str) -> pl.DataFrame:
        """``GET /tracks/{id}``: the track as one row, or an empty frame when
        Spotify does not know it."""
        try:
            track = self.http.get_json(f"/tracks/{quote(track_id, safe='')}", self._market())
        except NotFoundError:
            return frame_from([])
        return frame_from([track_row(track)] if track and track.get("id") else [])

    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame:
        if not query.strip():
            raise UsageError("search query is empty")
        limit = max(1, min(limit, SEARCH_LIMIT_MAX[self.api_form]))
        return frame_from([track_row(t) for t in self._search(query, limit) if t])

    # -- writes ---------------------------------------------------------------------
    def create_playlist(
        self, name: str, description: str = "", public: bool = False
    ) -> PlaylistInfo:
        body: dict[str, Any] = {"name": name, "public": public}
        if description:
            body["description"] = description
        if self.api_form == "2026":
            path = "/me/playlists"
        else:
            path = f"/users/{self.current_user().id}/playlists"
        created = self.http.send("POST", path, json=body).json()
        return PlaylistInfo(
            id=created["id"],
            name=created.get("name") or name,
            owner_id=(created.get("owner") or {}).get("id"),
            track_count=0,
            description=created.get("description") or None,
            owned=True,
            version=created.get("snapshot_id"),
            url=(created.get("external_urls") or {}).get("spotify"),
        )

    def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Append in order, 100 URIs per request; a batch whose fate a failure
        left unknown is checked against the playlist's tail before resending."""
        path = self._items_path(playlist_id)

        def send(batch: list[str]) -> None:
            self.http.send("POST", path, json={"uris": batch})

        batches = chunks([_track_uri(t) for t in track_ids], CAPABILITIES.add_batch_max)
        append_batches(batches, send, tail_check(lambda n: self._tail_uris(playlist_id, n)))

    def _tail_uris(self, playlist_id: str, count: int) -> list[str]:
        """URIs of the last ``count`` entries of a playlist."""
        path = self._items_path(playlist_id)
        total = int(self.http.get_json(path, {"limit": 1}, cache=False).get("total") or 0)
        params = {"offset": max(0, total - count), "limit": CAPABILITIES.page_size_max}
        uris = []
        for page in self._pages(path, params):
            for entry in page.get("items") or []:
                item = entry.get("item") or entry.get("track") or {}
                uris.append(str(item.get("uri")))
        return uris[-count:]

    def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Remove every occurrence of these tracks."""
        key = "items" if self.api_form == "2026" else "tracks"
        uris = list(dict.fromkeys(_track_uri(t) for t in track_ids))
        for batch in chunks(uris, CAPABILITIES.remove_batch_max):
            body = {key: [{"uri": uri} for uri in batch]}
            self.http.send("DELETE", self._items_path(playlist_id), json=body)

    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None:
        if min(range_start, insert_before) < 0 or range_length < 1:
            raise UsageError("reorder positions must be >= 0 and range_length >= 1")
        body = {
            "range_start": range_start,
            "insert_before": insert_before,
            "range_length": range_length,
        }
        self.http.send("PUT", self._items_path(playlist_id), json=body)
