"""Deezer objects (user, track, playlist) and index/limit pages, as recorded responses show them."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from engine.sandbox.catalog import CatalogTrack, derive_id
from engine.sandbox.state import Playlist, SandboxState
from engine.sandbox.wire import ApiError, SandboxRequest

PAGE_DEFAULT = 25


def _no_data() -> ApiError:
    return ApiError(200, "no data", code=800)


def _checksum(playlist: Playlist) -> str:
    ids = ",".join(i.track_id for i in playlist.items)
    return hashlib.md5(ids.encode(), usedforsecurity=False).hexdigest()


def _datetime(timestamp: float) -> str:
    import datetime as _dt

    return _dt.datetime.fromtimestamp(timestamp, tz=_dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class DeezerObjects:
    """Rendering helpers mixed into the API class."""

    name: str
    state: SandboxState

    def numeric_user(self, user_id: str) -> int:
        return int(derive_id("deezer", "user", user_id))

    def user_object(self, user_id: str, *, full: bool = True) -> dict[str, Any]:
        user = self.state.user(self.name, user_id)
        number = self.numeric_user(user_id)
        short = {
            "id": number,
            "name": user.display_name,
            "tracklist": f"https://api.deezer.com/user/{number}/flow",
            "type": "user",
        }
        if not full:
            return short
        return {
            **short,
            "link": f"https://www.deezer.com/profile/{number}",
            "picture": f"https://api.deezer.com/user/{number}/image",
            "country": user.country,
            "lang": "en",
            "is_kid": False,
            "explicit_content_level": "explicit_display",
            "explicit_content_levels_available": ["explicit_display"],
        }

    def track_object(
        self, track: CatalogTrack, *, isrc: bool = True, full: bool = False
    ) -> dict[str, Any]:
        track_id = int(track.ids[self.name])
        artist_id = int(derive_id("deezer", "artist", track.artists[0]))
        album_id = int(track.album_ids[self.name])
        obj: dict[str, Any] = {
            "id": track_id,
            "readable": True,
            "title": track.title,
            "title_short": track.title,
            "title_version": "",
            "link": f"https://www.deezer.com/track/{track_id}",
            "duration": track.duration_ms // 1000,
            "rank": 500000,
            "explicit_lyrics": track.explicit,
            "explicit_content_lyrics": 1 if track.explicit else 0,
            "explicit_content_cover": 0,
            "preview": "",
            "md5_image": "",
            "artist": {
                "id": artist_id,
                "name": track.artists[0],
                "link": f"https://www.deezer.com/artist/{artist_id}",
                "tracklist": f"https://api.deezer.com/artist/{artist_id}/top?limit=50",
                "type": "artist",
            },
            "album": {
                "id": album_id,
                "title": track.album,
                "tracklist": f"https://api.deezer.com/album/{album_id}/tracks",
                "type": "album",
            },
            "type": "track",
        }
        if isrc and track.isrc:
            obj["isrc"] = track.isrc
        if full:
            obj.update(
                {
                    "share": obj["link"],
                    "track_position": 1,
                    "disk_number": 1,
                    "release_date": track.release_date or "2000-01-01",
                    "bpm": 0,
                    "gain": 0,
                    "available_countries": ["US", "GB", "FR", "DE"],
                    "contributors": [
                        {
                            "id": int(derive_id("deezer", "artist", a)),
                            "name": a,
                            "type": "artist",
                            "role": "Main",
                        }
                        for a in track.artists
                    ],
                }
            )
        return obj

    def playlist_object(
        self, request: SandboxRequest, playlist: Playlist, *, full: bool
    ) -> dict[str, Any]:
        number = int(playlist.id)
        tracks = [self.state.catalog.track(self.name, i.track_id) for i in playlist.items]
        obj: dict[str, Any] = {
            "id": number,
            "title": playlist.name,
            "description": playlist.description,
            "duration": sum(t.duration_ms // 1000 for t in tracks if t),
            "public": playlist.public,
            "is_loved_track": False,
            "collaborative": False,
            "nb_tracks": len(playlist.items),
            "fans": len(playlist.followers),
            "link": f"https://www.deezer.com/playlist/{number}",
            "picture": f"https://api.deezer.com/playlist/{number}/image",
            "checksum": _checksum(playlist),
            "tracklist": f"{request.base_url}/playlist/{number}/tracks",
            "creation_date": _datetime(playlist.created_at),
            "creator": self.user_object(playlist.owner, full=False),
            "type": "playlist",
        }
        if full:
            first = [self._item(i) for i in playlist.items[:400]]
            obj["tracks"] = {"data": first, "checksum": _checksum(playlist)}
        return obj

    def _item(self, item: Any) -> dict[str, Any]:
        track = self.state.catalog.track(self.name, item.track_id)
        if track is None:  # pragma: no cover - only catalogue tracks are stored
            raise _no_data()
        return {**self.track_object(track), "time_add": int(item.added_at)}

    def page(
        self,
        request: SandboxRequest,
        items: list[Any],
        path: str,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        index = request.int_arg("index", 0, low=0)
        limit = request.int_arg("limit", PAGE_DEFAULT, low=0)
        if limit == 0:
            limit = PAGE_DEFAULT
        count = limit
        if self.state.config.deezer_short_pages and limit > 1 and (index // limit) % 2 == 1:
            count = limit - 1  # a short page: unreadable tracks dropped
        chunk = items[index : index + count]
        keep = [(k, v) for k, v in request.query if k not in ("index", "access_token")]

        def link(at: int) -> str:
            query = httpx.QueryParams([*keep, ("index", str(at))])
            return f"{request.base_url}{path}?{query}"

        body: dict[str, Any] = {"data": chunk, "total": len(items)}
        body.update(extra or {})
        if index > 0:
            body["prev"] = link(max(0, index - limit))
        if index + len(chunk) < len(items):
            body["next"] = link(index + len(chunk))
        return body
