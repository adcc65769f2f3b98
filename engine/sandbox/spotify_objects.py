"""Spotify Web API objects (track, album, playlist, paging) as the OpenAPI document shapes them."""

from __future__ import annotations

from typing import Any

from engine.sandbox.catalog import CatalogTrack
from engine.sandbox.state import Playlist, PlaylistItem, SandboxState
from engine.sandbox.wire import SandboxRequest, iso


class SpotifyObjects:
    """Rendering helpers mixed into the API class."""

    name: str
    state: SandboxState

    def _api(self, request: SandboxRequest, path: str) -> str:
        return request.base_url + path

    def user_object(self, request: SandboxRequest, user_id: str) -> dict[str, Any]:
        user = self.state.user(self.name, user_id)
        return {
            "display_name": user.display_name,
            "external_urls": {"spotify": f"https://open.spotify.com/user/{user_id}"},
            "href": self._api(request, f"/users/{user_id}"),
            "id": user_id,
            "type": "user",
            "uri": f"spotify:user:{user_id}",
        }

    def album_object(self, request: SandboxRequest, track: CatalogTrack) -> dict[str, Any]:
        album_id = track.album_ids[self.name]
        album = self.state.catalog.album(self.name, album_id)
        date = track.release_date or "2000-01-01"
        return {
            "album_type": "album",
            "total_tracks": len(album.track_ids) if album else 1,
            "available_markets": ["US", "GB", "DE", "FR", "SE"],
            "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"},
            "href": self._api(request, f"/albums/{album_id}"),
            "id": album_id,
            "images": [],
            "name": track.album,
            "release_date": date,
            "release_date_precision": "day" if len(date) == 10 else "year",
            "type": "album",
            "uri": f"spotify:album:{album_id}",
            "artists": self.artist_objects(request, track),
        }

    def artist_objects(self, request: SandboxRequest, track: CatalogTrack) -> list[dict[str, Any]]:
        out = []
        for name in track.artists:
            artist_id = self.state.catalog_artist_id(self.name, name)
            out.append(
                {
                    "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
                    "href": self._api(request, f"/artists/{artist_id}"),
                    "id": artist_id,
                    "name": name,
                    "type": "artist",
                    "uri": f"spotify:artist:{artist_id}",
                }
            )
        return out

    def track_object(self, request: SandboxRequest, track: CatalogTrack) -> dict[str, Any]:
        track_id = track.ids[self.name]
        return {
            "album": self.album_object(request, track),
            "artists": self.artist_objects(request, track),
            "disc_number": 1,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "external_ids": {"isrc": track.isrc} if track.isrc else {},
            "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
            "href": self._api(request, f"/tracks/{track_id}"),
            "id": track_id,
            "is_playable": True,
            "name": track.title,
            "track_number": 1,
            "type": "track",
            "uri": f"spotify:track:{track_id}",
            "is_local": False,
        }

    def item_object(self, request: SandboxRequest, item: PlaylistItem) -> dict[str, Any]:
        track = self.state.catalog.track(self.name, item.track_id)
        obj = self.track_object(request, track) if track else None
        return {
            "added_at": iso(item.added_at),
            "added_by": {
                key: value
                for key, value in self.user_object(request, item.added_by).items()
                if key != "display_name"
            },
            "is_local": False,
            "item": obj,
            "track": obj,
        }

    def playlist_object(
        self, request: SandboxRequest, playlist: Playlist, *, full: bool
    ) -> dict[str, Any]:
        href = self._api(request, f"/playlists/{playlist.id}")
        obj: dict[str, Any] = {
            "collaborative": False,
            "description": playlist.description,
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{playlist.id}"},
            "href": href,
            "id": playlist.id,
            "images": [],
            "name": playlist.name,
            "owner": self.user_object(request, playlist.owner),
            "public": playlist.public,
            "snapshot_id": playlist.snapshot_id,
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist.id}",
        }
        if full:
            page = self.page(
                request,
                playlist.items,
                0,
                100,
                f"/playlists/{playlist.id}/items",
                lambda item: self.item_object(request, item),
            )
            obj["items"] = page
            obj["tracks"] = {**page, "href": href + "/tracks"}
        else:
            ref = {"href": href + "/items", "total": len(playlist.items)}
            obj["items"] = ref
            obj["tracks"] = {"href": href + "/tracks", "total": len(playlist.items)}
        return obj

    def page(
        self,
        request: SandboxRequest,
        items: list[Any],
        offset: int,
        limit: int,
        path: str,
        render: Any,
        extra: str = "",
    ) -> dict[str, Any]:
        total = len(items)
        href = self._api(request, path)

        def link(at: int) -> str:
            return f"{href}?offset={at}&limit={limit}{extra}"

        return {
            "href": link(offset),
            "items": [render(x) for x in items[offset : offset + limit]],
            "limit": limit,
            "next": link(offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": link(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }
