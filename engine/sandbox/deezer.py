"""Emulated Deezer API, after the reference tables and the recorded responses.

Deezer quirks kept on purpose: ``access_token`` travels in the query string;
errors come back as HTTP 200 with ``{"error": {"type", "message", "code"}}``
(4 quota, 200 permission, 300 invalid token, 500/501 parameters, 800 no
data); an unknown path is HTTP 404 ``{"error": "Not Found"}``; writes answer a
bare ``true`` or ``{"id": N}``; lists page by ``index``/``limit`` (default 25)
with an absolute ``next`` link, and pages can come back SHORT, so a client
must follow ``next`` rather than count. ``GET /track/isrc:{ISRC}`` returns one
of possibly several catalogue ids for the recording.
"""

from __future__ import annotations

import httpx

from engine.sandbox.base import ProviderApi
from engine.sandbox.catalog import derive_id
from engine.sandbox.deezer_objects import (
    DeezerObjects,
    _checksum,
    _no_data,
)
from engine.sandbox.search_syntax import deezer_search
from engine.sandbox.state import AccessToken, Playlist
from engine.sandbox.wire import ApiError, SandboxRequest, json_response

PUBLIC = ("*public*",)
_MANAGE = ("manage_library",)
_DELETE = ("delete_library",)
_TYPES = {
    4: "Exception",
    100: "Exception",
    200: "OAuthException",
    300: "OAuthException",
    500: "ParameterException",
    501: "MissingParameterException",
    600: "InvalidQueryException",
    700: "Exception",
    800: "DataException",
}


class DeezerApi(DeezerObjects, ProviderApi):
    name = "deezer"

    def register(self) -> None:
        add = self.router.add
        add("GET", "/user/{user}", self.get_user, PUBLIC)
        add("GET", "/user/{user}/playlists", self.user_playlists, PUBLIC)
        add("POST", "/user/me/playlists", self.create_or_follow, _MANAGE)
        add("DELETE", "/user/me/playlists", self.unfollow, _DELETE)
        add("GET", "/user/{user}/tracks", self.user_tracks, PUBLIC)
        add("GET", "/user/{user}/albums", self.user_albums, PUBLIC)
        add("GET", "/playlist/{playlist_id}", self.get_playlist, PUBLIC)
        add("POST", "/playlist/{playlist_id}", self.update_playlist, _MANAGE)
        add("DELETE", "/playlist/{playlist_id}", self.delete_playlist, _DELETE)
        add("GET", "/playlist/{playlist_id}/tracks", self.playlist_tracks, PUBLIC)
        add("POST", "/playlist/{playlist_id}/tracks", self.add_or_order, _MANAGE)
        add("DELETE", "/playlist/{playlist_id}/tracks", self.remove_tracks, _DELETE)
        add("GET", "/track/{track_id}", self.get_track, PUBLIC)
        add("GET", "/album/{album_id}", self.get_album, PUBLIC)
        add("GET", "/search", self.search, PUBLIC)
        add("GET", "/search/track", self.search, PUBLIC)

    # errors, auth, quota ---------------------------------------------------------
    def render_error(self, error: ApiError) -> httpx.Response:
        if error.status == 404 and error.code is None:
            return json_response(404, {"error": "Not Found"})
        code = error.code if error.code is not None else _code_for(error)
        body = {
            "error": {"type": _TYPES.get(code, "Exception"), "message": error.message, "code": code}
        }
        return json_response(200, body)

    def not_found_response(self, request: SandboxRequest) -> httpx.Response:
        return json_response(404, {"error": "Not Found"})

    def token_of(self, request: SandboxRequest) -> str | None:
        return request.arg("access_token")

    def authenticate(self, request: SandboxRequest, scopes: tuple[str, ...]) -> AccessToken:
        if scopes == PUBLIC and request.arg("access_token") is None:
            if request.params.get("user") == "me":
                raise ApiError(
                    200,
                    "An active access token must be used to query information "
                    "about the current user",
                    code=200,
                )
            return AccessToken("", self.name, "", "", (), None)
        try:
            return super().authenticate(request, () if scopes == PUBLIC else scopes)
        except ApiError as error:
            if error.reason == "scope":
                raise ApiError(200, "Permission denied", code=200) from error
            raise ApiError(200, "Invalid OAuth access token.", code=300) from error

    def before(self, request: SandboxRequest) -> None:
        if self.state.hit_window("deezer", self.state.config.deezer_quota) is not None:
            raise ApiError(200, "Quota limit exceeded", code=4)

    def quota_response(self) -> httpx.Response:
        return self.render_error(ApiError(200, "Quota limit exceeded", code=4))

    # ids ---------------------------------------------------------------------------

    def _user_from_path(self, request: SandboxRequest) -> str:
        raw = request.params["user"]
        if raw == "me":
            if not self.token or not self.token.user_id:
                raise ApiError(
                    200,
                    "An active access token must be used to query "
                    "information about the current user",
                    code=200,
                )
            return self.token.user_id
        for provider, user_id in self.state.users:
            if provider == self.name and str(self.numeric_user(user_id)) == raw:
                return user_id
        raise _no_data()

    # handlers -----------------------------------------------------------------------
    def get_user(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._user_from_path(request)
        return json_response(200, self.user_object(user_id))

    def user_playlists(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._user_from_path(request)
        ids = self.state.library(self.name, user_id).playlists
        playlists = [p for p in (self.state.playlist(self.name, i) for i in ids) if p]
        if not self.token or self.token.user_id != user_id:
            playlists = [p for p in playlists if p.public]
        data = [self.playlist_object(request, p, full=False) for p in playlists]
        return json_response(
            200, self.page(request, data, f"/user/{request.params['user']}/playlists")
        )

    def create_or_follow(self, request: SandboxRequest) -> httpx.Response:
        form = request.form()
        if form.get("title"):
            playlist = self.state.create_playlist(
                self.name, self.user_id, form["title"], public=True
            )
            return json_response(200, {"id": int(playlist.id)})
        if form.get("playlist_id"):
            followed = self.state.playlist(self.name, form["playlist_id"])
            library = self.state.library(self.name, self.user_id)
            if followed is None or not followed.public or followed.id in library.playlists:
                return json_response(200, False)
            followed.followers.add(self.user_id)
            library.playlists.insert(0, followed.id)
            return json_response(200, True)
        raise ApiError(200, "Missing parameters: title", code=501)

    def unfollow(self, request: SandboxRequest) -> httpx.Response:
        playlist_id = request.form().get("playlist_id")
        if not playlist_id:
            raise ApiError(200, "Missing parameters: playlist_id", code=501)
        library = self.state.library(self.name, self.user_id)
        if playlist_id not in library.playlists:
            raise _no_data()
        library.playlists.remove(playlist_id)
        return json_response(200, True)

    def user_tracks(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._user_from_path(request)
        liked = self.state.library(self.name, user_id).liked
        data = []
        for track_id, added in liked:
            track = self.state.catalog.track(self.name, track_id)
            if track:
                data.append({**self.track_object(track), "time_add": int(added)})
        return json_response(
            200, self.page(request, data, f"/user/{request.params['user']}/tracks")
        )

    def user_albums(self, request: SandboxRequest) -> httpx.Response:
        user_id = self._user_from_path(request)
        data = []
        for album_id, added in self.state.library(self.name, user_id).saved_albums:
            album = self.state.catalog.album(self.name, album_id)
            if album:
                data.append(
                    {
                        "id": int(album.id),
                        "title": album.title,
                        "nb_tracks": len(album.track_ids),
                        "time_add": int(added),
                        "artist": {
                            "id": int(derive_id("deezer", "artist", album.artists[0])),
                            "name": album.artists[0],
                            "type": "artist",
                        },
                        "type": "album",
                    }
                )
        return json_response(
            200, self.page(request, data, f"/user/{request.params['user']}/albums")
        )

    def _playlist(self, request: SandboxRequest, *, write: bool = False) -> Playlist:
        playlist = self.state.playlist(self.name, request.params["playlist_id"])
        if playlist is None:
            raise _no_data()
        me = self.token.user_id if self.token else ""
        if write and playlist.owner != me:
            raise ApiError(200, "Permission denied", code=200)
        if not playlist.public and playlist.owner != me:
            raise _no_data()
        return playlist

    def get_playlist(self, request: SandboxRequest) -> httpx.Response:
        return json_response(200, self.playlist_object(request, self._playlist(request), full=True))

    def update_playlist(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        form = request.form()
        playlist.name = form.get("title", playlist.name)
        playlist.description = form.get("description", playlist.description)
        if "public" in form:
            playlist.public = form["public"].lower() in ("true", "1")
        self.state.touch(playlist)
        return json_response(200, True)

    def delete_playlist(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        del self.state.playlists[(self.name, playlist.id)]
        for library in self.state.libraries.values():
            if playlist.id in library.playlists:
                library.playlists.remove(playlist.id)
        return json_response(200, True)

    def playlist_tracks(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request)
        data = [self._item(i) for i in playlist.items]
        return json_response(
            200,
            self.page(
                request, data, f"/playlist/{playlist.id}/tracks", {"checksum": _checksum(playlist)}
            ),
        )

    def _song_ids(self, raw: str | None, name: str) -> list[str]:
        if not raw:
            raise ApiError(200, f"Missing parameters: {name}", code=501)
        ids = [s.strip() for s in raw.split(",") if s.strip()]
        for song in ids:
            if not song.isdigit():
                raise ApiError(200, "Wrong parameter", code=500)
        return ids

    def add_or_order(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        form = request.form()
        if "order" in form and "songs" not in form:
            order = self._song_ids(form["order"], "order")
            current = {i.track_id: i for i in playlist.items}
            if sorted(order) != sorted(current) or len(order) != len(playlist.items):
                raise ApiError(200, "Wrong parameter", code=500)
            playlist.items = [current[s] for s in order]
            self.state.touch(playlist)
            return json_response(200, True)
        songs = self._song_ids(form.get("songs"), "songs")
        if any(self.state.catalog.track(self.name, s) is None for s in songs):
            raise _no_data()
        room = self.state.room_left(playlist)
        if room is not None and len(songs) > room:
            raise ApiError(200, "Items limit exceeded", code=100)
        playlist.items.extend(self.state.new_items(playlist, songs, self.user_id))
        self.state.touch(playlist)
        return json_response(200, True)

    def remove_tracks(self, request: SandboxRequest) -> httpx.Response:
        playlist = self._playlist(request, write=True)
        songs = set(self._song_ids(request.form().get("songs"), "songs"))
        playlist.items = [i for i in playlist.items if i.track_id not in songs]
        self.state.touch(playlist)
        return json_response(200, True)

    def get_track(self, request: SandboxRequest) -> httpx.Response:
        raw = request.params["track_id"]
        if raw.lower().startswith("isrc:"):
            hits = self.state.catalog.by_isrc(self.name, raw[5:])
            if not hits:
                raise _no_data()
            return json_response(200, self.track_object(hits[0], full=True))
        track = self.state.catalog.track(self.name, raw)
        if track is None:
            raise _no_data()
        return json_response(200, self.track_object(track, full=True))

    def get_album(self, request: SandboxRequest) -> httpx.Response:
        album = self.state.catalog.album(self.name, request.params["album_id"])
        if album is None:
            raise _no_data()
        tracks = [self.state.catalog.track(self.name, i) for i in album.track_ids]
        return json_response(
            200,
            {
                "id": int(album.id),
                "title": album.title,
                "nb_tracks": len(album.track_ids),
                "release_date": album.release_date or "2000-01-01",
                "artist": {
                    "id": int(derive_id("deezer", "artist", album.artists[0])),
                    "name": album.artists[0],
                    "type": "artist",
                },
                "tracks": {"data": [self.track_object(t, isrc=False) for t in tracks if t]},
                "type": "album",
            },
        )

    def search(self, request: SandboxRequest) -> httpx.Response:
        query = request.arg("q")
        if not query:
            raise ApiError(200, "Missing parameters: q", code=501)
        hits = deezer_search(self.state.catalog, query, strict=request.arg("strict") == "on")
        data = [self.track_object(t, isrc=False) for t in hits]
        return json_response(200, self.page(request, data, request.path))


def _code_for(error: ApiError) -> int:
    if error.status == 401:
        return 300
    if error.status == 403:
        return 200
    if error.status == 429:
        return 4
    return 500
