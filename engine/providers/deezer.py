"""Deezer API client.

Built to ``deezer/endpoints-derived.json`` and the scraped reference tables
(``deezer-api-docs-scrape/*.json``); Deezer publishes no OpenAPI. Its quirks:
the token travels as ``access_token`` in the query string, errors come back
as HTTP 200 with ``{"error": {"type", "message", "code"}}``, lists page with
``index``/``limit`` but pages may be short (unreadable tracks are dropped), so
the client always follows ``next``; writes answer a bare ``true``/``false``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import polars as pl

from engine.batching import chunks
from engine.errors import (
    AuthError,
    NeedsReconnectError,
    NotFoundError,
    PlaylistFullError,
    ProviderError,
    UsageError,
)
from engine.http.types import ProviderHttp, ProviderHttpConfig, Retryable
from engine.providers._common import append_batches, frame_from, json_body, tail_check
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

CAPABILITIES = Capabilities(
    # Deezer's published content limit for a playlist is 2,000 tracks (support article
    # "Content limits", quoted in d-fi/releases#43); not in the scraped tables.
    max_playlist_size=2_000,
    # endpoints-derived.json POST /playlist/{id}/tracks max_ids: "not documented; community
    # clients batch 50" (helpsterTee/spotify-playlists-2-deezer PR #6).
    add_batch_max=50,
    remove_batch_max=50,
    # paging_params index/limit; default_page_size 25, no documented maximum. We ask for
    # 100 and follow `next`, which also covers servers that answer with fewer.
    page_size_max=100,
    paging="index",
    # GET /track/isrc:{ISRC} returns one track per call.
    isrc_lookup="single",
    isrc_batch_max=1,
    search_limit_max=100,
    # rate_limit: "~50 requests / 5 seconds ... signalled only by code 4 body".
    quota="rolling_rate",
    # POST /playlist/{id}/tracks `order`: "comma-separated ids = reorder".
    supports_reorder=True,
    supports_saved_albums=True,  # user / albums connection
)

QUOTA_RETRY_AFTER_S = 5.0
"""Wait after error code 4: the observed limit is ~50 requests per 5 seconds."""

TRANSIENT_CODES = {4: "quota limit exceeded", 700: "service busy"}
"""Error codes (endpoints-derived.json error_codes) worth retrying."""


def check_response(response: httpx.Response) -> None:
    """Map Deezer's in-body errors (HTTP 200 + ``error.code``) to engine errors;
    real HTTP statuses (404 on an unknown path) are left to the HTTP stack."""
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return
    error = body["error"]
    code = int(error.get("code") or 0)
    message = f"{error.get('type', 'Exception')} {code}: {error.get('message', '')}".strip()
    if code in TRANSIENT_CODES:
        raise Retryable(f"deezer {TRANSIENT_CODES[code]}: {message}", QUOTA_RETRY_AFTER_S)
    if code == 300:
        raise NeedsReconnectError(f"deezer: access token invalid or expired ({message})")
    if code == 200:
        raise AuthError(f"deezer: permission denied ({message})", kind="forbidden")
    if code == 800:
        raise NotFoundError(f"deezer: no data ({message})")
    if code == 100:
        raise PlaylistFullError(message, provider="deezer")
    raise ProviderError(message, provider="deezer", kind="bad-request")


def track_row(track: dict[str, Any], **extras: Any) -> dict[str, Any]:
    """One canonical row from a Deezer track object (full or list form)."""
    album = track.get("album") or {}
    artists = [c.get("name") for c in track.get("contributors") or [] if c.get("name")]
    if not artists and (track.get("artist") or {}).get("name"):
        artists = [track["artist"]["name"]]
    more = {k: v for k, v in extras.items() if v is not None}
    if track.get("readable") is not None:
        more["readable"] = str(bool(track["readable"])).lower()
    duration = track.get("duration")
    return {
        "title": track.get("title"),
        "artists": artists,
        "album": album.get("title"),
        "duration_ms": int(duration) * 1000 if duration is not None else None,
        "isrc": track.get("isrc") or None,
        "explicit": track.get("explicit_lyrics"),
        "release_date": track.get("release_date") or album.get("release_date"),
        "provider": "deezer",
        "provider_id": str(track["id"]) if track.get("id") is not None else None,
        "url": track.get("link"),
        "extras": more,
    }


def _ok(result: Any, what: str) -> None:
    if result is not True and not (isinstance(result, dict) and result.get("id")):
        raise ProviderError(f"{what} was refused (answer: {result!r})", provider="deezer")


class Deezer(ProviderDefaults):
    """Deezer API for one user."""

    name: ClassVar[str] = "deezer"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    default_base_url: ClassVar[str] = "https://api.deezer.com"

    def __init__(self, http: ProviderHttp) -> None:
        self.http = http
        self._user: UserInfo | None = None

    @classmethod
    def http_config(cls, base_url: str | None = None) -> ProviderHttpConfig:
        # ~50 requests / 5 s observed (endpoints-derived.json rate_limit).
        return ProviderHttpConfig(
            provider=cls.name,
            base_url=base_url or cls.default_base_url,
            auth_style="query_access_token",
            # A token bucket lets at most burst + 5 * rate through in any 5 s:
            # 5 + 45 = 50, the observed limit, so code 4 stays the exception.
            rate_per_s=9.0,
            burst=5,
            check_response=check_response,
        )

    def _pages(self, path: str) -> list[dict[str, Any]]:
        """Every page of an index/limit list; always follows ``next``. Library
        data changes under us, so it is never served from the cache."""
        pages = []
        params = {"index": 0, "limit": CAPABILITIES.page_size_max}
        page = self.http.get_json(path, params, cache=False)
        while True:
            pages.append(page)
            next_url = page.get("next")
            if not next_url:
                return pages
            page = self.http.get_json(next_url, cache=False)

    def _items(self, path: str) -> list[dict[str, Any]]:
        return [item for page in self._pages(path) for item in page.get("data") or []]

    def current_user(self) -> UserInfo:
        if self._user is None:
            me = self.http.get_json("/user/me")
            self._user = UserInfo(
                id=str(me["id"]), display_name=me.get("name"), country=me.get("country")
            )
        return self._user

    def playlists(self) -> list[PlaylistInfo]:
        me = self.current_user().id
        result = []
        for item in self._items("/user/me/playlists"):
            owner = (item.get("creator") or item.get("user") or {}).get("id")
            owner_id = str(owner) if owner is not None else None
            result.append(
                PlaylistInfo(
                    id=str(item["id"]),
                    name=item.get("title") or "",
                    owner_id=owner_id,
                    track_count=item.get("nb_tracks"),
                    description=item.get("description") or None,
                    owned=owner_id == me,
                    version=item.get("checksum"),
                    url=item.get("link"),
                )
            )
        return result

    def playlist_items(self, playlist_id: str) -> pl.DataFrame:
        rows = []
        for position, track in enumerate(self._items(f"/playlist/{playlist_id}/tracks")):
            row = track_row(track, time_add=track.get("time_add"))
            row["position"] = position
            rows.append(row)
        return frame_from(rows).with_columns(pl.lit(playlist_id).alias("playlist"))

    def liked_tracks(self) -> pl.DataFrame:
        items = self._items("/user/me/tracks")
        return frame_from([track_row(t, time_add=t.get("time_add")) for t in items])

    def saved_albums(self) -> list[AlbumInfo]:
        return [
            AlbumInfo(
                id=str(a["id"]),
                title=a.get("title") or "",
                artists=tuple(
                    str(n) for n in [(a.get("artist") or {}).get("name")] if n is not None
                ),
                upc=a.get("upc"),
                release_date=a.get("release_date"),
            )
            for a in self._items("/user/me/albums")
        ]

    def lookup_isrcs(self, isrcs: Sequence[str]) -> pl.DataFrame:
        """``GET /track/isrc:{isrc}`` per distinct ISRC; a track's ``alternative``
        (another catalogue id of the same recording) becomes a second row."""
        rows = []
        for isrc in dict.fromkeys(i.strip().upper() for i in isrcs if i and i.strip()):
            try:
                track = self.http.get_json(f"/track/isrc:{isrc}")
            except NotFoundError:
                continue
            rows.append(track_row(track, lookup_isrc=isrc))
            alternative = track.get("alternative")
            if isinstance(alternative, dict) and alternative.get("id"):
                alt = track_row(alternative, lookup_isrc=isrc, alternative_of=str(track["id"]))
                alt["isrc"] = alt["isrc"] or isrc
                rows.append(alt)
        return frame_from(rows)

    def ladder_query(self, rung: str, *, title: str, artist: str, album: str) -> str | None:
        """Field filters for the ``fielded`` and ``album`` rungs; free text otherwise."""
        # GET /search `q`: 'advanced: artist:".." album:".." track:".."'
        # (endpoints-derived.json; deezer-python test_search_advanced_simple).
        if rung == "fielded" and title:
            parts = [f"track:{field_value(title)}"]
            if artist:
                parts.insert(0, f"artist:{field_value(artist)}")
            return " ".join(parts)
        if rung == "album" and album:
            return album_filter_query(artist=artist, album=album)
        return free_text_query(rung, title=title, artist=artist, album=album)

    def get_track(self, track_id: str) -> pl.DataFrame:
        """``GET /track/{id}``: the track as one row, or an empty frame when
        Deezer answers "no data" (error 800) or 404."""
        if not track_id.isdigit():
            return frame_from([])  # Deezer ids are numbers; ``isrc:`` is another endpoint
        try:
            track = self.http.get_json(f"/track/{track_id}")
        except NotFoundError:
            return frame_from([])
        return frame_from([track_row(track)] if track and track.get("id") else [])

    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame:
        if not query.strip():
            raise UsageError("search query is empty")
        limit = max(1, min(limit, CAPABILITIES.search_limit_max))
        body = self.http.get_json("/search/track", {"q": query, "limit": limit})
        return frame_from([track_row(t) for t in (body.get("data") or [])[:limit]])

    def create_playlist(
        self, name: str, description: str = "", public: bool = False
    ) -> PlaylistInfo:
        # POST /user/me/playlists takes only `title` (endpoints-derived.json); the
        # description and visibility are not settable through this call.
        created = self.http.send("POST", "/user/me/playlists", params={"title": name}).json()
        _ok(created, "creating the playlist")
        return PlaylistInfo(
            id=str(created["id"]),
            name=name,
            owner_id=self._user.id if self._user else None,
            track_count=0,
            owned=True,
        )

    def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Append in order, ``add_batch_max`` ids per request; a batch whose fate
        a failure left unknown is checked against the playlist's tail."""

        def send(batch: list[str]) -> None:
            answer = self.http.send(
                "POST", f"/playlist/{playlist_id}/tracks", params={"songs": ",".join(batch)}
            ).json()
            _ok(answer, f"adding {len(batch)} tracks to playlist {playlist_id}")

        batches = chunks([str(t) for t in track_ids], CAPABILITIES.add_batch_max)
        append_batches(batches, send, tail_check(lambda n: self._tail_ids(playlist_id, n)))

    def _tail_ids(self, playlist_id: str, count: int) -> list[str]:
        """Ids of the last ``count`` tracks of a playlist (pages may be short)."""
        path = f"/playlist/{playlist_id}/tracks"
        total = int(
            self.http.get_json(path, {"index": 0, "limit": 1}, cache=False).get("total") or 0
        )
        ids: list[str] = []
        page = self.http.get_json(
            path,
            {"index": max(0, total - count), "limit": CAPABILITIES.page_size_max},
            cache=False,
        )
        while True:
            ids.extend(str(t["id"]) for t in page.get("data") or [])
            if not page.get("next"):
                return ids[-count:]
            page = self.http.get_json(page["next"], cache=False)

    def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(str(t) for t in track_ids))
        for batch in chunks(ids, CAPABILITIES.remove_batch_max):
            answer = self.http.send(
                "DELETE", f"/playlist/{playlist_id}/tracks", params={"songs": ",".join(batch)}
            ).json()
            _ok(answer, f"removing {len(batch)} tracks from playlist {playlist_id}")

    def arrange(self, playlist_id: str, current: Sequence[str], wanted: Sequence[str]) -> int:
        """One write: Deezer takes the whole new order (``order=id,id,...``)."""
        if sorted(current) != sorted(wanted):
            raise ValueError("arrange needs the same ids on both sides")
        if list(current) == list(wanted):
            return 0
        answer = self.http.send(
            "POST", f"/playlist/{playlist_id}/tracks", params={"order": ",".join(wanted)}
        ).json()
        _ok(answer, f"reordering playlist {playlist_id}")
        return 1

    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None:
        """Deezer takes the whole new order (``order=id,id,...``): read, move, write."""
        ids = [str(t["id"]) for t in self._items(f"/playlist/{playlist_id}/tracks")]
        if range_start < 0 or range_length < 1 or range_start + range_length > len(ids):
            raise UsageError(f"reorder range {range_start}+{range_length} is outside the playlist")
        if not 0 <= insert_before <= len(ids):
            raise UsageError(f"insert_before {insert_before} is outside the playlist")
        moved = ids[range_start : range_start + range_length]
        rest = ids[:range_start] + ids[range_start + range_length :]
        target = insert_before if insert_before <= range_start else insert_before - range_length
        new_order = rest[:target] + moved + rest[target:]
        answer = self.http.send(
            "POST", f"/playlist/{playlist_id}/tracks", params={"order": ",".join(new_order)}
        ).json()
        _ok(answer, f"reordering playlist {playlist_id}")
