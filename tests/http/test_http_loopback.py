"""The stack over real sockets: the sandbox served on loopback, with injected
timeouts and dropped connections, and no transport passed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import ProviderUnavailableError
from engine.http import HttpFactory, StaticToken
from engine.providers import provider_http_config
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings


@pytest.fixture
def served() -> Iterator[SandboxServer]:
    records = [{"title": "Loop", "artists": ["Back"], "isrc": "QZLOOP000001", "duration_ms": 1000}]
    sandbox = Sandbox.from_records(records, config=SandboxConfig(timeout_sleep_s=1.0))
    with SandboxServer(sandbox) as server:
        yield server


@pytest.fixture
def stack(served: SandboxServer, tmp_path: Path) -> Iterator[tuple[HttpFactory, Settings]]:
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path, sandbox_url=served.url, http_timeout_s=0.3
    )
    sleeps: list[float] = []
    with HttpFactory(settings, sleep=sleeps.append) as factory:
        yield factory, settings


def spotify(served: SandboxServer, factory: HttpFactory, settings: Settings):
    pair = served.sandbox.issue_token("spotify")
    config = provider_http_config("spotify", settings)
    return factory.session(config, user_key=pair.user_id, token=StaticToken(pair.access_token))


def test_timeouts_and_dropped_connections_are_retried_over_sockets(served, stack) -> None:
    factory, settings = stack
    http = spotify(served, factory, settings)
    served.sandbox.faults.fail_next(1, "timeout", "spotify")
    served.sandbox.faults.fail_next(1, "drop", "spotify")
    assert http.get_json("me", cache=False)["id"]
    figures = factory.counters("spotify")
    assert figures["requests"] == 3
    assert figures["attempt_errors"] == {"timeout": 1, "transport_error": 1}


def test_a_post_that_timed_out_is_not_sent_again(served, stack) -> None:
    factory, settings = stack
    http = spotify(served, factory, settings)
    served.sandbox.faults.fail_next(1, "timeout", "spotify")
    with pytest.raises(ProviderUnavailableError, match=r"timed out.*may have been applied"):
        http.send("POST", "me/playlists", json={"name": "Once"})
    assert served.sandbox.log.count("spotify", "POST") == 1
