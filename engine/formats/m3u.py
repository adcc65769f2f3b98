"""M3U and M3U8 playlists.

Reads extended M3U (``#EXTM3U``, ``#EXTINF:<seconds>[ attrs],Artist - Title``,
``#PLAYLIST:``, ``#EXTALB:``, ``#EXTART:``, ``#EXTGENRE:``) and plain path lists;
locations may be paths or URLs (provider links set ``provider``/``provider_id``).
Encodings: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252/Latin-1;
CRLF and CR line ends. Writes UTF-8 extended M3U.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import unquote

from engine.formats._common import (
    join_artists,
    parse_track_link,
    put_duration,
    safe_urlparse,
    split_artists,
    track_link,
)
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._io import decode_text
from engine.formats._model import Playlist, merged
from engine.frame import extras_dict

_EXTINF = re.compile(r"^#EXTINF:\s*(-?\d+(?:\.\d+)?)?\s*([^,]*?)\s*(?:,(.*))?$", re.IGNORECASE)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')


_TRACK_NUMBER = re.compile(r"^\d{1,3}(?:[\s._-]+|\s*-\s*)(?=\S)")


_GENERIC_FOLDERS = frozenset(
    {
        "",
        "music",
        "my music",
        "itunes",
        "itunes media",
        "media",
        "downloads",
        "mp3",
        "songs",
        "audio",
        "home",
        "users",
        "storage",
        "emulated",
        "0",
        "sdcard",
        "volumes",
        "mnt",
    }
)
"""Folder names that say nothing about artist or album."""


def _path_parts(location: str) -> tuple[str, ...]:
    parsed = safe_urlparse(location)
    is_url = parsed.scheme in ("http", "https", "file") and bool(parsed.netloc or parsed.path)
    path = unquote(parsed.path) if is_url else location
    pure = PureWindowsPath(path) if "\\" in path else PurePosixPath(path)
    return pure.parts


def guess_from_location(location: str) -> dict[str, Any]:
    """Title (and artist/album from ``Artist/Album/NN Title.ext`` folders) from a path.

    >>> guess_from_location("Music/Zoé/Reptilectric/01 Reptilectric.ogg")["artists"]
    ['Zoé']
    """
    parts = _path_parts(location)
    stem = re.sub(r"\.[A-Za-z0-9]{2,5}$", "", parts[-1]) if parts else location
    stem = _TRACK_NUMBER.sub("", stem or location) or stem or location
    if " - " in stem:
        artists, title = _split_display(stem)
        return {"title": title, "artists": artists}
    guess: dict[str, Any] = {"title": stem, "artists": []}
    is_web = safe_urlparse(location).scheme in ("http", "https")
    folders = [p for p in parts[:-1] if p.strip("/\\:").lower() not in _GENERIC_FOLDERS]
    folders = [p for p in folders if not re.fullmatch(r"[A-Za-z]:\\?|[/\\]", p)]
    if not is_web and len(folders) >= 2:
        guess["artists"], guess["album"] = [folders[-2]], folders[-1]
    return guess


def _split_display(display: str) -> tuple[list[str], str]:
    if " - " in display:
        artist, title = display.split(" - ", 1)
        return split_artists(artist), title.strip()
    return [], display.strip()


class _Entry:
    def __init__(self, line: int | None = None) -> None:
        self.record: dict[str, Any] = {}
        self.extras: dict[str, str] = {}
        self.line = line
        """Line of the entry's first directive (its #EXTINF), if any."""

    def extinf(self, line: str, number: int, ctx: ReadContext) -> None:
        match = _EXTINF.match(line)
        if match is None:  # pragma: no cover - the pattern matches any #EXTINF: line
            self.extras["m3u.extinf"] = line
            return
        seconds, attrs, display = match.groups()
        if seconds is not None and not seconds.startswith("-"):
            put_duration(self.record, self.extras, seconds, "s")
        attributes = _ATTR.findall(attrs or "")
        for key, value in attributes:
            self.extras[f"m3u.{key}"] = value
        leftover = _ATTR.sub("", attrs or "").strip()
        if seconds is None or leftover or display is None:
            self.extras["m3u.extinf"] = line
            problems = []
            if seconds is None:
                problems.append("no duration in seconds")
            if leftover:
                problems.append(f"unexpected text {leftover[:40]!r}")
            if display is None:
                problems.append("no ',' before the title")
            ctx.warn(
                f"malformed #EXTINF ({'; '.join(problems)}); kept what could be read",
                line=number,
            )
        if display:
            artists, title = _split_display(display.strip())
            self.record.setdefault("artists", artists)
            self.record["title"] = title or None

    def finish(self, location: str) -> dict[str, Any]:
        record = self.record
        record["url"] = location
        if not record.get("title"):
            for key, value in guess_from_location(location).items():
                if not record.get(key):
                    record[key] = value
        link = parse_track_link(location)
        record["provider"], record["provider_id"] = link if link else ("file", None)
        record["extras"] = self.extras
        return record


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    text = decode_text(data, ctx)
    name: str | None = None
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    entry = _Entry()
    directives = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        upper = line.upper()
        if upper.startswith("#EXTINF:"):
            if entry.line is not None:
                ctx.warn("#EXTINF without a location after it; dropped", line=entry.line)
                entry = _Entry()
            entry.line = number
            entry.extinf(line, number, ctx)
        elif upper.startswith("#PLAYLIST:"):
            name = line.split(":", 1)[1].strip() or None
            directives += 1
        elif upper.startswith("#EXTALB:"):
            entry.record["album"] = line.split(":", 1)[1].strip() or None
        elif upper.startswith("#EXTART:"):
            entry.record["artists"] = split_artists(line.split(":", 1)[1])
        elif upper.startswith("#EXTGENRE:"):
            entry.extras["genre"] = line.split(":", 1)[1].strip()
        elif line.startswith("#"):
            directives += upper.startswith("#EXTM3U")
            continue  # comments and directives we do not use
        else:
            lines.append(entry.line or number)
            records.append(entry.finish(line))
            entry = _Entry()
    if entry.line is not None:
        ctx.warn("#EXTINF without a location after it; dropped", line=entry.line)
    ctx.declared_empty = not records and directives > 0 and entry.line is None
    return [Playlist(name=name, tracks=records_frame(records), lines=lines)]


_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def _one_line(text: object) -> str:
    """Text that cannot break the line structure of an M3U file (NUL, which every
    reader drops, is dropped here too, so a location never reads back empty)."""
    return _LINE_BREAKS.sub(" ", str(text)).replace("\x00", "").strip()


def _location(row: dict[str, Any]) -> str:
    location = _one_line(row["url"] or "")
    if not location:
        location = track_link(row["provider"], row["provider_id"]) or ""
    if not location:
        display = " - ".join(p for p in (join_artists(row["artists"], ", "), row["title"]) if p)
        location = re.sub(r'[\\/:*?"<>|]', "_", _one_line(display) or "track") + ".mp3"
    return "%23" + location[1:] if location.startswith("#") else location


def encode(playlists: list[Playlist]) -> bytes:
    playlist = merged(playlists)
    lines = ["#EXTM3U"]
    if playlist.name:
        lines.append(f"#PLAYLIST:{_one_line(playlist.name)}")
    for row in playlist.tracks.iter_rows(named=True):
        seconds = -1 if row["duration_ms"] is None else round(row["duration_ms"] / 1000)
        artists = join_artists(row["artists"], ", ")
        display = f"{artists} - {row['title'] or ''}" if artists else (row["title"] or "")
        lines.append(f"#EXTINF:{seconds},{_one_line(display)}")
        if len(row["artists"] or []) > 1 or "," in artists:
            lines.append(f"#EXTART:{_one_line(join_artists(row['artists']))}")
        if row["album"]:
            lines.append(f"#EXTALB:{_one_line(row['album'])}")
        genre = extras_dict(row["extras"]).get("genre")
        if genre:
            lines.append(f"#EXTGENRE:{_one_line(genre)}")
        lines.append(_location(row))
    return ("\n".join(lines) + "\n").encode("utf-8")


def sniff(head: str) -> bool:
    return head.lstrip("\ufeff").lstrip().upper().startswith(("#EXTM3U", "#EXTINF"))
