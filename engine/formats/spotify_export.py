"""Spotify's account-data export ("Download your data"): ``Playlist1.json``
(``Playlist2.json``...) and ``YourLibrary.json``.

``Playlist*.json``: ``{"playlists": [{"name", "lastModifiedDate", "description",
"numberOfFollowers", "items": [{"track": {"trackName", "artistName", "albumName",
"trackUri"}, "episode", "localTrack", "audiobook", "addedDate"}]}]}``.
``YourLibrary.json``: ``{"tracks": [{"artist", "album", "track", "uri"}], "albums",
"shows", "episodes", "bannedTracks", "artists", ...}``; its ``tracks`` become the
playlist "Liked Songs" (albums, shows and artists are not tracks and are skipped).
The export names one artist per track and no duration or ISRC. Writing produces the
``Playlist1.json`` shape.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from engine.errors import FormatError
from engine.formats._common import clean_text, parse_track_link, spotify_uri, top_level_keys
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._json import parse_json
from engine.formats._model import Playlist
from engine.frame import extras_dict

LIKED_SONGS = "Liked Songs"


def _from_uri(record: dict[str, Any], uri: str | None) -> None:
    if not uri:
        return
    record["url"] = uri
    link = parse_track_link(uri)
    if link:
        record["provider"], record["provider_id"] = link


def _local(uri: str) -> dict[str, Any]:
    # spotify:local:<artist>:<album>:<title>:<seconds>, '+' for spaces, %-escaped
    parts = uri.split(":")
    if len(parts) < 6:
        return {"title": None, "url": uri}
    artist, album, title, seconds = (unquote_plus(p) for p in parts[2:6])
    return {
        "title": title or None,
        "artists": [artist] if artist else [],
        "album": album or None,
        "duration_ms": int(seconds) * 1000 if seconds.isdigit() else None,
        "url": uri,
        "provider": "file",
    }


def _item(item: Any, pointer: str, source: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise FormatError(source, "item is not an object", pointer=pointer)
    record: dict[str, Any] = {}
    extras: dict[str, str] = {}
    if isinstance(item.get("track"), dict):
        track = item["track"]
        record["title"] = clean_text(track.get("trackName"))
        artist = clean_text(track.get("artistName"))
        record["artists"] = [artist] if artist else []
        record["album"] = clean_text(track.get("albumName"))
        _from_uri(record, track.get("trackUri"))
    elif isinstance(item.get("localTrack"), dict):
        record = _local(str(item["localTrack"].get("uri", "")))
        extras["spotify.kind"] = "local"
    elif isinstance(item.get("episode"), dict):
        episode = item["episode"]
        record["title"] = clean_text(episode.get("episodeName"))
        show = clean_text(episode.get("showName"))
        record["artists"] = [show] if show else []
        record["url"] = clean_text(episode.get("episodeUri"))
        extras["spotify.kind"] = "episode"
    elif isinstance(item.get("audiobook"), dict):
        book = item["audiobook"]
        record["title"] = clean_text(book.get("audiobookName") or book.get("name"))
        record["url"] = clean_text(book.get("audiobookUri") or book.get("uri"))
        extras["spotify.kind"] = "audiobook"
    else:
        raise FormatError(source, "item has no track", pointer=pointer, expected="track")
    if item.get("addedDate"):
        extras["added_at"] = str(item["addedDate"])
    record["extras"] = extras
    return record


def _library_track(track: Any, pointer: str, source: str) -> dict[str, Any]:
    if not isinstance(track, dict):
        raise FormatError(source, "track is not an object", pointer=pointer)
    artist = clean_text(track.get("artist"))
    record: dict[str, Any] = {
        "title": clean_text(track.get("track")),
        "artists": [artist] if artist else [],
        "album": clean_text(track.get("album")),
    }
    _from_uri(record, track.get("uri"))
    return record


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    source = ctx.source
    doc = parse_json(data, ctx)
    if isinstance(doc, dict) and isinstance(doc.get("playlists"), list):
        ctx.declared_empty = True
        playlists = []
        for p_index, playlist in enumerate(doc["playlists"]):
            base = f"/playlists/{p_index}"
            if not isinstance(playlist, dict) or not isinstance(playlist.get("items", []), list):
                raise FormatError(source, "playlist without an items list", pointer=base)
            records = [
                _item(item, f"{base}/items/{i}", source)
                for i, item in enumerate(playlist.get("items", []))
            ]
            extras = {}
            for key in ("lastModifiedDate", "numberOfFollowers", "collaborators"):
                if playlist.get(key) is not None:
                    extras[f"spotify.{key}"] = (
                        json.dumps(playlist[key])
                        if not isinstance(playlist[key], str)
                        else playlist[key]
                    )
            playlists.append(
                Playlist(
                    name=clean_text(playlist.get("name")),
                    tracks=records_frame(records),
                    description=clean_text(playlist.get("description")),
                    extras=extras,
                )
            )
        return playlists
    if isinstance(doc, dict) and isinstance(doc.get("tracks"), list):
        ctx.declared_empty = True
        records = [_library_track(t, f"/tracks/{i}", source) for i, t in enumerate(doc["tracks"])]
        return [Playlist(name=LIKED_SONGS, tracks=records_frame(records))]
    raise FormatError(
        source, "not a Spotify data export", pointer="", expected='"playlists" or "tracks"'
    )


def _item_doc(row: dict[str, Any]) -> dict[str, Any]:
    extras = extras_dict(row["extras"])
    uri = spotify_uri(row)
    item: dict[str, Any] = {
        "track": {
            "trackName": row["title"] or "",
            "artistName": (row["artists"] or [""])[0],
            "albumName": row["album"] or "",
            "trackUri": uri,
        },
        "episode": None,
        "localTrack": None,
        "audiobook": None,
        "addedDate": extras.get("added_at", ""),
    }
    return item


def encode(playlists: list[Playlist]) -> bytes:
    doc = {
        "playlists": [
            {
                "name": p.name or "",
                "lastModifiedDate": p.extras.get("spotify.lastModifiedDate", ""),
                "items": [_item_doc(row) for row in p.tracks.iter_rows(named=True)],
                "description": p.description,
                "numberOfFollowers": int(p.extras.get("spotify.numberOfFollowers", "0") or 0),
            }
            for p in playlists
        ]
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sniff(head: str) -> bool:
    keys = top_level_keys(head)
    playlist_export = "playlists" in keys and "pif" not in keys and '"items"' in head
    library_export = "tracks" in keys and "playlist" not in keys and '"uri"' in head
    return playlist_export or library_export
