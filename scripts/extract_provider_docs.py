"""Extract the parts of the provider documents that Crossfade uses into small
fixture files under ``tests/fixtures/providers/`` (tests never read ../shared).

    python scripts/extract_provider_docs.py [--reference ../shared/reference/providers]

Writes, for each provider, only the endpoints the clients and the sandbox use,
plus every schema those endpoints reference (the ``$ref`` closure), so that
conformance tests can validate requests and responses offline:

* ``spotify/openapi-excerpt.json``           current OpenAPI (2026 changes included)
* ``spotify/openapi-pre-2026-excerpt.json``  the last version before Feb 2026
* ``tidal/openapi-excerpt.json``             TIDAL API v2 OpenAPI
* ``youtube/discovery-excerpt.json``         YouTube Data API v3 discovery document
* ``youtube/quota-costs.json``               units per method
* ``deezer/reference.json``                  object tables, endpoints, error codes
* ``<provider>/auth.json``                   OAuth endpoints and parameters
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "providers"

SPOTIFY_PATHS = [
    "/me",
    "/me/playlists",
    "/users/{user_id}/playlists",
    "/playlists/{playlist_id}",
    "/playlists/{playlist_id}/items",
    "/playlists/{playlist_id}/tracks",
    "/playlists/{playlist_id}/followers",
    "/me/tracks",
    "/me/albums",
    "/me/library",
    "/search",
    "/tracks",
    "/tracks/{id}",
]
TIDAL_PATHS = [
    "/users/{id}",
    "/albums",
    "/tracks",
    "/tracks/{id}",
    "/playlists",
    "/playlists/{id}",
    "/playlists/{id}/relationships/items",
    "/userCollectionTracks/{id}/relationships/items",
    "/userCollectionAlbums/{id}/relationships/items",
    "/userCollectionPlaylists/{id}/relationships/items",
    "/searchResults",
    "/searchResults/{id}/relationships/tracks",
]
TIDAL_KEEP_INCLUDED = {"tracks", "albums", "artists", "playlists", "users", "videos"}
YOUTUBE_METHODS = {
    "channels": ["list"],
    "playlists": ["list", "insert", "update", "delete"],
    "playlistItems": ["list", "insert", "update", "delete"],
    "search": ["list"],
    "videos": ["list", "rate"],
}
DEEZER_OBJECTS = ["track", "playlist", "user", "album", "search", "artist"]


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def openapi_excerpt(doc: dict[str, Any], paths: list[str], prune: Any = None) -> dict[str, Any]:
    """``doc`` reduced to ``paths`` and the components they reach."""
    out: dict[str, Any] = {
        "openapi": doc["openapi"],
        "info": {**doc["info"], "x-excerpt": "paths used by Crossfade + $ref closure"},
        "servers": doc.get("servers", []),
        "paths": {p: doc["paths"][p] for p in paths if p in doc["paths"]},
        "components": {},
    }
    if "securitySchemes" in doc.get("components", {}):
        out["components"]["securitySchemes"] = doc["components"]["securitySchemes"]
    pending = _refs(out["paths"])
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/components/"):
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        try:
            node = _resolve(doc, ref)
        except KeyError:
            out["info"].setdefault("x-unresolved-refs", []).append(ref)
            continue
        if prune is not None:
            node = prune(name, node)
        out["components"].setdefault(kind, {})[name] = node
        pending |= _refs(node)
    # stable output: the closure is walked in set order
    out["components"] = {
        kind: dict(sorted(names.items())) for kind, names in sorted(out["components"].items())
    }
    if "x-unresolved-refs" in out["info"]:
        out["info"]["x-unresolved-refs"].sort()
    return out


def _prune_tidal(name: str, node: Any) -> Any:
    """Keep the ``Included`` union to the resource types Crossfade meets."""
    if name != "Included":
        return node
    items = json.loads(json.dumps(node["items"]))
    mapping = {
        k: v for k, v in items["discriminator"]["mapping"].items() if k in TIDAL_KEEP_INCLUDED
    }
    items["discriminator"]["mapping"] = mapping
    items["oneOf"] = [{"$ref": v} for v in mapping.values()]
    return {**node, "items": items}


def youtube_excerpt(doc: dict[str, Any]) -> dict[str, Any]:
    resources = {
        name: {"methods": {m: doc["resources"][name]["methods"][m] for m in methods}}
        for name, methods in YOUTUBE_METHODS.items()
    }
    out: dict[str, Any] = {
        k: doc[k]
        for k in (
            "kind",
            "discoveryVersion",
            "id",
            "name",
            "version",
            "rootUrl",
            "servicePath",
            "basePath",
            "baseUrl",
            "parameters",
            "auth",
        )
        if k in doc
    }
    out["resources"] = resources
    schemas: dict[str, Any] = {}
    pending = {r for r in _refs(resources)}
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        schemas[name] = doc["schemas"][name]
        pending |= _refs(schemas[name])
    out["schemas"] = dict(sorted(schemas.items()))
    return out


def deezer_reference(base: Path) -> dict[str, Any]:
    scrape = base / "deezer-api-docs-scrape"
    objects = {name: json.loads((scrape / f"{name}.json").read_text()) for name in DEEZER_OBJECTS}
    derived = json.loads((base / "endpoints-derived.json").read_text())
    return {
        "_note": "Excerpt: Deezer object tables (browniebroke/deezer-api-docs scrape) and "
        "endpoints-derived.json (compiled from recorded responses).",
        "objects": objects,
        **{k: v for k, v in derived.items() if k != "_note"},
    }


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference", type=Path, default=ROOT.parent / "shared" / "reference" / "providers"
    )
    ref = parser.parse_args().reference
    spotify = yaml.safe_load((ref / "spotify" / "official-spotify-open-api.yml").read_text())
    write(OUT / "spotify" / "openapi-excerpt.json", openapi_excerpt(spotify, SPOTIFY_PATHS))
    old = yaml.safe_load(
        (ref / "spotify" / "pre-2026-02" / "official-spotify-open-api.yml").read_text()
    )
    write(OUT / "spotify" / "openapi-pre-2026-excerpt.json", openapi_excerpt(old, SPOTIFY_PATHS))
    tidal = json.loads((ref / "tidal" / "tidal-api-oas.json").read_text())
    write(OUT / "tidal" / "openapi-excerpt.json", openapi_excerpt(tidal, TIDAL_PATHS, _prune_tidal))
    youtube = json.loads((ref / "youtube" / "youtube.v3.json").read_text())
    write(OUT / "youtube" / "discovery-excerpt.json", youtube_excerpt(youtube))
    shutil.copyfile(ref / "youtube" / "quota-costs.json", OUT / "youtube" / "quota-costs.json")
    write(OUT / "deezer" / "reference.json", deezer_reference(ref / "deezer"))
    for provider in ("spotify", "deezer", "tidal", "youtube"):
        shutil.copyfile(ref / provider / "auth.json", OUT / provider / "auth.json")


if __name__ == "__main__":
    main()
