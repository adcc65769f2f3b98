"""Fixtures of the sandbox tests (helpers live in sandbox_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sandbox_helpers import Clock, DiscoveryDoc, OpenApiDoc, catalogue_records, load_doc

from engine.sandbox import Sandbox
from engine.sandbox.state import SandboxConfig


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    return Sandbox.from_records(catalogue_records(), clock=clock)


@pytest.fixture
def make_sandbox(clock: Clock) -> Callable[..., Sandbox]:
    def make(count: int = 60, **config: Any) -> Sandbox:
        return Sandbox.from_records(
            catalogue_records(count), config=SandboxConfig(**config), clock=clock
        )

    return make


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sandbox.transport()) as http:
        yield http


@pytest.fixture(scope="session")
def spotify_doc() -> OpenApiDoc:
    return OpenApiDoc("spotify/openapi-excerpt.json", "/v1")


@pytest.fixture(scope="session")
def tidal_doc() -> OpenApiDoc:
    return OpenApiDoc("tidal/openapi-excerpt.json", "/v2")


@pytest.fixture(scope="session")
def youtube_doc() -> DiscoveryDoc:
    return DiscoveryDoc()


@pytest.fixture(scope="session")
def deezer_reference() -> dict[str, Any]:
    return load_doc("deezer/reference.json")
