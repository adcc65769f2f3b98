"""Exportify CSV (https://exportify.net), old and new column sets.

Old (2017-2020): ``Spotify URI, Track Name, Artist Name, Album Name, Disc Number,
Track Number, Track Duration (ms), Added By, Added At``.
Middle (2020-2023): ``Track URI, Track Name, Artist URI(s), Artist Name(s), Album URI,
Album Name, ..., Album Release Date, ..., Track Duration (ms), ..., Explicit,
Popularity, ISRC, Added By, Added At, ...audio features``.
New (2024-): ``Track URI, Track Name, Album Name, Artist Name(s), Release Date,
Duration (ms), Popularity, Explicit, Added By, Added At, Genres, Record Label, ...``.
Columns beyond the canonical ones land in ``extras`` under their header.
"""

from __future__ import annotations

import csv
import io
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
    spotify_uri,
)
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._io import decode_text
from engine.formats._model import Playlist, merged
from engine.formats.cells import neutralise
from engine.formats.csv_generic import read_rows
from engine.frame import extras_dict

_FIELDS = {
    "Track URI": "uri",
    "Spotify URI": "uri",
    "Track Name": "title",
    "Artist Name(s)": "artists",
    "Artist Name": "artists",
    "Album Name": "album",
    "Track Duration (ms)": "duration_ms",
    "Duration (ms)": "duration_ms",
    "ISRC": "isrc",
    "Explicit": "explicit",
    "Album Release Date": "release_date",
    "Release Date": "release_date",
}

WRITE_HEADERS = [
    "Track URI",
    "Track Name",
    "Album Name",
    "Artist Name(s)",
    "Release Date",
    "Duration (ms)",
    "Popularity",
    "Explicit",
    "Added By",
    "Added At",
    "Genres",
    "Record Label",
    "ISRC",
]
"""The 2024 column set (plus ISRC, which the middle set had), used when writing."""


def _artists(cell: str, artist_uris: str | None) -> list[str]:
    # Exportify joins names with "," (Spotify's own names may contain commas); the
    # URI column, when present, tells how many artists there are.
    if artist_uris:
        count = len([u for u in artist_uris.split(",") if u.strip()])
        naive = [p.strip() for p in cell.split(",") if p.strip()]
        if len(naive) == count:
            return naive
    return split_artists(cell)


def _record(headers: list[str], cells: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    extras: dict[str, str] = {}
    values = dict(zip(headers, cells, strict=False))
    for header, raw in values.items():
        field = _FIELDS.get(header)
        if field is None:
            if raw != "":
                extras[header] = raw
        elif field == "uri":
            link = parse_track_link(raw)
            record["url"] = clean_text(raw)
            if link:
                record["provider"], record["provider_id"] = link
        elif field == "artists":
            record["artists"] = _artists(raw, values.get("Artist URI(s)"))
        elif field == "duration_ms":
            put_duration(record, extras, raw, "ms")
        elif field == "isrc":
            put_isrc(record, extras, raw)
        elif field == "explicit":
            record["explicit"] = parse_bool(raw)
        else:
            record[field] = clean_text(raw)
    record["extras"] = extras
    return record


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    headers, rows = read_rows(decode_text(data, ctx), ctx)
    if not is_exportify_header(headers):
        raise FormatError(
            ctx.source, "not an Exportify header", line=1, expected="Track URI, Track Name"
        )
    ctx.declared_empty = True
    ctx.variant = variant(headers)
    records = [_record(headers, cells) for _, cells in rows]
    return [Playlist(name=None, tracks=records_frame(records), lines=[line for line, _ in rows])]


def variant(headers: list[str]) -> str:
    """Which Exportify column set ``headers`` are: ``original``, ``2020`` or ``2024``."""
    names = set(headers)
    if "Spotify URI" in names:
        return "exportify-original"
    if "Artist URI(s)" in names or "Track Duration (ms)" in names:
        return "exportify-2020"
    return "exportify-2024"


def encode(playlists: list[Playlist], *, raw: bool = False) -> bytes:
    """CSV for people (formula-like cells neutralised), or ``raw`` for round-trips."""
    playlist = merged(playlists)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    rows = list(playlist.tracks.iter_rows(named=True))
    extra_keys: list[str] = []
    for row in rows:
        for key in extras_dict(row["extras"]):
            if key not in WRITE_HEADERS and key not in _FIELDS and key not in extra_keys:
                extra_keys.append(key)
    header = [*WRITE_HEADERS, *extra_keys]
    writer.writerow(header if raw else [neutralise(h) for h in header])
    for row in rows:
        extras = extras_dict(row["extras"])
        uri = spotify_uri(row)
        canonical = {
            "Track URI": uri,
            "Track Name": row["title"] or "",
            "Album Name": row["album"] or "",
            "Artist Name(s)": join_artists(row["artists"], ","),
            "Release Date": row["release_date"] or "",
            "Duration (ms)": "" if row["duration_ms"] is None else str(row["duration_ms"]),
            "Explicit": "" if row["explicit"] is None else str(row["explicit"]).lower(),
            "ISRC": row["isrc"] or "",
        }
        cells = [canonical.get(h, extras.get(h, "")) for h in WRITE_HEADERS]
        line = [*cells, *(extras.get(k, "") for k in extra_keys)]
        writer.writerow(line if raw else [neutralise(c) for c in line])
    return out.getvalue().encode("utf-8")


def is_exportify_header(headers: list[str]) -> bool:
    names = set(headers)
    return bool({"Track URI", "Spotify URI"} & names) and "Track Name" in names


def sniff(head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    headers = next(csv.reader([first]), [])
    return is_exportify_header([h.strip() for h in headers])


def encode_raw(playlists: list[Playlist]) -> bytes:
    """Cells exactly as they are, for files read back by programs."""
    return encode(playlists, raw=True)
