"""A faithful local emulator of the Spotify, Deezer, TIDAL and YouTube APIs.

Mount it in-process::

    sandbox = Sandbox.from_catalog("catalog.csv")
    client = httpx.Client(transport=sandbox.transport())
    client.get(base_urls()["spotify"]["api"] + "/me", headers={"Authorization": "Bearer ..."})

or serve it on loopback with ``crossfade sandbox serve --catalog FILE``.
See ``docs/sandbox.md`` for the URL layout, sandbox-only behaviour and faults.
"""

from __future__ import annotations

from engine.sandbox.app import Sandbox
from engine.sandbox.server import SandboxServer
from engine.sandbox.state import SandboxConfig, TokenPair
from engine.sandbox.urls import DEFAULT_ROOT, PREFIXES, base_urls

__all__ = [
    "DEFAULT_ROOT",
    "PREFIXES",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "TokenPair",
    "base_urls",
]
