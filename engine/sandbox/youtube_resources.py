"""YouTube Data API resources (video, playlist, playlistItem, list pages) as in the
discovery schemas."""

from __future__ import annotations

import base64
import json
from typing import Any

from engine.sandbox.catalog import CatalogTrack, derive_id
from engine.sandbox.state import Playlist, PlaylistItem, SandboxState
from engine.sandbox.wire import ApiError, SandboxRequest, iso

PAGE_MAX = 50


_PARTS = {
    "playlists": {"contentDetails", "id", "localizations", "player", "snippet", "status"},
    "playlistItems": {"contentDetails", "id", "snippet", "status"},
    "search": {"id", "snippet"},
    "videos": {
        "contentDetails",
        "id",
        "snippet",
        "status",
        "statistics",
        "player",
        "topicDetails",
        "recordingDetails",
        "fileDetails",
        "processingDetails",
        "suggestions",
        "liveStreamingDetails",
        "localizations",
        "paidProductPlacementDetails",
    },
    "channels": {
        "auditDetails",
        "brandingSettings",
        "contentDetails",
        "contentOwnerDetails",
        "id",
        "localizations",
        "snippet",
        "statistics",
        "status",
        "topicDetails",
    },
}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"CA{offset}QAA".encode()).decode().rstrip("=")


def _from_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(raw[2:-3])
    except ValueError as exc:
        raise ApiError(
            400, "Invalid value for pageToken.", reason="invalidPageToken", parameter="pageToken"
        ) from exc


class YoutubeResources:
    """Rendering helpers mixed into the API class."""

    name: str
    state: SandboxState

    def parts(self, request: SandboxRequest, resource: str) -> set[str]:
        parts = set(request.args("part"))
        if not parts:
            raise ApiError(
                400,
                "No filter selected. Expected one of: part",
                reason="required",
                parameter="part",
            )
        bad = parts - _PARTS[resource]
        if bad:
            raise ApiError(400, f"'{sorted(bad)[0]}'", reason="unknownPart", parameter="part")
        return parts

    def channel_id(self, user_id: str) -> str:
        return "UC" + derive_id("youtube", "channel", user_id) + derive_id("youtube", "c2", user_id)

    def list_body(
        self,
        request: SandboxRequest,
        kind: str,
        items: list[Any],
        render: Any,
        *,
        low: int = 0,
        whole: bool = False,
    ) -> dict[str, Any]:
        """One page of ``items``; ``whole`` answers them all at once (a list by
        ``id``, where ``maxResults`` "is not supported")."""
        if whole:
            limit, offset = len(items), 0
        else:
            limit = request.int_arg("maxResults", 5, low=low, high=PAGE_MAX)
            offset = _from_token(request.arg("pageToken"))
        chunk = items[offset : offset + limit]
        rendered = [render(x) for x in chunk]
        body: dict[str, Any] = {
            "kind": f"youtube#{kind}ListResponse",
            "etag": "",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": limit},
            "items": rendered,
        }
        if offset + limit < len(items) and limit > 0:
            body["nextPageToken"] = _token(offset + limit)
        if offset > 0:
            body["prevPageToken"] = _token(max(0, offset - limit))
        # the list's etag changes exactly when what it lists changes
        body["etag"] = derive_id("youtube", "etag", json.dumps(body, sort_keys=True))
        return body

    def video_resource(self, track: CatalogTrack, parts: set[str]) -> dict[str, Any]:
        video_id = track.ids[self.name]
        artist = track.artists[0]
        obj: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": derive_id("youtube", "e", video_id),
            "id": video_id,
        }
        if "snippet" in parts:
            obj["snippet"] = {
                "publishedAt": f"{track.release_date or '2000-01-01'}T00:00:00Z"
                if len(track.release_date or "") == 10
                else "2000-01-01T00:00:00Z",
                "channelId": self.channel_id("artist:" + artist),
                "title": f"{', '.join(track.artists)} - {track.title}",
                "description": f"Provided to YouTube by Sandbox\n\n{track.title} · {artist}\n\n"
                f"{track.album}",
                "channelTitle": f"{artist} - Topic",
                "categoryId": "10",
                "thumbnails": {},
            }
        if "contentDetails" in parts:
            minutes, seconds = divmod(track.duration_ms // 1000, 60)
            obj["contentDetails"] = {
                "duration": f"PT{minutes}M{seconds}S",
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": True,
                "projection": "rectangular",
            }
        return obj

    def playlist_resource(self, playlist: Playlist, parts: set[str]) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "kind": "youtube#playlist",
            "etag": derive_id("youtube", "e", playlist.id, playlist.version),
            "id": playlist.id,
        }
        user = self.state.user(self.name, playlist.owner)
        if "snippet" in parts:
            obj["snippet"] = {
                "publishedAt": iso(playlist.created_at),
                "channelId": self.channel_id(playlist.owner),
                "title": playlist.name,
                "description": playlist.description,
                "thumbnails": {},
                "channelTitle": user.display_name,
            }
        if "status" in parts:
            obj["status"] = {"privacyStatus": "public" if playlist.public else "private"}
        if "contentDetails" in parts:
            obj["contentDetails"] = {"itemCount": len(playlist.items)}
        return obj

    def item_resource(
        self, playlist: Playlist, item: PlaylistItem, position: int, parts: set[str]
    ) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "kind": "youtube#playlistItem",
            "etag": derive_id("youtube", "e", item.item_id, position),
            "id": item.item_id,
        }
        track = self.state.catalog.track(self.name, item.track_id)
        if "snippet" in parts:
            video = self.video_resource(track, {"snippet"})["snippet"] if track else {}
            obj["snippet"] = {
                "publishedAt": iso(item.added_at),
                "channelId": self.channel_id(playlist.owner),
                "title": video.get("title", "Deleted video"),
                "description": video.get("description", ""),
                "thumbnails": {},
                "channelTitle": self.state.user(self.name, playlist.owner).display_name,
                "playlistId": playlist.id,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": item.track_id},
                "videoOwnerChannelTitle": video.get("channelTitle", ""),
                "videoOwnerChannelId": video.get("channelId", ""),
            }
        if "contentDetails" in parts:
            obj["contentDetails"] = {
                "videoId": item.track_id,
                "videoPublishedAt": iso(item.added_at),
            }
        if "status" in parts:
            obj["status"] = {"privacyStatus": "public" if playlist.public else "private"}
        return obj
