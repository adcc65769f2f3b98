"""The iTunes / Apple Music library file (``Library.xml``, "File > Library > Export
Library…"): an XML property list, read with :mod:`plistlib` (which refuses entity
declarations, so no entity-expansion attack; external entities are never loaded).

Layout (Apple's plist DTD; the keys as iTunes and Music.app write them):
``{"Major Version", "Application Version", "Tracks": {"<id>": {"Track ID", "Name",
"Artist", "Album Artist", "Album", "Genre", "Total Time" (ms), "Year", "Track
Number", "Play Count", "Play Date UTC", "Skip Count", "Rating" (0-100), "Loved",
"Explicit", "Date Added", "Persistent ID", "Track Type", "Location"}},
"Playlists": [{"Name", "Playlist ID", "Playlist Persistent ID", "Master",
"Distinguished Kind", "Folder", "Parent Persistent ID", "Playlist Items": [{"Track
ID"}]}]}``.

Every playlist becomes one (the master "Library" playlist holds every track;
folders hold none and are skipped); a library without playlists becomes one
"Library" playlist. Play counts, ratings, persistent ids and the other keys are
kept in extras (``itunes.*``, ``plays``, ``rating``).
"""

from __future__ import annotations

import plistlib
from datetime import datetime
from typing import Any
from xml.parsers.expat import ExpatError

from engine.errors import FormatError
from engine.formats._common import clean_text, split_artists
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._model import Playlist

_EXTRAS = {
    "Play Count": "plays",
    "Rating": "rating",
    "Persistent ID": "itunes.persistent_id",
    "Track ID": "itunes.track_id",
    "Album Artist": "itunes.album_artist",
    "Genre": "genre",
    "Track Number": "itunes.track_number",
    "Disc Number": "itunes.disc_number",
    "Skip Count": "itunes.skip_count",
    "Play Date UTC": "itunes.last_played",
    "Date Added": "added_at",
    "Loved": "itunes.loved",
    "Kind": "itunes.kind",
    "Track Type": "itunes.track_type",
    "Apple Music": "itunes.apple_music",
}


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _track(doc: dict[str, Any]) -> dict[str, Any]:
    extras = {key: _text(doc[src]) for src, key in _EXTRAS.items() if src in doc}
    total = doc.get("Total Time")
    location = clean_text(doc.get("Location"))
    record: dict[str, Any] = {
        "id": str(doc.get("Persistent ID") or doc.get("Track ID")),
        "title": clean_text(doc.get("Name")),
        "artists": split_artists(clean_text(doc.get("Artist"))),
        "album": clean_text(doc.get("Album")),
        "duration_ms": total if isinstance(total, int) and 0 <= total < 2**62 else None,
        "explicit": True if doc.get("Explicit") is True else None,
        "release_date": str(doc["Year"]) if isinstance(doc.get("Year"), int) else None,
        "url": location,
        "provider": "file" if location else None,
        "extras": extras,
    }
    return record


def _tracks(doc: dict[str, Any], ctx: ReadContext) -> dict[str, dict[str, Any]]:
    tracks = doc.get("Tracks")
    if not isinstance(tracks, dict):
        raise FormatError(
            ctx.source, "no Tracks dictionary", pointer="/Tracks", expected="Library.xml"
        )
    out: dict[str, dict[str, Any]] = {}
    for key, value in tracks.items():
        if not isinstance(value, dict):
            ctx.warn("track entry is not a dictionary; skipped", pointer=f"/Tracks/{key}")
            continue
        out[str(value.get("Track ID", key))] = _track(value)
    return out


def _playlist(
    item: dict[str, Any], index: int, tracks: dict[str, dict[str, Any]], ctx: ReadContext
) -> Playlist:
    records: list[dict[str, Any]] = []
    for position, entry in enumerate(item.get("Playlist Items") or []):
        track_id = str(entry.get("Track ID")) if isinstance(entry, dict) else None
        if track_id not in tracks:
            ctx.warn(
                f"playlist {item.get('Name')!r} names track {track_id}, "
                "which is not in Tracks; skipped",
                pointer=f"/Playlists/{index}/Playlist Items/{position}",
            )
            continue
        records.append({**tracks[track_id], "position": len(records)})
    seen: dict[str, int] = {}
    for record in records:  # a track twice in one playlist: ids stay unique
        count = seen.get(record["id"], 0)
        seen[record["id"]] = count + 1
        if count:
            record["id"] = f"{record['id']}#{count + 1}"
    extras = {
        key: _text(item[src])
        for src, key in (
            ("Playlist Persistent ID", "itunes.playlist_persistent_id"),
            ("Playlist ID", "itunes.playlist_id"),
            ("Distinguished Kind", "itunes.distinguished_kind"),
            ("Parent Persistent ID", "itunes.parent_persistent_id"),
            ("Master", "itunes.master"),
            ("Smart Info", "itunes.smart"),
        )
        if src in item
    }
    if "itunes.smart" in extras:
        extras["itunes.smart"] = "true"
    return Playlist(
        name=clean_text(item.get("Name")),
        tracks=records_frame(records),
        description=clean_text(item.get("Description")),
        extras=extras,
    )


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    try:
        doc = plistlib.loads(data, fmt=plistlib.FMT_XML)
    except plistlib.InvalidFileException as exc:
        raise FormatError(ctx.source, f"refused or invalid property list: {exc}") from exc
    except ExpatError as exc:
        raise FormatError(ctx.source, f"malformed XML: {exc}", line=exc.lineno) from exc
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise FormatError(ctx.source, f"invalid property list: {exc}") from exc
    if not isinstance(doc, dict):
        raise FormatError(ctx.source, "property list is not a dictionary", expected="Library.xml")
    ctx.variant = (
        "music-app" if str(doc.get("Application Version", "")).startswith("1.") else "itunes"
    )
    tracks = _tracks(doc, ctx)
    ctx.declared_empty = not tracks
    playlists = [
        _playlist(item, index, tracks, ctx)
        for index, item in enumerate(doc.get("Playlists") or [])
        if isinstance(item, dict) and not item.get("Folder")
    ]
    if not playlists:
        playlists = [Playlist(name="Library", tracks=records_frame(list(tracks.values())))]
    return playlists


def sniff(head: str) -> bool:
    text = head[:4000]
    return "<plist" in text and ("<key>Tracks</key>" in head or "<key>Major Version</key>" in text)
