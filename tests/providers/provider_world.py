"""Provider clients wired exactly as in production (HttpFactory + registry),
talking to the in-process sandbox through a transport that records every
request for the conformance checks. The ``world`` fixture is in conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from provider_conformance import RecordingTransport

from engine.http.factory import HttpFactory
from engine.http.types import StaticToken
from engine.providers import build_provider, provider_http_config
from engine.providers.base import Provider
from engine.sandbox import DEFAULT_ROOT, Sandbox, base_urls
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings

CATALOG_SIZE = 160


def catalog_records(count: int = CATALOG_SIZE) -> list[dict[str, Any]]:
    """Tracks with ISRCs, a few artists and albums, distinct titles."""
    return [
        {
            "title": f"Song number {i:03d}",
            "artists": [f"Artist {i % 9}"],
            "album": f"Album {i % 13}",
            "isrc": f"GBXYZ26{i:05d}",
            "duration_ms": 180_000 + i * 1000,
            "release_date": "2020-01-01",
        }
        for i in range(count)
    ]


@dataclass
class World:
    """One sandbox, one recording transport, one HTTP factory."""

    sandbox: Sandbox
    recorder: RecordingTransport
    factory: HttpFactory
    settings: Settings
    sleeps: list[float] = field(default_factory=list)

    def client(self, name: str, user: str | None = None, **options: Any) -> Provider:
        """A provider client for ``user`` (the sandbox's default user if None)."""
        pair = self.sandbox.issue_token(name, user) if user else self.sandbox.issue_token(name)
        http = self.factory.session(
            provider_http_config(name, self.settings),
            user_key=f"{name}:{pair.user_id}",
            token=StaticToken(pair.access_token),
        )
        return build_provider(name, http, **options)

    def ids(self, name: str, count: int, start: int = 0) -> list[str]:
        """Provider ids of catalogue tracks ``start..start+count``."""
        records = catalog_records()[start : start + count]
        return [self.sandbox.catalog.by_isrc(name, r["isrc"])[0].id_for(name) for r in records]

    def base_url(self, name: str) -> str:
        return base_urls(DEFAULT_ROOT)[name]["api"]

    def sent(self, name: str) -> list[Any]:
        prefix = httpx.URL(self.base_url(name)).path + "/"
        return [s for s in self.recorder.sent if s.url.path.startswith(prefix)]


def make_world(
    tmp_path: Path,
    config: SandboxConfig | None = None,
    handler: Callable[[Sandbox], Callable[[httpx.Request], httpx.Response]] | None = None,
) -> Iterator[World]:
    sandbox = Sandbox.from_records(
        catalog_records(), config=config or SandboxConfig(deezer_quota=None)
    )
    recorder = RecordingTransport(handler(sandbox) if handler else sandbox.handle)
    settings = Settings(data_dir=tmp_path, sandbox_url=DEFAULT_ROOT, env="test")
    sleeps: list[float] = []
    factory = HttpFactory(
        settings, transport=recorder, cache_dir=tmp_path / "cache", sleep=sleeps.append
    )
    try:
        yield World(sandbox, recorder, factory, settings, sleeps)
    finally:
        factory.close()
