"""Mutable sandbox state: apps, users, tokens, libraries, playlists, quotas.

All of it lives in one :class:`SandboxState` guarded by one re-entrant lock;
the request handler holds the lock for the whole of one request, so state
changes are atomic per request and the threaded server is safe.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engine.sandbox.catalog import PROVIDERS, Catalog, derive_id

Clock = Callable[[], float]

ALL_SCOPES: dict[str, tuple[str, ...]] = {
    "spotify": (
        "user-read-private",
        "user-read-email",
        "playlist-read-private",
        "playlist-read-collaborative",
        "playlist-modify-public",
        "playlist-modify-private",
        "user-library-read",
        "user-library-modify",
    ),
    "deezer": (
        "basic_access",
        "email",
        "offline_access",
        "manage_library",
        "delete_library",
    ),
    "tidal": (
        "user.read",
        "collection.read",
        "collection.write",
        "playlists.read",
        "playlists.write",
        "search.read",
    ),
    "youtube": ("https://www.googleapis.com/auth/youtube",),
}
"""Every scope the sandbox grants by default (what Crossfade asks for)."""


@dataclass
class SandboxConfig:
    """Limits the sandbox enforces; defaults follow the providers' documents."""

    access_token_ttl_s: int = 3600
    """Lifetime of access tokens (Spotify/TIDAL/Google say 3600 s)."""
    auth_code_ttl_s: int = 600
    deezer_quota: tuple[int, float] | None = (50, 5.0)
    """Deezer: at most N requests per window seconds, else error code 4."""
    spotify_rate: tuple[int, float] | None = None
    """Spotify rolling window (requests, seconds) -> 429 with Retry-After; off by default."""
    tidal_rate: tuple[int, float] | None = None
    """TIDAL rolling window -> 429 JSON:API error with Retry-After; off by default."""
    youtube_daily_units: int | None = 10_000
    """YouTube Data API default daily allocation per project (client id)."""
    youtube_costs: dict[str, int] = field(
        default_factory=lambda: {
            "playlists.list": 1,
            "playlists.insert": 50,
            "playlists.update": 50,
            "playlists.delete": 50,
            "playlistItems.list": 1,
            "playlistItems.insert": 50,
            "playlistItems.update": 50,
            "playlistItems.delete": 50,
            "search.list": 100,
            "videos.list": 1,
            "videos.rate": 50,
            "channels.list": 1,
        }
    )
    max_playlist_size: dict[str, int | None] = field(
        default_factory=lambda: dict.fromkeys(PROVIDERS)
    )
    """Per provider; the documents give no number, so unlimited unless set."""
    deezer_short_pages: bool = True
    """Every other Deezer page comes back one item short (clients must follow ``next``)."""
    tidal_page_size: int = 20
    tidal_filter_max: int = 20
    """Most values one ``filter[...]`` takes on TIDAL (not documented; page-sized)."""
    timeout_sleep_s: float = 30.0
    """How long the real server sleeps to emulate a timeout."""


@dataclass
class App:
    provider: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()
    """Empty means any loopback URI (``http://127.0.0.1:*`` / ``http://localhost:*``)."""


@dataclass
class User:
    provider: str
    id: str
    display_name: str
    country: str = "US"


@dataclass
class AccessToken:
    token: str
    provider: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float | None


@dataclass
class RefreshToken:
    token: str
    provider: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    single_use: bool
    revoked: bool = False
    used: bool = False


@dataclass
class AuthCode:
    code: str
    provider: str
    client_id: str
    redirect_uri: str
    code_challenge: str | None
    challenge_method: str | None
    scopes: tuple[str, ...]
    user_id: str
    expires_at: float
    used: bool = False


@dataclass
class PlaylistItem:
    item_id: str
    track_id: str
    added_at: float
    added_by: str


@dataclass
class Playlist:
    provider: str
    id: str
    owner: str
    name: str
    description: str = ""
    public: bool = False
    items: list[PlaylistItem] = field(default_factory=list)
    version: int = 1
    created_at: float = 0.0
    modified_at: float = 0.0
    followers: set[str] = field(default_factory=set)

    @property
    def snapshot_id(self) -> str:
        return derive_id("spotify", self.id, self.version) + f"{self.version:08d}"


@dataclass
class Library:
    liked: list[tuple[str, float]] = field(default_factory=list)
    saved_albums: list[tuple[str, float]] = field(default_factory=list)
    playlists: list[str] = field(default_factory=list)
    """Owned and followed playlist ids, newest first as the APIs list them."""


@dataclass
class TokenPair:
    """What the tests and the bench get from :meth:`Sandbox.issue_token`."""

    provider: str
    user_id: str
    access_token: str
    refresh_token: str | None
    expires_in: int | None


class SandboxState:
    """Everything the emulated services remember."""

    def __init__(self, catalog: Catalog, config: SandboxConfig, clock: Clock = time.time) -> None:
        self.catalog = catalog
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.apps: dict[tuple[str, str], App] = {}
        self.users: dict[tuple[str, str], User] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}
        self.libraries: dict[tuple[str, str], Library] = {}
        self.playlists: dict[tuple[str, str], Playlist] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, Any]] = {}
        self.windows: dict[str, deque[float]] = {}
        self.youtube_units: dict[tuple[str, str], int] = {}
        self._serial = 0

    # ids -----------------------------------------------------------------
    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def new_id(self, provider: str, kind: str) -> str:
        return derive_id(provider, kind, self.next_serial(), id(self))

    @staticmethod
    def new_secret(prefix: str) -> str:
        return f"{prefix}-{secrets.token_urlsafe(24)}"

    # users and apps --------------------------------------------------------
    def register_app(self, app: App) -> App:
        self.apps[(app.provider, app.client_id)] = app
        return app

    def user(self, provider: str, user_id: str) -> User:
        key = (provider, user_id)
        if key not in self.users:
            self.users[key] = User(provider, user_id, display_name=user_id.title())
        return self.users[key]

    @staticmethod
    def catalog_artist_id(provider: str, name: str) -> str:
        return derive_id(provider, "artist", name)

    def library(self, provider: str, user_id: str) -> Library:
        return self.libraries.setdefault((provider, user_id), Library())

    # tokens ----------------------------------------------------------------
    def issue(
        self,
        provider: str,
        user_id: str,
        client_id: str,
        scopes: tuple[str, ...],
        *,
        offline: bool = True,
    ) -> TokenPair:
        """New access (and, except on Deezer, refresh) token for a user."""
        self.user(provider, user_id)
        ttl: int | None = self.config.access_token_ttl_s
        if provider == "deezer" and offline:
            ttl = None  # offline_access: expires=0, never expires
        access = self.new_secret(f"{provider[:2]}at")
        expires_at = None if ttl is None else self.clock() + ttl
        self.access[access] = AccessToken(access, provider, user_id, client_id, scopes, expires_at)
        refresh = None
        if provider != "deezer" and offline:
            refresh = self.new_secret(f"{provider[:2]}rt")
            self.refresh[refresh] = RefreshToken(
                refresh, provider, user_id, client_id, scopes, single_use=provider == "spotify"
            )
        return TokenPair(provider, user_id, access, refresh, ttl)

    def valid_access(self, provider: str, token: str | None) -> AccessToken | None:
        if not token:
            return None
        found = self.access.get(token)
        if found is None or found.provider != provider:
            return None
        if found.expires_at is not None and self.clock() >= found.expires_at:
            return None
        return found

    def expire_access_tokens(self, provider: str | None = None, user_id: str | None = None) -> int:
        """Make matching access tokens expired now; returns how many."""
        tokens = _matching(self.access.values(), provider, user_id)
        for token in tokens:
            token.expires_at = self.clock() - 1
        return len(tokens)

    def revoke_refresh_tokens(self, provider: str | None = None, user_id: str | None = None) -> int:
        tokens = _matching(self.refresh.values(), provider, user_id)
        for token in tokens:
            token.revoked = True
        return len(tokens)

    # rate windows ------------------------------------------------------------
    def hit_window(self, name: str, limit: tuple[int, float] | None) -> float | None:
        """Count one request in a rolling window; seconds to wait when over the limit."""
        if limit is None:
            return None
        count, span = limit
        now = self.clock()
        window = self.windows.setdefault(name, deque())
        while window and window[0] <= now - span:
            window.popleft()
        if len(window) >= count:
            return max(0.0, window[0] + span - now)
        window.append(now)
        return None

    # playlists ---------------------------------------------------------------
    def create_playlist(
        self, provider: str, owner: str, name: str, description: str = "", public: bool = False
    ) -> Playlist:
        now = self.clock()
        playlist = Playlist(
            provider,
            self.new_id(provider, "playlist"),
            owner,
            name,
            description,
            public,
            created_at=now,
            modified_at=now,
        )
        self.playlists[(provider, playlist.id)] = playlist
        self.library(provider, owner).playlists.insert(0, playlist.id)
        return playlist

    def playlist(self, provider: str, playlist_id: str) -> Playlist | None:
        return self.playlists.get((provider, playlist_id))

    def new_items(
        self, playlist: Playlist, track_ids: list[str], user_id: str
    ) -> list[PlaylistItem]:
        now = self.clock()
        return [
            PlaylistItem(self.new_id(playlist.provider, "item"), track_id, now, user_id)
            for track_id in track_ids
        ]

    def touch(self, playlist: Playlist) -> None:
        playlist.version += 1
        playlist.modified_at = self.clock()

    def room_left(self, playlist: Playlist) -> int | None:
        limit = self.config.max_playlist_size.get(playlist.provider)
        return None if limit is None else limit - len(playlist.items)


_TokenT = TypeVar("_TokenT", AccessToken, RefreshToken)


def _matching(
    tokens: Iterable[_TokenT], provider: str | None, user_id: str | None
) -> list[_TokenT]:
    """The tokens of ``provider`` and ``user_id`` (None matches any)."""
    return [t for t in tokens if provider in (None, t.provider) and user_id in (None, t.user_id)]
