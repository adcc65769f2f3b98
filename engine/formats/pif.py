"""PIF, the Playlist Interchange Format: Crossfade's own versioned JSON document
for one or more playlists with their tracks and every provider id known.

The spec is ``docs/pif.md``; the JSON Schema ships as ``pif.schema.json``. Reading
validates against the schema; a frame written to PIF reads back equal.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl

from engine.errors import FormatError
from engine.formats._common import IDS_PREFIX, INVALID_PREFIX, normalize_isrc, top_level_keys
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._json import parse_json
from engine.formats._model import Playlist
from engine.frame import extras_dict

PIF_VERSION = "1.0"
MEDIA_TYPE = "application/vnd.crossfade.pif+json"
_PROVIDER = re.compile(r"^[a-z][a-z0-9_-]*$")
_TRACK_TEXT = ("title", "album", "release_date", "provider", "provider_id", "url")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The PIF JSON Schema (draft 2020-12), loaded from package data."""
    text = resources.files("engine.formats").joinpath("pif.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _split_extras(extras: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    # only ``ids.<provider>`` with a provider name PIF allows (and an id) is an id;
    # anything else (``ids.``, ``ids.Bad Name``) stays an extra, so the file validates
    ids = {k[len(IDS_PREFIX) :]: v for k, v in extras.items() if _is_id_key(k) and v}
    rest = {k: v for k, v in extras.items() if not (_is_id_key(k) and v)}
    return ids, rest


def _is_id_key(key: str) -> bool:
    return key.startswith(IDS_PREFIX) and _PROVIDER.match(key[len(IDS_PREFIX) :]) is not None


def _track_doc(row: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": row["id"], "position": row["position"], "title": row["title"]}
    if row["artists"]:
        doc["artists"] = list(row["artists"])
    for key in _TRACK_TEXT[1:]:
        if row[key] is not None:
            doc[key] = row[key]
    ids, extras = _split_extras(extras_dict(row["extras"]))
    if row["isrc"] is not None:
        isrc = normalize_isrc(row["isrc"])
        if isrc is None:
            extras[INVALID_PREFIX + "isrc"] = row["isrc"]
        else:
            doc["isrc"] = isrc
    if row["duration_ms"] is not None:
        doc["duration_ms"] = row["duration_ms"]
    if row["explicit"] is not None:
        doc["explicit"] = row["explicit"]
    if ids:
        doc["ids"] = ids
    if extras:
        doc["extras"] = extras
    return doc


def playlist_doc(playlist: Playlist) -> dict[str, Any]:
    """One playlist as its PIF object."""
    doc: dict[str, Any] = {"name": playlist.name}
    if playlist.description is not None:
        doc["description"] = playlist.description
    ids, extras = _split_extras(playlist.extras)
    if ids:
        doc["ids"] = ids
    if extras:
        doc["extras"] = extras
    frame = playlist.tracks
    if playlist.name is not None and frame.height and "playlist" in frame.columns:
        frame = frame.with_columns(pl.col("playlist").fill_null(playlist.name))
    doc["tracks"] = [_track_doc(row) for row in frame.iter_rows(named=True)]
    return doc


def document(playlists: list[Playlist]) -> dict[str, Any]:
    """The whole PIF document for ``playlists``."""
    return {
        "pif": PIF_VERSION,
        "generator": "crossfade",
        "playlists": [playlist_doc(p) for p in playlists],
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def dump_document(doc: dict[str, Any]) -> str:
    """PIF text: indented structure, one track per line (readable, diff-friendly, and
    written by the C JSON encoder, which is ~10x faster than ``indent=``)."""
    lines = ["{"]
    lines.extend(f"  {_dumps(k)}: {_dumps(v)}," for k, v in doc.items() if k != "playlists")
    lines.append('  "playlists": [')
    for p_index, playlist in enumerate(doc["playlists"]):
        lines.append("    {")
        lines.extend(
            f"      {_dumps(k)}: {_dumps(v)}," for k, v in playlist.items() if k != "tracks"
        )
        tracks = playlist["tracks"]
        if tracks:
            lines.append('      "tracks": [')
            lines.append(",\n".join(f"        {_dumps(track)}" for track in tracks))
            lines.append("      ]")
        else:
            lines.append('      "tracks": []')
        lines.append("    }," if p_index < len(doc["playlists"]) - 1 else "    }")
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def encode(playlists: list[Playlist]) -> bytes:
    return dump_document(document(playlists)).encode("utf-8")


def _track_record(doc: dict[str, Any], index: int, playlist: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {key: doc.get(key) for key in _TRACK_TEXT}
    record["id"] = doc.get("id", str(index))
    record["position"] = doc.get("position", index)
    record["artists"] = doc.get("artists", [])
    record["isrc"] = doc.get("isrc")
    record["duration_ms"] = doc.get("duration_ms")
    record["explicit"] = doc.get("explicit")
    record["playlist"] = playlist
    extras = {IDS_PREFIX + k: v for k, v in doc.get("ids", {}).items()}
    extras.update(doc.get("extras", {}))
    record["extras"] = extras
    return record


def playlists_from_document(doc: dict[str, Any]) -> list[Playlist]:
    """Playlists from an already validated PIF document."""
    playlists = []
    for item in doc["playlists"]:
        name = item.get("name")
        records = [_track_record(t, i, name) for i, t in enumerate(item["tracks"])]
        extras = {IDS_PREFIX + k: v for k, v in item.get("ids", {}).items()}
        extras.update(item.get("extras", {}))
        playlists.append(
            Playlist(
                name=name,
                tracks=records_frame(records),
                description=item.get("description"),
                extras=extras,
            )
        )
    return playlists


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    from engine.formats.validation import document_problems

    source = ctx.source
    doc = parse_json(data, ctx)
    problems = document_problems(doc)
    if problems:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more; see `crossfade validate`)"
            if len(problems) > 1
            else ""
        )
        raise FormatError(source, first.message + more, pointer=first.pointer)
    ctx.declared_empty = True  # a valid document: empty playlists are meant
    return playlists_from_document(doc)


def sniff(head: str) -> bool:
    return "pif" in top_level_keys(head)
