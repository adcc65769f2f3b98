"""ETag revalidation end to end: YouTube client -> HTTP stack (cache, If-None-Match)
-> in-process sandbox (ETag header = the body's documented ``etag``, 304 when it
still matches). Time is a fake wall clock so the cached entry goes stale."""

from __future__ import annotations

from pathlib import Path

import httpx
from provider_world import catalog_records

from engine.http.factory import HttpFactory
from engine.http.types import StaticToken
from engine.providers import build_provider, provider_http_config
from engine.providers.youtube import YouTube
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.oauth import DEFAULT_USER
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings


class Recording(httpx.BaseTransport):
    """The sandbox, noting (path, status, If-None-Match sent) of every request."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sent: list[tuple[str, int, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.sandbox.handle(request)
        self.sent.append(
            (request.url.path, response.status_code, request.headers.get("if-none-match"))
        )
        return response


class WallClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_stale_youtube_reads_are_revalidated_against_the_sandbox(tmp_path: Path) -> None:
    sandbox = Sandbox.from_records(catalog_records(), config=SandboxConfig(deezer_quota=None))
    settings = Settings(data_dir=tmp_path, sandbox_url=DEFAULT_ROOT, env="test")
    clock = WallClock()
    transport = Recording(sandbox)
    sent = transport.sent
    with HttpFactory(
        settings, transport=transport, cache_dir=tmp_path / "cache", wall_clock=clock
    ) as factory:
        pair = sandbox.issue_token("youtube")
        http = factory.session(
            provider_http_config("youtube", settings),
            user_key="youtube:etag",
            token=StaticToken(pair.access_token),
        )
        client = build_provider("youtube", http)
        assert isinstance(client, YouTube)

        first = client.search_tracks("Song number 001", limit=3)
        assert [s[1] for s in sent] == [200, 200]  # search.list, videos.list
        clock.now += 10  # fresh: answered from the cache, nothing sent
        assert client.search_tracks("Song number 001", limit=3).equals(first)
        assert len(sent) == 2
        clock.now += settings.http_cache_ttl_s + 1  # stale: revalidated
        again = client.search_tracks("Song number 001", limit=3)
        assert again.equals(first)
        assert [(s[1], s[2] is not None) for s in sent[2:]] == [(304, True), (304, True)]
        figures = factory.counters("youtube")
        assert figures["revalidations"] == 2 and figures["cache_hits"] >= 2

        # a listing whose content changed answers 200 with the new body
        playlist_id = sandbox.seed_playlist("youtube", DEFAULT_USER, "Etag", [])
        params = {"part": "snippet", "playlistId": playlist_id, "maxResults": 50}
        empty = http.get_json("/playlistItems", params)
        video = sandbox.catalog.tracks[0].ids["youtube"]
        client.add_items(playlist_id, [video])
        clock.now += settings.http_cache_ttl_s + 1
        changed = http.get_json("/playlistItems", params)
        assert sent[-1][1:] == (200, f'"{empty["etag"]}"')  # asked with the old tag
        assert empty["items"] == [] and len(changed["items"]) == 1
        assert changed["etag"] != empty["etag"]
