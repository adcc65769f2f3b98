"""TIDAL JSON:API documents: resources, cursor pages, filter and sort checks
(``include`` is in ``tidal_includes``)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from engine.sandbox.catalog import Album, CatalogTrack
from engine.sandbox.state import Playlist, PlaylistItem, SandboxState
from engine.sandbox.wire import ApiError, SandboxRequest, iso, json_response

MEDIA_TYPE = "application/vnd.api+json"


def iso_duration(ms: int) -> str:
    """``PT3M5S`` style duration."""
    minutes, seconds = divmod(ms // 1000, 60)
    return f"PT{minutes}M{seconds}S" if minutes else f"PT{seconds}S"


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("o"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError as exc:
        raise ApiError(400, "Invalid page cursor", parameter="page[cursor]") from exc


class TidalDocuments:
    """Rendering helpers mixed into the API class."""

    name: str
    state: SandboxState

    def _filters(self, request: SandboxRequest, allowed: tuple[str, ...]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, _value in request.query:
            if key.startswith("filter["):
                name = key[7:-1]
                if name not in allowed:
                    raise ApiError(
                        400,
                        f"Unknown filter {key}; available filters: "
                        + ", ".join(f"filter[{a}]" for a in allowed),
                        parameter=key,
                    )
                # array parameters in OpenAPI's default style (form, explode):
                # several values repeat the parameter; a comma is part of a value
                found[name] = [v for k, v in request.query if k == key]
                if len(found[name]) > self.state.config.tidal_filter_max:
                    raise ApiError(
                        400,
                        f"Too many values for {key} (max {self.state.config.tidal_filter_max})",
                        parameter=key,
                    )
        return found

    def track_resource(self, track: CatalogTrack) -> dict[str, Any]:
        """A ``tracks`` resource object (relationships are added per ``include``)."""
        return {
            "id": track.ids[self.name],
            "type": "tracks",
            "attributes": {
                "title": track.title,
                "isrc": track.isrc or "",
                "duration": iso_duration(track.duration_ms),
                "explicit": track.explicit,
                "key": "UNKNOWN",
                "keyScale": "UNKNOWN",
                "mediaTags": ["LOSSLESS"],
                "popularity": 0.5,
                "externalLinks": [],
            },
        }

    def album_resource(self, album: Album) -> dict[str, Any]:
        tracks = [t for i in album.track_ids if (t := self.state.catalog.track(self.name, i))]
        return {
            "id": album.id,
            "type": "albums",
            "attributes": {
                "title": album.title,
                "albumType": "ALBUM",
                "barcodeId": album.upc,
                "duration": iso_duration(sum(t.duration_ms for t in tracks)),
                "explicit": any(t.explicit for t in tracks),
                "mediaTags": [],
                "numberOfItems": len(album.track_ids),
                "numberOfVolumes": 1,
                "popularity": 0.5,
                "releaseDate": album.release_date or "2000-01-01",
            },
        }

    def artist_resource(self, artist: str) -> dict[str, Any]:
        return {
            "id": self.state.catalog_artist_id(self.name, artist),
            "type": "artists",
            "attributes": {"name": artist, "popularity": 0.5},
        }

    def user_resource(self, user_id: str) -> dict[str, Any]:
        user = self.state.user(self.name, user_id)
        return {
            "id": user_id,
            "type": "users",
            "attributes": {
                "username": user_id,
                "country": user.country,
                "developerAccessTier": "THIRD_PARTY",
                "firstName": user.display_name,
            },
        }

    def paged(
        self, request: SandboxRequest, items: list[Any], render: Callable[[Any], dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        size = self.state.config.tidal_page_size
        offset = _offset(request.arg("page[cursor]"))
        chunk = items[offset : offset + size]
        self_query = urlencode(request.query)
        links: dict[str, Any] = {
            "self": f"{request.path}?{self_query}" if request.query else request.path
        }
        if offset + size < len(items):
            cursor = _cursor(offset + size)
            keep = [(k, v) for k, v in request.query if k != "page[cursor]"]
            links["next"] = f"{request.path}?{httpx.QueryParams([*keep, ('page[cursor]', cursor)])}"
            links["meta"] = {"nextCursor": cursor}
        return [render(x) for x in chunk], links

    def doc(self, status: int, body: dict[str, Any]) -> httpx.Response:
        return json_response(status, body, media_type=MEDIA_TYPE)

    def playlist_resource(self, playlist: Playlist) -> dict[str, Any]:
        tracks = [self.state.catalog.track(self.name, i.track_id) for i in playlist.items]
        return {
            "id": playlist.id,
            "type": "playlists",
            "attributes": {
                "name": playlist.name,
                "description": playlist.description,
                "accessType": "PUBLIC" if playlist.public else "UNLISTED",
                "bounded": True,
                "createdAt": iso(playlist.created_at),
                "lastModifiedAt": iso(playlist.modified_at),
                "duration": iso_duration(sum(t.duration_ms for t in tracks if t)),
                "externalLinks": [],
                "numberOfFollowers": len(playlist.followers),
                "numberOfItems": len(playlist.items),
                "playlistType": "USER",
            },
        }

    def item_identifier(self, item: PlaylistItem) -> dict[str, Any]:
        return {
            "id": item.track_id,
            "type": "tracks",
            "meta": {"addedAt": iso(item.added_at), "itemId": item.item_id},
        }

    def sorted_by(
        self, request: SandboxRequest, items: list[Any], keys: dict[str, Callable[[Any], Any]]
    ) -> list[Any]:
        """Apply ``sort=a,-b``; values the endpoint does not document are a 400."""
        values = request.args("sort")
        if not values:
            return items
        if not keys:
            raise ApiError(400, "This endpoint documents no sort values", parameter="sort")
        for value in values:
            if value.lstrip("-") not in keys:
                raise ApiError(
                    400,
                    f"Invalid sort value {value}; available: "
                    + ", ".join(f"{k}, -{k}" for k in keys),
                    parameter="sort",
                )
        for value in reversed(values):  # stable sorts, last key first
            items = sorted(items, key=keys[value.lstrip("-")], reverse=value.startswith("-"))
        return items

    def track_keys(self, track_of: Callable[[Any], CatalogTrack | None]) -> dict[str, Any]:
        """Sort keys over anything that leads to a catalogue track."""

        def field(get: Callable[[CatalogTrack], Any], empty: Any = "") -> Callable[[Any], Any]:
            return lambda x: get(t) if (t := track_of(x)) else empty

        return {
            "title": field(lambda t: t.title.casefold()),
            "albums.title": field(lambda t: t.album.casefold()),
            "artists.name": field(lambda t: t.artists[0].casefold()),
            "duration": field(lambda t: t.duration_ms, 0),
        }
