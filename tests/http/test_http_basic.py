"""Request building, auth styles and status mapping of the HTTP stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from engine.errors import AuthError, NotFoundError, ProviderError, UsageError
from engine.http import HttpFactory, ProviderHttpConfig, StaticToken
from engine.settings import Settings

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


def make_factory(settings: Settings, handler: Handler) -> HttpFactory:
    return HttpFactory(settings, transport=httpx.MockTransport(handler), sleep=lambda s: None)


@pytest.fixture
def factory_for(settings: Settings) -> Iterator[Callable[[Handler], HttpFactory]]:
    made: list[HttpFactory] = []

    def build(handler: Handler) -> HttpFactory:
        made.append(make_factory(settings, handler))
        return made[-1]

    yield build
    for factory in made:
        factory.close()


def test_bearer_auth_user_agent_and_params(factory_for, seen) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "me"})

    config = ProviderHttpConfig("spotify", "https://api.spotify.com/v1")
    http = factory_for(handler).session(config, user_key="u1", token=StaticToken("tok"))
    assert http.get_json("me", {"limit": 50, "market": None, "ids": ["a", "b"]}) == {"id": "me"}
    request = seen[0]
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["User-Agent"].startswith("Crossfade/")
    assert request.url.path == "/v1/me"
    assert request.url.params.multi_items() == [("limit", "50"), ("ids", "a"), ("ids", "b")]


def test_query_access_token_and_absolute_next_link(factory_for, seen) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": []})

    config = ProviderHttpConfig("deezer", "https://api.deezer.com", auth_style="query_access_token")
    http = factory_for(handler).session(config, user_key="u1", token=StaticToken("dz"))
    http.get_json(
        "https://api.deezer.com/user/me/playlists?index=25&f=a&f=b&access_token=old",
        {"limit": 10, "index": 50, "strict": True},
    )
    request = seen[0]
    assert "Authorization" not in request.headers
    assert request.url.params.get_list("access_token") == ["dz"]
    assert request.url.params.get_list("f") == ["a", "b"]  # repeated params survive
    assert request.url.params.get_list("index") == ["50"]  # params win over the link
    assert request.url.params["strict"] == "true"


def test_foreign_next_link_is_refused(factory_for) -> None:
    config = ProviderHttpConfig("deezer", "https://api.deezer.com", auth_style="query_access_token")
    http = factory_for(lambda r: httpx.Response(200)).session(
        config, user_key="u1", token=StaticToken("dz")
    )
    with pytest.raises(UsageError, match="refusing to send credentials"):
        http.get_json("https://evil.example/steal")


@pytest.mark.parametrize(
    ("code", "error", "kind"),
    [
        (404, NotFoundError, "not-found"),
        (400, ProviderError, "bad-request"),
        (403, ProviderError, "forbidden"),
    ],
)
def test_final_statuses_map_to_errors(factory_for, code, error, kind) -> None:
    config = ProviderHttpConfig("tidal", "https://openapi.tidal.com/v2")
    http = factory_for(lambda r: httpx.Response(code, json={"errors": [{"detail": "nope"}]}))
    session = http.session(config, user_key="u1", token=StaticToken("t"))
    with pytest.raises(error) as info:
        session.get_json("tracks/1")
    assert info.value.kind == kind
    assert "GET https://openapi.tidal.com/v2/tracks/1" in str(info.value)
    assert "nope" in str(info.value)


class CountingToken:
    def __init__(self) -> None:
        self.current = "old"
        self.refreshes = 0

    def access_token(self) -> str:
        return self.current

    def refresh(self) -> str:
        self.refreshes += 1
        self.current = f"new{self.refreshes}"
        return self.current


def test_401_refreshes_the_token_once_and_retries(factory_for) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        ok = request.headers["Authorization"] == "Bearer new1"
        return httpx.Response(200, json={"ok": True}) if ok else httpx.Response(401)

    token = CountingToken()
    config = ProviderHttpConfig("spotify", "https://api.spotify.com/v1")
    session = factory_for(handler).session(config, user_key="u1", token=token)
    assert session.get_json("me") == {"ok": True}
    assert token.refreshes == 1


def test_401_after_refresh_is_an_auth_error(factory_for) -> None:
    token = CountingToken()
    config = ProviderHttpConfig("spotify", "https://api.spotify.com/v1")
    session = factory_for(lambda r: httpx.Response(401)).session(config, user_key="u", token=token)
    with pytest.raises(AuthError):
        session.get_json("me")
    assert token.refreshes == 1


def test_non_json_body_is_a_clear_error(factory_for) -> None:
    config = ProviderHttpConfig("deezer", "https://api.deezer.com", auth_style="none")
    session = factory_for(lambda r: httpx.Response(200, text="<html>")).session(
        config, user_key="u", token=None
    )
    with pytest.raises(ProviderError, match="not JSON"):
        session.get_json("track/3135556")
