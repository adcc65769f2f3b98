"""YouTube Data API v3 client.

Built to the discovery document ``youtube/youtube.v3.json`` (methods, paths,
parameters) and ``youtube/quota-costs.json`` (units per method, classic policy).
YouTube has no ISRCs, so ``lookup_isrcs`` returns an empty frame and matching
relies on text search. Every call is charged against a daily unit budget;
the client counts what it spends (``quota_used()``), refuses a call the budget
cannot cover, and maps the server's ``quotaExceeded`` 403 to a final
``QuotaExceededError``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
import polars as pl

from engine.batching import chunks
from engine.errors import PlaylistFullError, QuotaExceededError, UsageError
from engine.http.types import ProviderHttp, ProviderHttpConfig
from engine.providers._common import (
    append_batches,
    frame_from,
    iso_duration_ms,
    json_body,
)
from engine.providers.base import (
    AlbumInfo,
    Capabilities,
    PlaylistInfo,
    ProviderDefaults,
    UserInfo,
)

METHOD_COSTS: dict[str, int] = {
    # quota-costs.json costs_classic_table
    "channels.list": 1,
    "playlists.list": 1,
    "playlists.insert": 50,
    "playlistItems.list": 1,
    "playlistItems.insert": 50,
    "playlistItems.update": 50,
    "playlistItems.delete": 50,
    "search.list": 100,
    "videos.list": 1,
}

DAILY_QUOTA_UNITS = 10_000
"""quota-costs.json policy_classic.default_daily_units (reset at midnight Pacific)."""

CAPABILITIES = Capabilities(
    # playlistItems.insert error playlistContainsMaximumNumberOfVideos (YouTube's
    # published limit is 5,000 videos per playlist; not in the discovery document).
    max_playlist_size=5_000,
    add_batch_max=1,  # playlistItems.insert takes one PlaylistItem resource
    remove_batch_max=1,  # playlistItems.delete takes one `id`
    page_size_max=50,  # maxResults maximum "50" on every list method
    paging="page_token",
    isrc_lookup="none",
    isrc_batch_max=0,
    search_limit_max=50,  # search.list maxResults maximum "50"
    quota="daily_units",
    daily_quota_units=DAILY_QUOTA_UNITS,
    method_costs=METHOD_COSTS,
    supports_reorder=True,  # playlistItems.update snippet.position
    supports_saved_albums=False,
)

MUSIC_CATEGORY = "10"
"""videoCategoryId of "Music" (search.list ``videoCategoryId``, with ``type=video``)."""

TOPIC_SUFFIX = " - Topic"
"""Auto-generated artist channels are named "<artist> - Topic"."""


def _reasons(body: Any) -> list[str]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return []
    return [str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict)]


def check_response(response: httpx.Response) -> None:
    """Map Google's error reasons (``error.errors[].reason``) that the status alone
    does not tell: ``quotaExceeded`` (final until midnight Pacific) and a full
    playlist; the HTTP stack maps every other status."""
    if response.status_code < 400:
        return
    body = json_body(response)
    reasons = _reasons(body)
    message = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or "")
    if response.status_code == 403 and {"quotaExceeded", "dailyLimitExceeded"} & set(reasons):
        raise QuotaExceededError(
            "daily quota spent; it resets at midnight Pacific Time", provider="youtube"
        )
    if "playlistContainsMaximumNumberOfVideos" in reasons:
        raise PlaylistFullError(
            f"playlist already holds the maximum number of items ({message})", provider="youtube"
        )


def _artist_from_channel(channel: str | None) -> list[str]:
    if not channel:
        return []
    return [channel.removesuffix(TOPIC_SUFFIX)]


_CREDIT_SPLIT = re.compile(r"\s*,\s*|\s+&\s+|\s+(?:feat\.?|ft\.?|featuring|x)\s+", re.I)


def _split_title(title: str | None, artists: list[str]) -> tuple[str | None, list[str]]:
    """Drop a leading "<artist> - " (or "<artist>, <guest> - ") that repeats the
    channel's artist; the guests named there join the artists.

    >>> _split_title("Calvin Harris, Rihanna - This Is What You Came For", ["Calvin Harris"])
    ('This Is What You Came For', ['Calvin Harris', 'Rihanna'])
    """
    if not title:
        return title, artists
    for artist in artists:
        prefix, sep, rest = title.partition(" - ")
        if not sep or not rest.strip() or not prefix.casefold().startswith(artist.casefold()):
            continue
        tail = prefix[len(artist) :]
        if tail and not _CREDIT_SPLIT.match(tail):
            continue  # "Queensryche - ..." on a "Queen" channel
        named = [a for a in _CREDIT_SPLIT.split(prefix) if a.strip()]
        extra = [a for a in named if a.casefold() not in {x.casefold() for x in artists}]
        return rest, [*artists, *extra]
    return title, artists


def video_row(video_id: str, snippet: dict[str, Any], **extras: Any) -> dict[str, Any]:
    """One canonical row for a video; duration comes later from ``videos.list``.

    The artist is the channel's ("<artist> - Topic" channels are YouTube's own
    artist channels); a title that repeats it ("Artist - Song") keeps only the
    song, and the video's full title stays in extras as ``video_title``.
    """
    channel = snippet.get("videoOwnerChannelTitle") or snippet.get("channelTitle")
    title, artists = _split_title(snippet.get("title"), _artist_from_channel(channel))
    if title != snippet.get("title"):
        extras = {**extras, "video_title": snippet.get("title")}
    return {
        "title": title,
        "artists": artists,
        "album": None,
        "duration_ms": None,
        "isrc": None,
        "explicit": None,
        "release_date": (snippet.get("publishedAt") or "")[:10] or None,
        "provider": "youtube",
        "provider_id": video_id,
        "url": f"https://www.youtube.com/watch?v={video_id}",
        "extras": {k: v for k, v in extras.items() if v is not None},
    }


class YouTube(ProviderDefaults):
    """YouTube Data API v3 for one user (their own channel)."""

    name: ClassVar[str] = "youtube"
    capabilities: ClassVar[Capabilities] = CAPABILITIES
    default_base_url: ClassVar[str] = "https://youtube.googleapis.com/youtube/v3"

    def __init__(
        self,
        http: ProviderHttp,
        *,
        daily_quota: int | None = DAILY_QUOTA_UNITS,
        units_already_used: int = 0,
    ) -> None:
        self.http = http
        self.daily_quota = daily_quota
        self._used = units_already_used
        self._by_method: dict[str, int] = {}
        self._user: UserInfo | None = None

    @classmethod
    def http_config(cls, base_url: str | None = None) -> ProviderHttpConfig:
        return ProviderHttpConfig(
            provider=cls.name,
            base_url=base_url or cls.default_base_url,
            auth_style="bearer",
            rate_per_s=10.0,
            burst=10,
            check_response=check_response,
        )

    # -- quota ------------------------------------------------------------------------
    def quota_used(self) -> int:
        """Units charged by this client. Never less than the server's count: a
        GET the shared cache answers is charged all the same (the session does
        not say whether it sent the request)."""
        return self._used

    def quota_by_method(self) -> dict[str, int]:
        """Units spent per API method by this client."""
        return dict(self._by_method)

    def _spend(self, method: str) -> None:
        cost = METHOD_COSTS[method]
        if self.daily_quota is not None and self._used + cost > self.daily_quota:
            raise QuotaExceededError(
                f"{method} costs {cost} units but only {self.daily_quota - self._used} of "
                f"{self.daily_quota} are left today",
                provider="youtube",
            )
        self._used += cost
        self._by_method[method] = self._by_method.get(method, 0) + cost

    def _get(self, method: str, path: str, params: dict[str, Any], *, cache: bool) -> Any:
        """A list value is sent repeated (``part=a&part=b``): ``part`` and ``id``
        are ``repeated`` parameters in the discovery document."""
        self._spend(method)
        return self.http.get_json(path, params, cache=cache)

    def _send(self, method: str, verb: str, path: str, **kwargs: Any) -> httpx.Response:
        self._spend(method)
        return self.http.send(verb, path, **kwargs)

    def _list(
        self, method: str, path: str, params: dict[str, Any], *, cache: bool = False
    ) -> list[dict[str, Any]]:
        """Every item of a ``pageToken``-paged list (each page is charged)."""
        items: list[dict[str, Any]] = []
        params = {**params, "maxResults": CAPABILITIES.page_size_max}
        while True:
            page = self._get(method, path, params, cache=cache)
            items.extend(page.get("items") or [])
            token = page.get("nextPageToken")
            if not token:
                return items
            params = {**params, "pageToken": token}

    def _with_durations(self, rows: list[dict[str, Any]]) -> pl.DataFrame:
        self._fill_durations(rows)
        return frame_from(rows)

    def _fill_durations(self, rows: list[dict[str, Any]]) -> None:
        """Set each row's ``duration_ms`` from ``videos.list`` (50 ids per call,
        1 unit each)."""
        ids = list(dict.fromkeys(r["provider_id"] for r in rows))
        durations: dict[str, int | None] = {}
        for batch in chunks(ids, CAPABILITIES.page_size_max):
            # videos.list: maxResults "is not supported for use in conjunction with the id
            # parameter"; up to 50 ids are answered at once. ``id`` is a ``repeated``
            # parameter in the discovery document: one id=... per video.
            params = {"part": "contentDetails", "id": batch}
            for video in self._get("videos.list", "/videos", params, cache=True).get("items") or []:
                durations[video["id"]] = iso_duration_ms(
                    (video.get("contentDetails") or {}).get("duration")
                )
        for row in rows:
            row["duration_ms"] = durations.get(row["provider_id"])

    # -- reads ----------------------------------------------------------------------
    def current_user(self) -> UserInfo:
        if self._user is None:
            params = {"part": "snippet", "mine": "true"}
            items = self._get("channels.list", "/channels", params, cache=True).get("items") or []
            if not items:
                raise UsageError("this Google account has no YouTube channel")
            snippet = items[0].get("snippet") or {}
            self._user = UserInfo(
                id=items[0]["id"], display_name=snippet.get("title"), country=snippet.get("country")
            )
        return self._user

    def playlists(self) -> list[PlaylistInfo]:
        items = self._list(
            "playlists.list", "/playlists", {"part": ["snippet", "contentDetails"], "mine": "true"}
        )
        return [
            PlaylistInfo(
                id=p["id"],
                name=(p.get("snippet") or {}).get("title") or "",
                owner_id=(p.get("snippet") or {}).get("channelId"),
                track_count=(p.get("contentDetails") or {}).get("itemCount"),
                description=(p.get("snippet") or {}).get("description") or None,
                owned=True,
                version=p.get("etag"),
                url=f"https://www.youtube.com/playlist?list={p['id']}",
            )
            for p in items
        ]

    def _entries(self, playlist_id: str) -> list[dict[str, Any]]:
        return self._list(
            "playlistItems.list",
            "/playlistItems",
            {"part": ["snippet", "contentDetails"], "playlistId": playlist_id},
        )

    def playlist_items(self, playlist_id: str) -> pl.DataFrame:
        rows = []
        for position, entry in enumerate(self._entries(playlist_id)):
            snippet = entry.get("snippet") or {}
            video_id = (snippet.get("resourceId") or {}).get("videoId") or (
                entry.get("contentDetails") or {}
            ).get("videoId")
            if not video_id:
                continue
            row = video_row(video_id, snippet, item_id=entry.get("id"))
            row["position"] = position
            rows.append(row)
        return self._with_durations(rows).with_columns(pl.lit(playlist_id).alias("playlist"))

    def liked_tracks(self) -> pl.DataFrame:
        """Videos the user rated "like" (``videos.list myRating=like``)."""
        videos = self._list(
            "videos.list", "/videos", {"part": ["snippet", "contentDetails"], "myRating": "like"}
        )
        rows = []
        for video in videos:
            row = video_row(video["id"], video.get("snippet") or {})
            details = video.get("contentDetails") or {}
            row["duration_ms"] = iso_duration_ms(details.get("duration"))
            rows.append(row)
        return frame_from(rows)

    def saved_albums(self) -> list[AlbumInfo]:
        return []

    def lookup_ids(self, ids: Sequence[str]) -> pl.DataFrame:
        """Videos by id (a link or an id the source already knows): ``videos.list``
        with up to 50 ids per call, 1 unit each, instead of a 100-unit search.
        Ids YouTube does not answer (deleted, private) are simply missing."""
        rows = []
        for batch in chunks(list(dict.fromkeys(ids)), CAPABILITIES.page_size_max):
            params = {"part": ["snippet", "contentDetails"], "id": batch}
            for video in self._get("videos.list", "/videos", params, cache=True).get("items") or []:
                row = video_row(video["id"], video.get("snippet") or {})
                details = video.get("contentDetails") or {}
                row["duration_ms"] = iso_duration_ms(details.get("duration"))
                rows.append(row)
        return frame_from(rows)

    def lookup_isrcs(self, isrcs: Sequence[str]) -> pl.DataFrame:
        """YouTube has no ISRC lookup: always empty, and costs nothing."""
        return frame_from([])

    def get_track(self, track_id: str) -> pl.DataFrame:
        """``videos.list(id=..)`` (1 unit): the video as one row, or an empty
        frame when YouTube does not know it."""
        params = {"part": ["snippet", "contentDetails"], "id": [track_id]}
        rows = []
        for video in self._get("videos.list", "/videos", params, cache=True).get("items") or []:
            if video.get("id") == track_id:
                row = video_row(video["id"], video.get("snippet") or {})
                row["duration_ms"] = iso_duration_ms(
                    (video.get("contentDetails") or {}).get("duration")
                )
                rows.append(row)
        return frame_from(rows[:1])

    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame:
        return self.search_many([query], limit)[0]

    def search_many(self, queries: Sequence[str], limit: int = 10) -> list[pl.DataFrame]:
        """One ``search.list`` (100 units) per query, then the durations of all
        their videos together: ``videos.list`` with up to 50 ids per call
        (1 unit each) instead of one call per search."""
        if any(not query.strip() for query in queries):
            raise UsageError("search query is empty")
        found = [self._search_rows(query, limit) for query in queries]
        every = [row for rows in found for row in rows]
        self._fill_durations(every)
        return [frame_from(rows) for rows in found]

    def _search_rows(self, query: str, limit: int) -> list[dict[str, Any]]:
        params = {
            "part": "snippet",
            "q": query,
            "type": "video",
            "videoCategoryId": MUSIC_CATEGORY,
            "maxResults": max(1, min(limit, CAPABILITIES.search_limit_max)),
        }
        results = self._get("search.list", "/search", params, cache=True).get("items") or []
        return [
            video_row(r["id"]["videoId"], r.get("snippet") or {})
            for r in results
            if (r.get("id") or {}).get("videoId")
        ]

    # -- writes ---------------------------------------------------------------------
    def create_playlist(
        self, name: str, description: str = "", public: bool = False
    ) -> PlaylistInfo:
        body = {
            "snippet": {"title": name, "description": description},
            "status": {"privacyStatus": "public" if public else "private"},
        }
        created = self._send(
            "playlists.insert",
            "POST",
            "/playlists",
            params={"part": ["snippet", "status"]},
            json=body,
        ).json()
        return PlaylistInfo(
            id=created["id"],
            name=(created.get("snippet") or {}).get("title") or name,
            owner_id=(created.get("snippet") or {}).get("channelId"),
            track_count=0,
            description=description or None,
            owned=True,
            version=created.get("etag"),
            url=f"https://www.youtube.com/playlist?list={created['id']}",
        )

    def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """One ``playlistItems.insert`` (50 units) per video, in order; an insert
        whose fate a failure left unknown is checked against the playlist's end."""

        def send(batch: list[str]) -> None:
            resource = {"kind": "youtube#video", "videoId": batch[0]}
            body = {"snippet": {"playlistId": playlist_id, "resourceId": resource}}
            self._send(
                "playlistItems.insert",
                "POST",
                "/playlistItems",
                params={"part": "snippet"},
                json=body,
            )

        def landed(previous: list[str], batch: list[str]) -> bool:
            # Two list calls (2 units) instead of reading the whole playlist:
            # its length, and where the video sits (playlistItems.list videoId=).
            params = {"part": "id", "playlistId": playlist_id, "maxResults": 1}
            page = self._get("playlistItems.list", "/playlistItems", params, cache=False)
            total = int((page.get("pageInfo") or {}).get("totalResults") or 0)
            entries = self._list(
                "playlistItems.list",
                "/playlistItems",
                {"part": "snippet", "playlistId": playlist_id, "videoId": batch[0]},
            )
            positions = {(e.get("snippet") or {}).get("position") for e in entries}
            return total - 1 in positions

        append_batches(chunks(list(track_ids), CAPABILITIES.add_batch_max), send, landed)

    def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Delete every entry of these videos, one ``playlistItems.delete`` each."""
        wanted = set(track_ids)
        for entry in self._entries(playlist_id):
            video_id = ((entry.get("snippet") or {}).get("resourceId") or {}).get("videoId")
            if video_id in wanted:
                self._send(
                    "playlistItems.delete", "DELETE", "/playlistItems", params={"id": entry["id"]}
                )

    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None:
        """Set ``snippet.position`` of each moved entry (``playlistItems.update``)."""
        entries = self._entries(playlist_id)
        count = len(entries)
        if range_start < 0 or range_length < 1 or range_start + range_length > count:
            raise UsageError(f"reorder range {range_start}+{range_length} is outside the playlist")
        if not 0 <= insert_before <= count:
            raise UsageError(f"insert_before {insert_before} is outside the playlist")
        target = insert_before if insert_before <= range_start else insert_before - range_length
        if target == range_start:
            return
        offsets = list(range(range_length))
        # Moving forward, place the last entry first so earlier ones keep their index.
        for k in reversed(offsets) if target > range_start else offsets:
            entry = entries[range_start + k]
            snippet = entry.get("snippet") or {}
            body = {
                "id": entry["id"],
                "snippet": {
                    "playlistId": playlist_id,
                    "resourceId": snippet.get("resourceId"),
                    "position": target + k,
                },
            }
            self._send(
                "playlistItems.update",
                "PUT",
                "/playlistItems",
                params={"part": "snippet"},
                json=body,
            )
