"""Generic CSV: whatever header names people use, in any case.

Recognised header synonyms (case, spaces and punctuation ignored) are listed in
``HEADER_SYNONYMS``; every other column is kept in ``extras`` under its header.
Several artists in one cell are split (see ``split_artists``). Writing uses the
canonical column names, artists joined by ``"; "`` and one column per extras key.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from engine.errors import FormatError
from engine.formats._common import (
    clean_text,
    join_artists,
    parse_bool,
    parse_track_link,
    put_duration,
    put_isrc,
    split_artists,
)
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._io import decode_text
from engine.formats._model import Playlist, frame_to_playlists, merged
from engine.formats.cells import neutralise
from engine.frame import COLUMNS, extras_dict

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("title", "name", "track", "song", "trackname", "songname", "tracktitle", "songtitle"),
    "artists": ("artist", "artists", "artistname", "artistnames", "artistnames_", "performer"),
    "album": ("album", "albumname", "albumtitle", "release"),
    "duration": ("duration", "length", "time", "tracklength", "runtime"),
    "duration_ms": ("durationms", "trackdurationms", "lengthms", "millis", "milliseconds"),
    "duration_s": ("durations", "durationsec", "durationseconds", "seconds", "lengths"),
    "isrc": ("isrc", "isrccode"),
    "id": ("id", "trackid"),
    "explicit": ("explicit", "parentaladvisory"),
    "release_date": ("releasedate", "released", "year", "date", "albumreleasedate"),
    "position": ("position", "pos", "no", "number", "index", "trackposition"),
    "provider": ("provider", "service", "source"),
    "provider_id": ("providerid", "providertrackid"),
    "url": ("url", "uri", "link", "location", "path", "file", "spotifyuri", "trackuri"),
    "playlist": ("playlist", "playlistname"),
}
_LOOKUP = {syn: field for field, syns in HEADER_SYNONYMS.items() for syn in syns}


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def map_headers(headers: list[str]) -> dict[int, str]:
    """Column index -> canonical field for the headers we recognise (first one wins)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        field = _LOOKUP.get(_header_key(header))
        if field is not None and field not in taken:
            mapping[index] = field
            taken.add(field)
    return mapping


def sniff_delimiter(header_line: str) -> str:
    """``,``, ``;`` or tab: whichever the header line uses most outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    return max(",;\t", key=unquoted.count)


def read_rows(text: str, ctx: ReadContext) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line number, cells)`` rows; delimiter sniffed among , ; tab."""
    source = ctx.source
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise FormatError(source, "empty file", line=1, expected="a header row")
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if not any(c.strip() for c in cells):
                if any(cells):
                    ctx.warn("row of empty cells skipped", line=start)
                start = reader.line_num + 1
                continue
            if len(cells) > len(header):
                ctx.warn(
                    f"{len(cells)} cells in a {len(header)}-column file; "
                    f"cells after column {len(header)} dropped",
                    line=start,
                )
                cells = cells[: len(header)]
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(source, f"bad CSV: {exc}", line=reader.line_num) from exc
    return clean_headers(header, ctx), rows


def clean_headers(header: list[str], ctx: ReadContext) -> list[str]:
    """Header cells without surrounding whitespace (a warning names each one trimmed)."""
    cleaned = [h.strip() for h in header]
    for raw, clean in zip(header, cleaned, strict=True):
        if raw != clean and clean:
            ctx.warn(f"header {raw!r} has surrounding whitespace; read as {clean!r}", line=1)
    return cleaned


def _record(headers: list[str], mapping: dict[int, str], cells: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    extras: dict[str, str] = {}
    for index, header in enumerate(headers):
        raw = cells[index] if index < len(cells) else ""
        field = mapping.get(index)
        if field is None:
            if raw != "":
                extras[header] = raw
        elif field == "artists":
            record["artists"] = split_artists(raw)
        elif field in ("duration", "duration_ms", "duration_s"):
            unit = {"duration_ms": "ms", "duration_s": "s"}.get(field)
            put_duration(record, extras, raw, unit)
        elif field == "isrc":
            put_isrc(record, extras, raw)
        elif field == "explicit":
            record["explicit"] = parse_bool(raw)
        elif field == "position":
            text = raw.strip()
            record["position"] = int(text) if text.isdigit() else None
        else:
            record[field] = clean_text(raw)
    link = parse_track_link(record.get("url"))
    if link and not record.get("provider_id"):
        record["provider"], record["provider_id"] = link
    record["extras"] = extras
    return record


def records_from_csv(
    text: str, ctx: ReadContext
) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    source = ctx.source
    headers, rows = read_rows(text, ctx)
    mapping = map_headers(headers)
    if "title" not in mapping.values() and "url" not in mapping.values():
        raise FormatError(
            source,
            f"no title column in header {headers!r}",
            line=1,
            expected="a column named title, name, track or song",
        )
    ctx.declared_empty = True  # a header alone is an empty playlist
    records = [_record(headers, mapping, cells) for _, cells in rows]
    return headers, records, [line for line, _ in rows]


def _index_positions(records: list[dict[str, Any]]) -> None:
    # ids are unique in the file; positions count within each playlist
    next_position: dict[str | None, int] = {}
    for index, record in enumerate(records):
        playlist = record.get("playlist")
        if record.get("position") is None:
            record["position"] = next_position.get(playlist, 0)
        next_position[playlist] = record["position"] + 1
        if record.get("id") is None:
            record["id"] = str(index)


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    _, records, lines = records_from_csv(decode_text(data, ctx), ctx)
    _index_positions(records)
    playlists = frame_to_playlists(records_frame(records))
    if len(playlists) == 1:
        playlists[0].lines = lines
    return playlists


_WRITE_COLUMNS = [c for c in COLUMNS if c != "extras"]


def encode(playlists: list[Playlist], *, raw: bool = False) -> bytes:
    """CSV for people (formula-like cells neutralised), or ``raw`` for round-trips."""
    playlist = merged(playlists)
    rows = list(playlist.tracks.iter_rows(named=True))
    extra_keys: list[str] = []
    for row in rows:
        for key in extras_dict(row["extras"]):
            if key not in extra_keys and _LOOKUP.get(_header_key(key)) is None:
                extra_keys.append(key)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; quotes any \r or \n
    header = [*_WRITE_COLUMNS, *extra_keys]
    writer.writerow(header if raw else [neutralise(h) for h in header])
    for row in rows:
        extras = extras_dict(row["extras"])
        cells = []
        for column in _WRITE_COLUMNS:
            value = row[column]
            if column == "artists":
                cells.append(join_artists(value))
            elif column == "explicit":
                cells.append("" if value is None else str(value).lower())
            elif column == "playlist" and value is None:
                cells.append(playlist.name or "")
            else:
                cells.append("" if value is None else str(value))
        cells.extend(extras.get(key, "") for key in extra_keys)
        writer.writerow(cells if raw else [neutralise(c) for c in cells])
    return out.getvalue().encode("utf-8")


def sniff(head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    if not first or first.startswith(("#", "{", "[", "<")):
        return False
    delimiter = sniff_delimiter(first)
    headers = [h.strip().strip('"') for h in first.split(delimiter)]
    return any(_LOOKUP.get(_header_key(h)) in ("title", "artists") for h in headers)


def encode_raw(playlists: list[Playlist]) -> bytes:
    """Cells exactly as they are, for files read back by programs."""
    return encode(playlists, raw=True)
