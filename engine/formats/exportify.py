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

import polars as pl

from engine.errors import FormatError
from engine.formats import _vector as vector
from engine.formats._common import INVALID_PREFIX, join_artists, spotify_uri
from engine.formats._context import ReadContext
from engine.formats._model import Playlist, merged
from engine.formats._table import Table, read_table
from engine.formats.cells import neutralise
from engine.frame import COLUMNS, TRACK_SCHEMA, conform, extras_dict

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


def _artists(names: pl.Series, uris: pl.Series | None) -> pl.Series:
    # Exportify joins names with "," (Spotify's own names may contain commas); the
    # URI column, when present, tells how many artists there are.
    split = vector.split_artists(names)
    if uris is None:
        return split
    frame = pl.DataFrame({"names": names, "uris": uris, "split": split})
    naive = vector.split_plain(pl.col("names"))
    count = vector.split_plain(pl.col("uris")).list.len()
    same = (pl.col("uris").str.len_bytes() > 0) & (naive.list.len() == count)
    return frame.select(pl.when(same.fill_null(False)).then(naive).otherwise("split"))["names"]


def _canonical(table: Table) -> pl.DataFrame:
    columns: dict[str, pl.Expr | pl.Series] = {}
    pairs: list[tuple[str, pl.Expr]] = []
    fields = {_FIELDS[h]: f"c{i}" for i, h in enumerate(table.headers) if h in _FIELDS}
    uris_index = next((i for i, h in enumerate(table.headers) if h == "Artist URI(s)"), None)
    uris = None if uris_index is None else table.frame[f"c{uris_index}"]
    for index, header in enumerate(table.headers):
        cell = pl.col(f"c{index}")
        field = _FIELDS.get(header)
        if field is None:
            pairs.append((header, cell))
        elif field == "duration_ms" and fields["duration_ms"] == f"c{index}":
            value, invalid = vector.durations(table.frame[f"c{index}"], "ms")
            columns["duration_ms"] = value
            pairs.append((INVALID_PREFIX + "duration", pl.lit(invalid)))
        elif field == "isrc" and fields["isrc"] == f"c{index}":
            isrc, bad = vector.isrc(table.frame[f"c{index}"])
            columns["isrc"] = isrc
            pairs.append((INVALID_PREFIX + "isrc", pl.lit(bad)))
    for field in ("title", "album", "release_date"):
        if field in fields:
            columns[field] = vector.clean(pl.col(fields[field]))
    if "artists" in fields:
        columns["artists"] = _artists(table.frame[fields["artists"]], uris)
    if "explicit" in fields:
        columns["explicit"] = vector.explicit(pl.col(fields["explicit"]))
    if "uri" in fields:
        columns["url"] = vector.clean(pl.col(fields["uri"]))
    columns["extras"] = vector.extras(table.frame, pairs)
    frame = conform(table.frame.select(**columns))
    if "uri" in fields:
        provider, provider_id = vector.track_links(table.frame[fields["uri"]])
        frame = frame.with_columns(provider=provider, provider_id=provider_id)
    return frame.with_columns(
        id=pl.int_range(pl.len()).cast(pl.Utf8), position=pl.int_range(pl.len())
    ).select([pl.col(c).cast(TRACK_SCHEMA[c]) for c in COLUMNS])


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    table = read_table(data, ctx)
    if not is_exportify_header(table.headers):
        raise FormatError(
            ctx.source, "not an Exportify header", line=1, expected="Track URI, Track Name"
        )
    ctx.declared_empty = True
    ctx.variant = variant(table.headers)
    return [Playlist(name=None, tracks=_canonical(table), lines=table.lines)]


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
    try:
        headers = next(csv.reader([first]), [])
    except csv.Error:
        return False
    return is_exportify_header([h.strip() for h in headers])


def encode_raw(playlists: list[Playlist]) -> bytes:
    """Cells exactly as they are, for files read back by programs."""
    return encode(playlists, raw=True)
