"""The registry, the per-provider HTTP configuration and shared helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ProviderUnavailableError, UsageError
from engine.http.types import StaticToken
from engine.providers import (
    PROVIDERS,
    Provider,
    api_base_url,
    build_provider,
    provider_class,
    provider_http_config,
)
from engine.providers._common import append_batches, tail_check
from engine.settings import Settings

REAL = {
    "spotify": "https://api.spotify.com/v1",
    "deezer": "https://api.deezer.com",
    "tidal": "https://openapi.tidal.com/v2",
    "youtube": "https://youtube.googleapis.com/youtube/v3",
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_and_sandbox_base_urls(tmp_path: Path, name: str) -> None:
    real = Settings(data_dir=tmp_path)
    assert provider_http_config(name, real).base_url == REAL[name]
    sandboxed = Settings(data_dir=tmp_path, sandbox_url="http://127.0.0.1:8765/")
    assert api_base_url(name, sandboxed).startswith("http://127.0.0.1:8765/")
    config = provider_http_config(name, sandboxed)
    assert config.provider == name
    assert config.check_response is not None
    expected_auth = "query_access_token" if name == "deezer" else "bearer"
    assert config.auth_style == expected_auth


def test_every_builtin_satisfies_the_protocol_and_cites_its_numbers() -> None:
    assert sorted(PROVIDERS) == ["deezer", "spotify", "tidal", "youtube"]
    for name, cls in PROVIDERS.items():
        assert cls.name == name
        caps = cls.capabilities
        assert caps.add_batch_max >= 1
        assert caps.page_size_max >= 1
        if caps.isrc_lookup == "none":
            assert caps.isrc_batch_max == 0
    assert provider_class("spotify").capabilities.add_batch_max == 100
    assert provider_class("tidal").capabilities.add_batch_max == 50
    assert provider_class("youtube").capabilities.method_costs["search.list"] == 100


def test_unknown_provider_and_bad_options(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="known: deezer, spotify, tidal, youtube"):
        provider_class("napster")

    class NoHttp:
        provider = "spotify"

    with pytest.raises(UsageError, match="bad options"):
        build_provider("spotify", NoHttp(), colour="red")  # type: ignore[arg-type]
    client = build_provider("spotify", NoHttp(), market="GB")  # type: ignore[arg-type]
    assert isinstance(client, Provider)
    assert StaticToken("t").refresh() == "t"


def test_append_batches_gives_up_when_a_batch_never_lands() -> None:
    sent: list[list[str]] = []

    def send(batch: list[str]) -> None:
        sent.append(batch)
        raise ProviderUnavailableError("down", provider="x")

    with pytest.raises(ProviderUnavailableError):
        append_batches([["a", "b"]], send, tail_check(lambda n: []), attempts=3)
    assert sent == [["a", "b"]] * 3


def test_append_batches_does_not_resend_a_landed_batch() -> None:
    playlist: list[str] = []
    failures = iter([True, False, False])

    def send(batch: list[str]) -> None:
        playlist.extend(batch)
        if next(failures):
            raise ProviderUnavailableError("answer lost", provider="x")

    append_batches([["a", "b"], ["c"]], send, tail_check(lambda n: playlist[-n:]))
    assert playlist == ["a", "b", "c"]


def test_append_batches_resends_a_repeated_track_that_did_not_land() -> None:
    playlist: list[str] = []
    failures = iter([False, True, False])

    def send(batch: list[str]) -> None:
        if next(failures):
            raise ProviderUnavailableError("refused before applying", provider="x")
        playlist.extend(batch)

    append_batches([["a"], ["a"]], send, tail_check(lambda n: playlist[-n:]))
    assert playlist == ["a", "a"]
