"""Streaming providers behind one interface, found by name.

>>> from engine.providers import provider_class
>>> provider_class("tidal").capabilities.add_batch_max
50

Built-in providers are registered exactly like outside ones would be, with
:func:`register` (a new class inherits :class:`ProviderDefaults` for the methods
with a default). Build a client with the process's one HTTP stack::

    config = provider_http_config("spotify", settings)
    http = runtime.http.session(config, user_key=user_id, token=token)
    spotify = build_provider("spotify", http, market="GB")
"""

from __future__ import annotations

from typing import Any

from engine.errors import UsageError
from engine.http.types import ProviderHttp, ProviderHttpConfig
from engine.providers.base import (
    AlbumInfo,
    Capabilities,
    PlaylistInfo,
    Provider,
    ProviderDefaults,
    UserInfo,
)
from engine.providers.deezer import Deezer
from engine.providers.spotify import Spotify
from engine.providers.tidal import Tidal
from engine.providers.youtube import YouTube
from engine.settings import Settings

PROVIDERS: dict[str, type[Provider]] = {}
"""Provider name -> class satisfying :class:`Provider`."""


def register(cls: type[Provider]) -> type[Provider]:
    """Add a provider class under its ``name`` (usable as a decorator)."""
    PROVIDERS[cls.name] = cls
    return cls


for _builtin in (Spotify, Deezer, Tidal, YouTube):
    register(_builtin)


def provider_class(name: str) -> type[Provider]:
    """The class registered as ``name``; UsageError listing the known names otherwise."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise UsageError(f"unknown provider {name!r} (known: {known})") from None


def build_provider(name: str, http: ProviderHttp, **options: Any) -> Provider:
    """A client for ``name`` over ``http`` (options such as ``market``/``country``)."""
    cls = provider_class(name)
    try:
        return cls(http, **options)  # type: ignore[call-arg]
    except TypeError as exc:
        raise UsageError(f"bad options for provider {name!r}: {exc}") from exc


def api_base_url(name: str, settings: Settings) -> str:
    """The real API base URL, or the sandbox's when ``settings.sandbox_url`` is set."""
    cls = provider_class(name)
    if settings.sandbox_url:
        # Imported here so the sandbox package may itself read provider capabilities.
        from engine.sandbox.urls import base_urls

        return base_urls(settings.sandbox_url)[name]["api"]
    return cls.default_base_url


def provider_http_config(name: str, settings: Settings) -> ProviderHttpConfig:
    """The HTTP stack configuration of provider ``name`` under these settings."""
    return provider_class(name).http_config(api_base_url(name, settings))


__all__ = [
    "PROVIDERS",
    "AlbumInfo",
    "Capabilities",
    "PlaylistInfo",
    "Provider",
    "ProviderDefaults",
    "UserInfo",
    "api_base_url",
    "build_provider",
    "provider_class",
    "provider_http_config",
    "register",
]
