"""The sandbox as one pure handler: ``httpx.Request -> httpx.Response``.

:class:`Sandbox` routes a request by path prefix (see :mod:`engine.sandbox.urls`)
to the emulated API or OAuth endpoint, applies injected faults, and logs it.
Tests mount it with ``httpx.Client(transport=sandbox.transport())``; the
server (:mod:`engine.sandbox.server`) calls the same :meth:`Sandbox.handle`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from engine.errors import NotFoundError, UsageError
from engine.sandbox.base import ProviderApi
from engine.sandbox.catalog import PROVIDERS, Catalog, catalog_from_records, load_catalog
from engine.sandbox.control import ControlEndpoints
from engine.sandbox.deezer import DeezerApi
from engine.sandbox.faults import FaultPlan, RequestLog, RequestRecord
from engine.sandbox.oauth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER,
    OAuthEndpoints,
)
from engine.sandbox.spotify import SpotifyApi
from engine.sandbox.state import ALL_SCOPES, App, Clock, SandboxConfig, SandboxState, TokenPair
from engine.sandbox.tidal import TidalApi
from engine.sandbox.urls import CONTROL_PREFIX, PREFIXES
from engine.sandbox.wire import ApiError, SandboxRequest, json_response
from engine.sandbox.youtube import YoutubeApi

_REDACT = re.compile(r"\b(access_token|code|refresh_token|code_verifier|secret)=[^&]*")
"""Secrets never reach the request log (it is readable through /_sandbox/log)."""

_API_CLASSES: dict[str, type[ProviderApi]] = {
    "spotify": SpotifyApi,
    "deezer": DeezerApi,
    "tidal": TidalApi,
    "youtube": YoutubeApi,
}


class Sandbox:
    """All four emulated APIs, their OAuth endpoints and a control API."""

    def __init__(
        self,
        catalog: Catalog,
        config: SandboxConfig | None = None,
        *,
        seed: int = 0,
        clock: Clock = time.time,
    ) -> None:
        self.state = SandboxState(catalog, config or SandboxConfig(), clock)
        self.faults = FaultPlan(seed)
        self.log = RequestLog()
        self.apis: dict[str, ProviderApi] = {p: cls(self.state) for p, cls in _API_CLASSES.items()}
        self.oauth = {p: OAuthEndpoints(self.state, p) for p in PROVIDERS}
        self.control = ControlEndpoints(self)
        for provider in PROVIDERS:
            self.register_app(provider, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self._routes = sorted(
            (
                (path, provider, key)
                for provider, paths in PREFIXES.items()
                for key, path in paths.items()
            ),
            key=lambda route: -len(route[0]),
        )

    # construction ----------------------------------------------------------------
    @classmethod
    def from_catalog(cls, path: str | Path, **kwargs: Any) -> Sandbox:
        """A sandbox seeded from a catalogue file (PIF, CSV...)."""
        return cls(load_catalog(path), **kwargs)

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], **kwargs: Any) -> Sandbox:
        """A sandbox seeded from dict records with canonical column names."""
        return cls(catalog_from_records(records), **kwargs)

    @property
    def catalog(self) -> Catalog:
        return self.state.catalog

    @property
    def config(self) -> SandboxConfig:
        return self.state.config

    # the handler ------------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this sandbox, in-process."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the emulated provider would.

        Raises ``httpx.ReadTimeout`` / ``httpx.RemoteProtocolError`` for injected
        timeouts and dropped connections, as a real transport would.
        """
        path = request.url.path
        if path.startswith(CONTROL_PREFIX + "/") or path == CONTROL_PREFIX:
            sandbox_request = SandboxRequest.from_httpx(request, CONTROL_PREFIX)
            with self.state.lock:
                return self.control.handle(sandbox_request)
        route = self._route(path)
        if route is None:
            return httpx.Response(404, text="Not Found")
        prefix, provider, endpoint = route
        target = provider if endpoint == "api" else "oauth"
        fault = self.faults.decide(target)
        query = _REDACT.sub(r"\1=REDACTED", request.url.query.decode())
        record = RequestRecord(provider, request.method, path, query, None, fault)
        self.log.add(record)
        if fault in ("timeout", "drop"):
            raise _lost(fault, request)
        sandbox_request = SandboxRequest.from_httpx(request, prefix)
        with self.state.lock:
            if fault and not fault.endswith("-after"):
                response = self._fault_response(provider, fault)
            elif endpoint == "api":
                response = self.apis[provider].handle(sandbox_request)
            elif endpoint == "authorize":
                response = self.oauth[provider].authorize(sandbox_request)
            elif endpoint == "revoke":
                response = self.oauth[provider].revoke(sandbox_request)
            else:
                response = self.oauth[provider].token(sandbox_request)
        record.status = response.status_code
        if fault and fault.endswith("-after"):  # it took effect, but the answer is lost
            raise _lost(fault.removesuffix("-after"), request)
        return response

    def _route(self, path: str) -> tuple[str, str, str] | None:
        for prefix, provider, key in self._routes:
            if path == prefix or path.startswith(prefix + "/"):
                if key != "api" and path != prefix:
                    continue
                return prefix, provider, key
        return None

    def _fault_response(self, provider: str, fault: str) -> httpx.Response:
        api = self.apis[provider]
        if fault == "quota":
            return api.quota_response()
        if fault.startswith("429"):
            if provider == "deezer":  # Deezer signals rate limits only by code 4 in a 200
                return api.quota_response()
            headers = {"429": {"Retry-After": "1"}, "429-zero": {"Retry-After": "0"}}.get(fault, {})
            if fault == "429-empty":
                return httpx.Response(429, content=b"")
            reason = "rateLimitExceeded" if provider == "youtube" else None
            message = "Rate limit exceeded" if provider != "spotify" else "API rate limit exceeded"
            return api.render_error(ApiError(429, message, headers=headers, reason=reason))
        status = int(fault)
        if provider == "deezer":
            return httpx.Response(
                status,
                text="<html><body>Service Unavailable</body></html>",
                headers={"content-type": "text/html"},
            )
        reason = "backendError" if provider == "youtube" else None
        return api.render_error(ApiError(status, "Server error", reason=reason))

    # Python control API ---------------------------------------------------------------------
    def register_app(
        self, provider: str, client_id: str, client_secret: str, redirect_uris: Sequence[str] = ()
    ) -> App:
        """Register an OAuth client; empty ``redirect_uris`` allows any loopback URI."""
        _check_provider(provider)
        with self.state.lock:
            return self.state.register_app(
                App(provider, client_id, client_secret, tuple(redirect_uris))
            )

    def issue_token(
        self,
        provider: str,
        user: str = DEFAULT_USER,
        scopes: Sequence[str] | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
    ) -> TokenPair:
        """Tokens for ``user`` without the browser flow (tests, benchmarks)."""
        _check_provider(provider)
        with self.state.lock:
            granted = tuple(scopes) if scopes is not None else ALL_SCOPES[provider]
            return self.state.issue(provider, user, client_id, granted)

    def expire_tokens(self, provider: str | None = None, user: str | None = None) -> int:
        """Expire matching access tokens now (the next call gets a 401)."""
        with self.state.lock:
            return self.state.expire_access_tokens(provider, user)

    def revoke_refresh_tokens(self, provider: str | None = None, user: str | None = None) -> int:
        """Revoke matching refresh tokens (the next refresh gets ``invalid_grant``)."""
        with self.state.lock:
            return self.state.revoke_refresh_tokens(provider, user)

    def seed_library(
        self,
        provider: str,
        user: str = DEFAULT_USER,
        liked: Sequence[str] = (),
        saved_albums: Sequence[str] = (),
    ) -> None:
        """Put catalogue tracks (provider ids) and albums in a user's library."""
        _check_provider(provider)
        with self.state.lock:
            library = self.state.library(provider, user)
            now = self.state.clock()
            for track_id in liked:
                if self.catalog.track(provider, track_id) is None:
                    raise NotFoundError(f"{provider}: no catalogue track {track_id}")
                library.liked.append((track_id, now))
            for album_id in saved_albums:
                if self.catalog.album(provider, album_id) is None:
                    raise NotFoundError(f"{provider}: no catalogue album {album_id}")
                library.saved_albums.append((album_id, now))

    def seed_playlist(
        self,
        provider: str,
        user: str,
        name: str,
        track_ids: Sequence[str] = (),
        *,
        public: bool = False,
        followers: Sequence[str] = (),
    ) -> str:
        """Create a playlist owned by ``user`` (optionally followed by others); its id."""
        _check_provider(provider)
        with self.state.lock:
            playlist = self.state.create_playlist(provider, user, name, public=public)
            for track_id in track_ids:
                if self.catalog.track(provider, track_id) is None:
                    raise NotFoundError(f"{provider}: no catalogue track {track_id}")
            playlist.items = self.state.new_items(playlist, list(track_ids), user)
            for follower in followers:
                playlist.followers.add(follower)
                self.state.library(provider, follower).playlists.insert(0, playlist.id)
            return playlist.id

    def playlist_track_ids(self, provider: str, playlist_id: str) -> list[str]:
        """The track ids of a playlist, in order (for assertions and benchmarks)."""
        with self.state.lock:
            playlist = self.state.playlist(provider, playlist_id)
            if playlist is None:
                raise NotFoundError(f"{provider}: no playlist {playlist_id}")
            return [item.track_id for item in playlist.items]

    def quota_used(self, client_id: str = DEFAULT_CLIENT_ID) -> int:
        """YouTube units spent today by ``client_id``."""
        api = self.apis["youtube"]
        assert isinstance(api, YoutubeApi)
        with self.state.lock:
            return api.units_used(client_id)

    def summary(self) -> dict[str, Any]:
        """Counts for the control endpoint and the CLI."""
        return {
            "tracks": len(self.catalog),
            "requests": dict(self.log.counts),
            "playlists": len(self.state.playlists),
            "users": len(self.state.users),
        }

    def status_response(self) -> httpx.Response:
        return json_response(200, self.summary())


def _lost(kind: str, request: httpx.Request) -> httpx.TransportError:
    if kind == "timeout":
        return httpx.ReadTimeout("sandbox: injected timeout", request=request)
    return httpx.RemoteProtocolError("sandbox: injected dropped connection", request=request)


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise UsageError(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
