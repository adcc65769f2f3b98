"""TIDAL ``include``: which paths the document allows, and the compound
documents they produce.

From the overview of ``tidal-api-oas.json`` ("Relationships and includes"):
``include`` is a comma-separated list of dot-separated relationship paths,
always relative to the request's root resource (also on relationship
endpoints); the first segment must be one of the endpoint's "Available
options"; every further segment must resolve against the documented
relationships (``<Type>_Relationships``) of the resources reached, else 400;
a nested path embeds its intermediate resources too; include trees are
bounded to 3 levels and 10 distinct resources named, else 400.

The sandbox follows the relationships its catalogue can fill (tracks, albums,
artists, playlists, owners); any other documented relationship is accepted
and answered with empty linkage, and a path through it is refused, since the
resource type it leads to is not modelled (stricter, never more forgiving).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from engine.sandbox.tidal_documents import TidalDocuments
from engine.sandbox.wire import ApiError, SandboxRequest

MAX_DEPTH = 3
MAX_NAMED = 10


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


RELATIONSHIPS: dict[str, frozenset[str]] = {
    # property names of the document's <Type>_Relationships schemas
    "tracks": _names(
        "albums artists credits download genres lyrics metadataStatus owners "
        "priceConfig providers radio replacement shares similarTracks sourceFile "
        "suggestedTracks trackStatistics usageRules"
    ),
    "albums": _names(
        "albumStatistics artists coverArt genres items owners priceConfig providers "
        "replacement shares similarAlbums suggestedCoverArts usageRules"
    ),
    "artists": _names(
        "albums biography claimStatus followers following owners profileArt radio roles "
        "similarArtists trackProviders tracks videos"
    ),
    "playlists": _names(
        "collaboratorProfiles collaborators coverArt items ownerProfiles owners suggestedCoverArts"
    ),
    "videos": _names(
        "albums artists credits providers replacement similarVideos suggestedVideos "
        "thumbnailArt usageRules"
    ),
    "userCollectionTracks": frozenset({"items", "owners"}),
    "userCollectionAlbums": frozenset({"items", "owners"}),
    "userCollectionPlaylists": frozenset({"items", "owners"}),
    "searchResults": _names("albums artists playlists topHits tracks videos"),
    "users": frozenset(),
}

TARGETS: dict[tuple[str, str], tuple[str, ...]] = {
    # (resource type, relationship) -> resource types it leads to
    ("tracks", "albums"): ("albums",),
    ("tracks", "artists"): ("artists",),
    ("tracks", "owners"): ("users",),
    ("tracks", "similarTracks"): ("tracks",),
    ("tracks", "suggestedTracks"): ("tracks",),
    ("albums", "artists"): ("artists",),
    ("albums", "items"): ("tracks", "videos"),
    ("albums", "owners"): ("users",),
    ("albums", "similarAlbums"): ("albums",),
    ("artists", "albums"): ("albums",),
    ("artists", "tracks"): ("tracks",),
    ("artists", "videos"): ("videos",),
    ("artists", "owners"): ("users",),
    ("artists", "similarArtists"): ("artists",),
    ("playlists", "items"): ("tracks", "videos"),
    ("playlists", "owners"): ("users",),
    ("playlists", "collaborators"): ("users",),
    ("videos", "albums"): ("albums",),
    ("videos", "artists"): ("artists",),
    ("videos", "similarVideos"): ("videos",),
    ("videos", "suggestedVideos"): ("videos",),
    ("userCollectionTracks", "items"): ("tracks",),
    ("userCollectionAlbums", "items"): ("albums",),
    ("userCollectionPlaylists", "items"): ("playlists",),
    ("userCollectionTracks", "owners"): ("users",),
    ("userCollectionAlbums", "owners"): ("users",),
    ("userCollectionPlaylists", "owners"): ("users",),
    ("searchResults", "tracks"): ("tracks",),
    ("searchResults", "albums"): ("albums",),
    ("searchResults", "artists"): ("artists",),
    ("searchResults", "playlists"): ("playlists",),
    ("searchResults", "videos"): ("videos",),
}

Path = tuple[str, ...]
Node = tuple[str, Any]
"""(resource type, the sandbox object behind it): a CatalogTrack, Album,
artist name, Playlist or user id."""


@dataclass(frozen=True)
class IncludeTree:
    """The include paths of one request, intermediates included."""

    paths: frozenset[Path]

    def __bool__(self) -> bool:
        return bool(self.paths)

    def __contains__(self, name: object) -> bool:
        return (name,) in self.paths

    def children(self, prefix: Path) -> list[str]:
        depth = len(prefix) + 1
        return sorted({p[-1] for p in self.paths if len(p) == depth and p[:-1] == prefix})


def parse_include(values: list[str], root: str, options: tuple[str, ...]) -> IncludeTree:
    """The tree of ``include`` values on an endpoint whose root resource is of
    type ``root`` and whose documented options are ``options``; 400 otherwise."""
    paths: set[Path] = set()
    for value in values:
        segments = tuple(value.strip().split("."))
        if any(not s for s in segments) or segments[0] not in options:
            raise _refused(f"Invalid include path: {value} (available: {', '.join(options)})")
        if len(segments) > MAX_DEPTH:
            raise _refused(f"Include path {value} is deeper than {MAX_DEPTH} levels")
        types = TARGETS.get((root, segments[0]), ())
        for seg in segments[1:]:
            if not any(seg in RELATIONSHIPS.get(t, ()) for t in types):
                raise _refused(f"Invalid include path: {value} ({seg!r} cannot be resolved)")
            types = tuple(dict.fromkeys(x for t in types for x in TARGETS.get((t, seg), ())))
        paths.update(segments[:n] for n in range(1, len(segments) + 1))
    if len(paths) > MAX_NAMED:
        raise _refused(f"Include tree names {len(paths)} resources (max {MAX_NAMED})")
    return IncludeTree(frozenset(paths))


def _refused(message: str) -> ApiError:
    return ApiError(400, message, parameter="include")


class TidalIncludes(TidalDocuments):
    """Resource documents with ``include``: the API class's base."""

    def include_tree(
        self, request: SandboxRequest, root: str, options: tuple[str, ...]
    ) -> IncludeTree:
        return parse_include(request.args("include"), root, options)

    # -- nodes ------------------------------------------------------------------------
    def node_id(self, node: Node) -> str:
        kind, obj = node
        if kind == "tracks":
            return str(obj.ids[self.name])
        if kind == "artists":
            return self.state.catalog_artist_id(self.name, obj)
        if kind == "users":
            return str(obj)
        return str(obj.id)

    def identifier(self, node: Node) -> dict[str, str]:
        return {"id": self.node_id(node), "type": node[0]}

    def render(self, node: Node) -> dict[str, Any]:
        kind, obj = node
        if kind == "tracks":
            return self.track_resource(obj)
        if kind == "albums":
            return self.album_resource(obj)
        if kind == "artists":
            return self.artist_resource(obj)
        if kind == "playlists":
            return self.playlist_resource(obj)
        return self.user_resource(obj)

    def related(self, node: Node, relationship: str) -> list[Node]:
        """What the catalogue knows behind ``relationship`` of ``node``."""
        kind, obj = node
        if (kind, relationship) == ("tracks", "albums"):
            album = self.state.catalog.album(self.name, obj.album_ids[self.name])
            return [("albums", album)] if album else []
        if relationship == "artists" and kind in ("tracks", "albums"):
            return [("artists", a) for a in obj.artists]
        if (kind, relationship) == ("albums", "items"):
            return self.track_nodes(obj.track_ids)
        if (kind, relationship) == ("playlists", "items"):
            return self.track_nodes([i.track_id for i in obj.items])
        if (kind, relationship) == ("playlists", "owners"):
            return [("users", obj.owner)]
        return []

    def track_nodes(self, ids: Iterable[str]) -> list[Node]:
        found = (self.state.catalog.track(self.name, i) for i in ids)
        return [("tracks", t) for t in found if t is not None]

    def album_nodes(self, ids: Iterable[str]) -> list[Node]:
        found = (self.state.catalog.album(self.name, i) for i in ids)
        return [("albums", a) for a in found if a is not None]

    def playlist_nodes(self, ids: Iterable[str]) -> list[Node]:
        found = (self.state.playlist(self.name, i) for i in ids)
        return [("playlists", p) for p in found if p is not None]

    # -- documents --------------------------------------------------------------------
    def relate(
        self,
        resource: dict[str, Any],
        name: str,
        nodes: list[Node],
        self_link: str,
    ) -> None:
        """Set relationship ``name`` of ``resource`` to ``nodes`` (full linkage)."""
        resource.setdefault("relationships", {}).setdefault(
            name,
            {
                "data": [self.identifier(n) for n in nodes],
                "links": {"self": f"{self_link}/relationships/{name}"},
            },
        )

    def compound(
        self, primary: list[tuple[Node, dict[str, Any]]], tree: IncludeTree
    ) -> list[dict[str, Any]]:
        """Link each primary resource (node, rendered object) to its first-level
        relationships, and return ``included`` for the whole tree."""
        first: dict[str, list[Node]] = {}
        for node, resource in primary:
            for name in tree.children(()):
                nodes = self.related(node, name)
                self.relate(resource, name, nodes, f"/{node[0]}/{self.node_id(node)}")
                first.setdefault(name, []).extend(nodes)
        return self.included(tree, first)

    def listing_doc(
        self,
        tree: IncludeTree,
        data: list[dict[str, Any]],
        links: dict[str, Any],
        relationship: str,
        nodes: Callable[[Iterable[str]], list[Node]],
    ) -> httpx.Response:
        """The 200 document of a relationship listing: the page of identifiers
        ``data``, its ``links`` and, for an include path, what the identifiers
        name (``nodes`` of their ids, under ``relationship``) in ``included``."""
        body: dict[str, Any] = {"data": data, "links": links}
        if tree:
            body["included"] = self.included(tree, {relationship: nodes(d["id"] for d in data)})
        return self.doc(200, body)

    def included(self, tree: IncludeTree, first: dict[str, list[Node]]) -> list[dict[str, Any]]:
        """``included`` for the first-level resources ``first`` (by relationship
        name, as the endpoint found them) and everything nested paths reach."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        todo: deque[tuple[Node, Path]] = deque(
            (node, (name,)) for name in tree.children(()) for node in first.get(name, [])
        )
        while todo:
            node, path = todo.popleft()
            key = (node[0], self.node_id(node))
            resource = out.get(key)
            if resource is None:
                resource = out[key] = self.render(node)
            for name in tree.children(path):
                nodes = self.related(node, name)
                self.relate(resource, name, nodes, f"/{key[0]}/{key[1]}")
                todo.extend((n, (*path, name)) for n in nodes)
        return list(out.values())
