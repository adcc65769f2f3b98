"""TIDAL JSON:API payloads -> canonical rows: the ``included`` index, related
resources by relationship name, one row per ``tracks`` resource."""

from __future__ import annotations

from typing import Any

from engine.providers._common import iso_duration_ms

Index = dict[tuple[str, str], dict[str, Any]]


def index_included(included: list[dict[str, Any]] | None) -> Index:
    """``included`` resources by (type, id)."""
    return {(r["type"], str(r["id"])): r for r in included or [] if "type" in r and "id" in r}


def related(resource: dict[str, Any], name: str, index: Index) -> list[dict[str, Any]]:
    """The included resources linked under relationship ``name`` of ``resource``."""
    data = ((resource.get("relationships") or {}).get(name) or {}).get("data") or []
    if isinstance(data, dict):
        data = [data]
    return [index[(d["type"], str(d["id"]))] for d in data if (d["type"], str(d["id"])) in index]


def track_row(track: dict[str, Any], index: Index, **extras: Any) -> dict[str, Any]:
    """One canonical row from a ``tracks`` resource object and the ``included`` index."""
    attrs = track.get("attributes") or {}
    title = attrs.get("title")
    if title and attrs.get("version"):
        title = f"{title} ({attrs['version']})"
    albums = related(track, "albums", index)
    album_attrs = (albums[0].get("attributes") or {}) if albums else {}
    links = [x.get("href") for x in attrs.get("externalLinks") or [] if x.get("href")]
    return {
        "title": title,
        "artists": [
            (a.get("attributes") or {}).get("name") for a in related(track, "artists", index)
        ],
        "album": album_attrs.get("title"),
        "duration_ms": iso_duration_ms(attrs.get("duration")),
        "isrc": attrs.get("isrc") or None,
        "explicit": attrs.get("explicit"),
        "release_date": album_attrs.get("releaseDate"),
        "provider": "tidal",
        "provider_id": str(track["id"]),
        "url": links[0] if links else None,
        "extras": {k: v for k, v in extras.items() if v is not None},
    }


def relationship_rows(document: dict[str, Any], start: int = 0) -> list[dict[str, Any]]:
    """Rows of one relationship page (``data`` identifiers + ``included`` tracks)."""
    index = index_included(document.get("included"))
    rows = []
    for offset, ident in enumerate(document.get("data") or []):
        track = index.get((ident.get("type"), str(ident.get("id"))))
        if ident.get("type") != "tracks":
            continue
        meta = ident.get("meta") or {}
        if track is None:  # not resolvable (e.g. unavailable): keep the id, nothing else
            track = {"id": ident["id"], "type": "tracks"}
        row = track_row(track, index, item_id=meta.get("itemId"), added_at=meta.get("addedAt"))
        row["position"] = start + offset
        rows.append(row)
    return rows
