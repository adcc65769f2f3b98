"""Every endpoint the sandbox serves is one the provider documents show."""

from __future__ import annotations

import re
from typing import Any

from sandbox_helpers import load_doc

from engine.sandbox import Sandbox


def routes(sandbox: Sandbox, provider: str) -> set[tuple[str, str]]:
    """(method, path template) of every route of one emulated API."""
    out = set()
    for method, regex, _handler, _scopes in sandbox.apis[provider].router._routes:
        template = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", regex.pattern)
        out.add((method, template.strip("^$")))
    return out


def openapi_routes(name: str) -> set[tuple[str, str]]:
    doc = load_doc(name)
    return {
        (method.upper(), path)
        for path, ops in doc["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_spotify_and_tidal_routes_are_in_their_openapi(sandbox: Sandbox) -> None:
    for provider, doc in (
        ("spotify", "spotify/openapi-excerpt.json"),
        ("tidal", "tidal/openapi-excerpt.json"),
    ):
        served = routes(sandbox, provider)
        undocumented = served - openapi_routes(doc)
        assert not undocumented, f"{provider} serves undocumented endpoints: {undocumented}"
        assert len(served) > 10


def test_youtube_routes_are_discovery_methods(sandbox: Sandbox) -> None:
    doc = load_doc("youtube/discovery-excerpt.json")
    documented = {
        (m["httpMethod"], "/" + m["path"].removeprefix("youtube/v3/"))
        for resource in doc["resources"].values()
        for m in resource["methods"].values()
    }
    served = routes(sandbox, "youtube")
    assert served <= documented, served - documented


def test_deezer_routes_are_in_the_reference(sandbox: Sandbox) -> None:
    reference: dict[str, Any] = load_doc("deezer/reference.json")
    derived = {(e["method"], e["path"]) for e in reference["endpoints"]}
    objects = reference["objects"]
    connections = {c["Name"] for o in objects.values() for c in (o["tab_connections"] or [])}
    actions = {
        (name, a["request_method"]) for name, o in objects.items() for a in (o["tab_actions"] or [])
    }
    # sandbox route -> where the reference shows it
    evidence: dict[tuple[str, str], bool] = {
        ("GET", "/user/{user}"): "user" in objects,
        ("GET", "/user/{user}/playlists"): "user / playlists" in connections,
        ("GET", "/user/{user}/tracks"): "user / tracks" in connections,
        ("GET", "/user/{user}/albums"): "user / albums" in connections,
        ("POST", "/user/me/playlists"): ("POST", "/user/{id|me}/playlists") in derived,
        ("DELETE", "/user/me/playlists"): ("DELETE", "/user/me/playlists") in derived,
        ("GET", "/playlist/{playlist_id}"): ("GET", "/playlist/{id}") in derived,
        ("POST", "/playlist/{playlist_id}"): ("playlist", "POST") in actions,
        ("DELETE", "/playlist/{playlist_id}"): ("playlist", "DELETE") in actions,
        ("GET", "/playlist/{playlist_id}/tracks"): ("GET", "/playlist/{id}/tracks") in derived,
        ("POST", "/playlist/{playlist_id}/tracks"): ("POST", "/playlist/{id}/tracks") in derived,
        ("DELETE", "/playlist/{playlist_id}/tracks"): ("DELETE", "/playlist/{id}/tracks")
        in derived,
        ("GET", "/track/{track_id}"): ("GET", "/track/isrc:{ISRC}") in derived,
        ("GET", "/album/{album_id}"): "album" in objects,
        ("GET", "/search"): "search / track" in connections,
        ("GET", "/search/track"): "search / track" in connections,
    }
    assert all(evidence.values()), [route for route, ok in evidence.items() if not ok]
    assert routes(sandbox, "deezer") <= set(evidence)
