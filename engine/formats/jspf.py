"""JSPF (XSPF as JSON), including ListenBrainz's playlist and track extensions.

ListenBrainz keys: ``https://musicbrainz.org/doc/jspf#playlist`` (creator,
created_for, collaborators, public, last_modified_at, ...) and
``https://musicbrainz.org/doc/jspf#track`` (added_at, added_by,
artist_identifiers, release_identifier, additional_metadata). Recording MBIDs
come from ``identifier`` (``https://musicbrainz.org/recording/<mbid>``) and land
in ``extras["ids.musicbrainz"]``. Files Crossfade writes carry the canonical
fields under ``https://crossfade.dev/ns/jspf#track`` and read back without loss.
"""

from __future__ import annotations

import json
from typing import Any

from engine.errors import FormatError
from engine.formats._common import (
    clean_text,
    join_artists,
    kept_fields,
    put_duration,
    restored_fields,
    split_artists,
    top_level_keys,
)
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._json import parse_json
from engine.formats._links import apply_identifier, identifiers_for
from engine.formats._model import Playlist, merged
from engine.frame import extras_dict

MB_PLAYLIST = "https://musicbrainz.org/doc/jspf#playlist"
MB_TRACK = "https://musicbrainz.org/doc/jspf#track"
CROSSFADE_TRACK = "https://crossfade.dev/ns/jspf#track"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flat(prefix: str, value: Any, extras: dict[str, str]) -> None:
    if value is None:
        return
    extras[prefix] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _mb_artists(mb: dict[str, Any]) -> list[str]:
    credits = (mb.get("additional_metadata") or {}).get("artists") or []
    names = [c.get("artist_credit_name") for c in credits if isinstance(c, dict)]
    return [n for n in names if isinstance(n, str) and n]


def _track(doc: Any, index: int, source: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise FormatError(source, "track is not an object", pointer=f"/playlist/track/{index}")
    record: dict[str, Any] = {
        "title": clean_text(doc.get("title")),
        "artists": split_artists(clean_text(doc.get("creator"))),
        "album": clean_text(doc.get("album")),
    }
    extras: dict[str, str] = {}
    put_duration(record, extras, doc.get("duration"), "ms")
    locations = [str(loc) for loc in _as_list(doc.get("location")) if loc]
    if locations:
        record["url"] = locations[0]
    unknown = [
        str(uri)
        for uri in [*locations, *_as_list(doc.get("identifier"))]
        if uri and not apply_identifier(str(uri), record, extras) and uri not in locations
    ]
    if unknown:
        extras["jspf.identifier"] = "\n".join(unknown)
    for key in ("annotation", "info", "image", "trackNum"):
        _flat(f"jspf.{key}", doc.get(key), extras)
    extensions = doc.get("extension") or {}
    mb = extensions.get(MB_TRACK) if isinstance(extensions, dict) else None
    if isinstance(mb, dict):
        record["artists"] = _mb_artists(mb) or record["artists"]
        for key, value in mb.items():
            _flat(f"listenbrainz.{key}", value, extras)
    if record.get("url") and not record.get("provider"):
        record["provider"] = "file"
    record["extras"] = extras
    canonical = extensions.get(CROSSFADE_TRACK) if isinstance(extensions, dict) else None
    if isinstance(canonical, dict):
        record.update(restored_fields(canonical))
    return record


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    source = ctx.source
    doc = parse_json(data, ctx)
    playlist = doc.get("playlist") if isinstance(doc, dict) else None
    if not isinstance(playlist, dict):
        raise FormatError(source, "no playlist object", pointer="/playlist", expected="JSPF")
    tracks = playlist.get("track", [])
    if not isinstance(tracks, list):
        raise FormatError(source, "track is not a list", pointer="/playlist/track")
    if "track" in playlist:
        ctx.declared_empty = True
    else:
        ctx.warn('playlist has no "track" list', pointer="/playlist")
    extras: dict[str, str] = {}
    for key in ("creator", "identifier", "date", "info", "location", "license", "image"):
        _flat(f"jspf.{key}", playlist.get(key), extras)
    extensions = playlist.get("extension") or {}
    mb = extensions.get(MB_PLAYLIST) if isinstance(extensions, dict) else None
    if isinstance(mb, dict):
        for key, value in mb.items():
            _flat(f"listenbrainz.{key}", value, extras)
    return [
        Playlist(
            name=clean_text(playlist.get("title")),
            tracks=records_frame([_track(t, i, source) for i, t in enumerate(tracks)]),
            description=clean_text(playlist.get("annotation")),
            extras=extras,
        )
    ]


def _track_doc(row: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if row["title"] is not None:
        doc["title"] = row["title"]
    if row["artists"]:
        doc["creator"] = join_artists(row["artists"], ", ")
    if row["album"] is not None:
        doc["album"] = row["album"]
    if row["duration_ms"] is not None:
        doc["duration"] = row["duration_ms"]
    identifiers = identifiers_for(row)
    if identifiers:
        doc["identifier"] = identifiers
    if row["url"]:
        doc["location"] = [row["url"]]
    extras = extras_dict(row["extras"])
    listenbrainz = {
        k.removeprefix("listenbrainz."): v
        for k, v in extras.items()
        if k.startswith("listenbrainz.")
    }
    extension: dict[str, Any] = {}
    if listenbrainz:
        extension[MB_TRACK] = {k: _unflat(v) for k, v in listenbrainz.items()}
    extension[CROSSFADE_TRACK] = kept_fields(row)
    doc["extension"] = extension
    return doc


def _unflat(value: str) -> Any:
    if value[:1] in "[{" or value in ("true", "false", "null"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def encode(playlists: list[Playlist]) -> bytes:
    playlist = merged(playlists)
    doc: dict[str, Any] = {"title": playlist.name or ""}
    if playlist.description:
        doc["annotation"] = playlist.description
    for key in ("creator", "identifier", "date"):
        if f"jspf.{key}" in playlist.extras:
            doc[key] = playlist.extras[f"jspf.{key}"]
    doc["track"] = [_track_doc(row) for row in playlist.tracks.iter_rows(named=True)]
    text = json.dumps({"playlist": doc}, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def sniff(head: str) -> bool:
    return "playlist" in top_level_keys(head)
