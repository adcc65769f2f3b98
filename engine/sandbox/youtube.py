"""Emulated YouTube Data API v3, after the discovery document ``youtube.v3.json``.

``part`` is required and checked; ``maxResults`` is 0..50 (videos 1..50) and
pages are chained by ``pageToken``/``nextPageToken``; one playlist item per
insert; search is by text only (``q``), never by ISRC; every call is charged
against the project's (client id's) daily quota in units per method (search
100, writes 50, lists 1); when the day's units are spent the API answers 403
``quotaExceeded`` (domain ``youtube.quota``). Liked videos are
``videos.list(myRating=like)`` or the ``LL`` playlist.
"""

from __future__ import annotations

from typing import Any

import httpx

from engine.sandbox.base import ProviderApi
from engine.sandbox.catalog import CatalogTrack, derive_id
from engine.sandbox.state import AccessToken, Playlist, PlaylistItem
from engine.sandbox.wire import ApiError, SandboxRequest, json_response
from engine.sandbox.youtube_resources import (
    PAGE_MAX,
    YoutubeResources,
)

LIKES = "LL"
_WRITE = (
    "https://www.googleapis.com/auth/youtube",
    "https://www.googleapis.com/auth/youtube.force-ssl",
    "https://www.googleapis.com/auth/youtubepartner",
)
_READ = (*_WRITE, "https://www.googleapis.com/auth/youtube.readonly")
_AUTH_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


class YoutubeApi(YoutubeResources, ProviderApi):
    name = "youtube"

    def register(self) -> None:
        add = self.router.add
        add("GET", "/channels", self.channels, _READ)
        add("GET", "/playlists", self.list_playlists, _READ)
        add("POST", "/playlists", self.insert_playlist, _WRITE)
        add("PUT", "/playlists", self.update_playlist, _WRITE)
        add("DELETE", "/playlists", self.delete_playlist, _WRITE)
        add("GET", "/playlistItems", self.list_items, _READ)
        add("POST", "/playlistItems", self.insert_item, _WRITE)
        add("PUT", "/playlistItems", self.update_item, _WRITE)
        add("DELETE", "/playlistItems", self.delete_item, _WRITE)
        add("GET", "/search", self.search, _READ)
        add("GET", "/videos", self.list_videos, _READ)
        add("POST", "/videos/rate", self.rate, _WRITE)

    def handle(self, request: SandboxRequest) -> httpx.Response:
        """As the base, plus ``ETag`` on reads and 304 for a matching ``If-None-Match``
        (the resources carry documented ``etag`` fields; Google honours them)."""
        response = super().handle(request)
        if request.method != "GET" or response.status_code != 200:
            return response
        etag = '"' + str(response.json().get("etag", "")) + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        response.headers["ETag"] = etag
        return response

    # errors, auth, quota ----------------------------------------------------------------
    def render_error(self, error: ApiError) -> httpx.Response:
        reason = error.reason or {
            400: "badRequest",
            401: "authError",
            403: "forbidden",
            404: "notFound",
            405: "methodNotAllowed",
        }.get(error.status, "backendError")
        domain = (
            "youtube.quota"
            if reason == "quotaExceeded"
            else ("global" if error.status in (401, 405, 500) else "youtube.api")
        )
        entry: dict[str, Any] = {"message": error.message, "domain": domain, "reason": reason}
        if error.status == 401:
            entry.update({"location": "Authorization", "locationType": "header"})
        elif error.parameter:
            entry.update({"location": error.parameter, "locationType": "parameter"})
        body = {"error": {"code": error.status, "message": error.message, "errors": [entry]}}
        return json_response(error.status, body, error.headers)

    def not_found_response(self, request: SandboxRequest) -> httpx.Response:
        return httpx.Response(404, content=b"Not Found", headers={"content-type": "text/html"})

    def token_of(self, request: SandboxRequest) -> str | None:
        return request.bearer() or request.arg("access_token")

    def authenticate(self, request: SandboxRequest, scopes: tuple[str, ...]) -> AccessToken:
        try:
            return super().authenticate(request, scopes)
        except ApiError as error:
            if error.reason == "scope":
                raise ApiError(
                    403,
                    "Request had insufficient authentication scopes.",
                    reason="insufficientPermissions",
                ) from error
            raise ApiError(401, _AUTH_MESSAGE, reason="authError") from error

    def method_name(self, request: SandboxRequest) -> str:
        resource = request.path.strip("/").split("/")[0]
        if request.path.endswith("/rate"):
            return "videos.rate"
        verb = {"GET": "list", "POST": "insert", "PUT": "update", "DELETE": "delete"}
        return f"{resource}.{verb[request.method]}"

    def before(self, request: SandboxRequest) -> None:
        limit = self.state.config.youtube_daily_units
        if limit is None or self.token is None:
            return
        cost = self.state.config.youtube_costs.get(self.method_name(request), 1)
        day = int((self.state.clock() - 8 * 3600) // 86400)  # resets at midnight Pacific
        slot = (self.token.client_id, str(day))
        used = self.state.youtube_units.get(slot, 0)
        if used + cost > limit:
            raise ApiError(403, _QUOTA_MESSAGE, reason="quotaExceeded")
        self.state.youtube_units[slot] = used + cost

    def quota_response(self) -> httpx.Response:
        return self.render_error(ApiError(403, _QUOTA_MESSAGE, reason="quotaExceeded"))

    def units_used(self, client_id: str) -> int:
        day = int((self.state.clock() - 8 * 3600) // 86400)
        return self.state.youtube_units.get((client_id, str(day)), 0)

    # helpers ------------------------------------------------------------------------------

    def _playlist(self, playlist_id: str | None, *, write: bool = False) -> Playlist:
        playlist = self.state.playlist(self.name, playlist_id or "")
        if playlist is None or (not playlist.public and playlist.owner != self.user_id):
            raise ApiError(
                404,
                "The playlist identified with the request's <code>playlistId"
                "</code> parameter cannot be found.",
                reason="playlistNotFound",
                parameter="playlistId",
            )
        if write and playlist.owner != self.user_id:
            raise ApiError(
                403,
                "The request is not properly authorized to modify the playlist.",
                reason="playlistItemsNotAccessible",
            )
        return playlist

    def _likes_playlist(self) -> Playlist:
        liked = self.state.library(self.name, self.user_id).liked
        playlist = Playlist(self.name, LIKES, self.user_id, "Liked videos")
        playlist.items = [
            PlaylistItem(derive_id("youtube", "like", t, self.user_id), t, added, self.user_id)
            for t, added in liked
        ]
        return playlist

    def _find_item(self, item_id: str) -> tuple[Playlist, int]:
        for playlist in self.state.playlists.values():
            if playlist.provider != self.name:
                continue
            for n, item in enumerate(playlist.items):
                if item.item_id == item_id:
                    return playlist, n
        raise ApiError(
            404, "Playlist item not found.", reason="playlistItemNotFound", parameter="id"
        )

    def _json(self, request: SandboxRequest) -> dict[str, Any]:
        body = request.json()
        if not isinstance(body, dict):
            raise ApiError(400, "Request contains an invalid argument.", reason="badRequest")
        return body

    # handlers --------------------------------------------------------------------------------
    def channels(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "channels")
        if request.arg("mine") != "true":
            raise ApiError(
                400,
                "No filter selected. Expected one of: mine, id, forHandle, "
                "forUsername, managedByMe, categoryId",
                reason="missingRequiredParameter",
            )
        user = self.state.user(self.name, self.user_id)
        channel: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": "sandbox",
            "id": self.channel_id(self.user_id),
        }
        if "snippet" in parts:
            channel["snippet"] = {
                "title": user.display_name,
                "description": "",
                "publishedAt": "2010-01-01T00:00:00Z",
                "thumbnails": {},
                "country": user.country,
            }
        if "contentDetails" in parts:
            channel["contentDetails"] = {"relatedPlaylists": {"likes": LIKES, "uploads": ""}}
        return json_response(200, self.list_body(request, "channel", [channel], lambda c: c))

    def list_playlists(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "playlists")
        ids = request.args("id")
        if request.arg("mine") == "true":
            owned = [
                self.state.playlist(self.name, i)
                for i in self.state.library(self.name, self.user_id).playlists
            ]
            playlists = [p for p in owned if p]
        elif ids:
            playlists = [
                p
                for i in ids
                if (p := self.state.playlist(self.name, i))
                and (p.public or p.owner == self.user_id)
            ]
        elif request.arg("channelId"):
            playlists = [
                p
                for p in self.state.playlists.values()
                if p.provider == self.name
                and self.channel_id(p.owner) == request.arg("channelId")
                and p.public
            ]
        else:
            raise ApiError(
                400,
                "No filter selected. Expected one of: channelId, id, mine",
                reason="missingRequiredParameter",
            )
        return json_response(
            200,
            self.list_body(
                request, "playlist", playlists, lambda p: self.playlist_resource(p, parts)
            ),
        )

    def insert_playlist(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "playlists")
        body = self._json(request)
        snippet = body.get("snippet") or {}
        if not snippet.get("title"):
            raise ApiError(400, "Must specify a playlist title.", reason="playlistTitleRequired")
        privacy = (body.get("status") or {}).get("privacyStatus", "public")
        playlist = self.state.create_playlist(
            self.name,
            self.user_id,
            str(snippet["title"]),
            str(snippet.get("description") or ""),
            public=privacy == "public",
        )
        return json_response(200, self.playlist_resource(playlist, parts))

    def update_playlist(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "playlists")
        body = self._json(request)
        playlist = self._playlist(body.get("id"), write=True)
        snippet = body.get("snippet") or {}
        if "snippet" in parts:
            if not snippet.get("title"):
                raise ApiError(
                    400, "Must specify a playlist title.", reason="playlistTitleRequired"
                )
            playlist.name = str(snippet["title"])
            playlist.description = str(snippet.get("description") or "")
        if "status" in parts and body.get("status"):
            playlist.public = body["status"].get("privacyStatus") == "public"
        self.state.touch(playlist)
        return json_response(200, self.playlist_resource(playlist, parts))

    def delete_playlist(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request.arg("id"), write=True)
        self.state.playlists.pop((self.name, playlist.id), None)
        for library in self.state.libraries.values():
            if playlist.id in library.playlists:
                library.playlists.remove(playlist.id)
        return httpx.Response(204)

    def list_items(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "playlistItems")
        playlist_id = request.arg("playlistId")
        if not playlist_id and not request.arg("id"):
            raise ApiError(
                400,
                "No filter selected. Expected one of: playlistId, id",
                reason="missingRequiredParameter",
            )
        is_likes = playlist_id == LIKES
        playlist = self._likes_playlist() if is_likes else self._playlist(playlist_id)
        entries = list(enumerate(playlist.items))
        video = request.arg("videoId")
        if video:
            entries = [e for e in entries if e[1].track_id == video]
        return json_response(
            200,
            self.list_body(
                request,
                "playlistItem",
                entries,
                lambda e: self.item_resource(playlist, e[1], e[0], parts),
            ),
        )

    def _resource_video(self, snippet: dict[str, Any]) -> str:
        resource = snippet.get("resourceId") or {}
        video_id = resource.get("videoId")
        if resource.get("kind") != "youtube#video" or not video_id:
            raise ApiError(400, "Resource id is required.", reason="invalidResourceId")
        if self.state.catalog.track(self.name, video_id) is None:
            raise ApiError(404, "Video not found.", reason="videoNotFound")
        return str(video_id)

    def insert_item(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "playlistItems")
        snippet = self._json(request).get("snippet") or {}
        if not snippet.get("playlistId"):
            raise ApiError(400, "Playlist id not specified.", reason="playlistIdRequired")
        playlist = self._playlist(snippet["playlistId"], write=True)
        video_id = self._resource_video(snippet)
        position = snippet.get("position", len(playlist.items))
        if not isinstance(position, int) or not 0 <= position <= len(playlist.items):
            raise ApiError(
                400,
                "Request contains an invalid value for the position field.",
                reason="invalidPlaylistItemPosition",
            )
        room = self.state.room_left(playlist)
        if room is not None and room < 1:
            raise ApiError(
                403,
                "The playlist already contains the maximum allowed number of items.",
                reason="playlistContainsMaximumNumberOfVideos",
            )
        item = self.state.new_items(playlist, [video_id], self.user_id)[0]
        playlist.items.insert(position, item)
        self.state.touch(playlist)
        return json_response(200, self.item_resource(playlist, item, position, parts))

    def update_item(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "playlistItems")
        body = self._json(request)
        playlist, index = self._find_item(str(body.get("id") or ""))
        self._playlist(playlist.id, write=True)
        snippet = body.get("snippet") or {}
        if snippet.get("playlistId") != playlist.id:
            raise ApiError(400, "Playlist id not specified.", reason="playlistIdRequired")
        item = playlist.items[index]
        if self._resource_video(snippet) != item.track_id:
            raise ApiError(400, "Resource id is required.", reason="invalidResourceId")
        position = snippet.get("position", index)
        if not isinstance(position, int) or not 0 <= position < len(playlist.items):
            raise ApiError(
                400,
                "Request contains an invalid value for the position field.",
                reason="invalidPlaylistItemPosition",
            )
        playlist.items.pop(index)
        playlist.items.insert(position, item)
        self.state.touch(playlist)
        return json_response(200, self.item_resource(playlist, item, position, parts))

    def delete_item(self, request: SandboxRequest) -> httpx.Response:
        item_id = request.arg("id")
        if not item_id:
            raise ApiError(400, "Required parameter: id", reason="required", parameter="id")
        playlist, index = self._find_item(item_id)
        self._playlist(playlist.id, write=True)
        playlist.items.pop(index)
        self.state.touch(playlist)
        return httpx.Response(204)

    def search(self, request: SandboxRequest) -> httpx.Response:
        self.parts(request, "search")
        types = request.args("type") or ["video", "channel", "playlist"]
        query = request.arg("q") or ""
        hits = self.state.catalog.search(self.name, query) if "video" in types else []

        def render(track: CatalogTrack) -> dict[str, Any]:
            snippet = self.video_resource(track, {"snippet"})["snippet"]
            snippet.pop("categoryId", None)
            snippet["liveBroadcastContent"] = "none"
            return {
                "kind": "youtube#searchResult",
                "etag": derive_id("youtube", "s", track.key),
                "id": {"kind": "youtube#video", "videoId": track.ids[self.name]},
                "snippet": snippet,
            }

        body = self.list_body(request, "search", hits, render)
        body["regionCode"] = "US"
        return json_response(200, body)

    def list_videos(self, request: SandboxRequest) -> httpx.Response:
        parts = self.parts(request, "videos")
        ids = request.args("id")
        if request.arg("myRating") == "like":
            liked = self.state.library(self.name, self.user_id).liked
            tracks = [t for i, _ in liked if (t := self.state.catalog.track(self.name, i))]
        elif ids:
            if len(ids) > PAGE_MAX:
                raise ApiError(
                    400,
                    "The request specifies an invalid filter parameter.",
                    reason="invalidFilters",
                    parameter="id",
                )
            tracks = [t for i in ids if (t := self.state.catalog.track(self.name, i))]
        else:
            raise ApiError(
                400,
                "No filter selected. Expected one of: chart, id, myRating",
                reason="missingRequiredParameter",
            )
        return json_response(
            200,
            self.list_body(
                request,
                "video",
                tracks,
                lambda t: self.video_resource(t, parts),
                low=1,
                whole=bool(ids) and request.arg("myRating") != "like",
            ),
        )

    def rate(self, request: SandboxRequest) -> httpx.Response:
        video_id = request.arg("id")
        rating = request.arg("rating")
        if not video_id or rating not in ("like", "dislike", "none"):
            raise ApiError(400, "Required parameter: rating", reason="required", parameter="rating")
        if self.state.catalog.track(self.name, video_id) is None:
            raise ApiError(404, "Video not found.", reason="videoNotFound")
        library = self.state.library(self.name, self.user_id)
        library.liked = [e for e in library.liked if e[0] != video_id]
        if rating == "like":
            library.liked.insert(0, (video_id, self.state.clock()))
        return httpx.Response(204)
