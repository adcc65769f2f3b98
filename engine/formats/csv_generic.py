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

import polars as pl

from engine.errors import FormatError
from engine.formats import _vector as vector
from engine.formats._common import INVALID_PREFIX, join_artists
from engine.formats._context import ReadContext
from engine.formats._model import Playlist, frame_to_playlists, merged
from engine.formats._table import Table, read_table, sniff_delimiter
from engine.formats.cells import neutralise
from engine.frame import COLUMNS, TRACK_SCHEMA, conform, extras_dict

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


_TEXT_FIELDS = ("title", "album", "release_date", "provider", "provider_id", "url", "playlist")
_DURATION_UNITS = {"duration": None, "duration_ms": "ms", "duration_s": "s"}


def _canonical(table: Table, mapping: dict[int, str]) -> pl.DataFrame:
    """The canonical frame of a generic CSV table, column by column."""
    raw = table.frame
    by_field = {field: f"c{index}" for index, field in mapping.items()}
    columns: dict[str, pl.Expr | pl.Series] = {}
    pairs: list[tuple[str, pl.Expr]] = []
    for index, header in enumerate(table.headers):
        field = mapping.get(index)
        if field is None:
            pairs.append((header, pl.col(f"c{index}")))
        elif field == "isrc":
            value, invalid = vector.isrc(raw[f"c{index}"])
            columns["isrc"] = value
            pairs.append((INVALID_PREFIX + "isrc", pl.lit(invalid)))
        elif field in _DURATION_UNITS and "duration_ms" not in columns:
            value_s, invalid_s = _durations(raw, table.headers, mapping)
            columns["duration_ms"] = value_s
            pairs.append((INVALID_PREFIX + "duration", pl.lit(invalid_s)))
    for field in _TEXT_FIELDS:
        if field in by_field:
            columns[field] = vector.clean(pl.col(by_field[field]))
    if "artists" in by_field:
        columns["artists"] = vector.split_artists(raw[by_field["artists"]])
    if "explicit" in by_field:
        columns["explicit"] = vector.explicit(pl.col(by_field["explicit"]))
    if "position" in by_field:
        columns["position"] = vector.position(pl.col(by_field["position"]))
    if "id" in by_field:
        columns["id"] = vector.clean(pl.col(by_field["id"]))
    columns["extras"] = vector.extras(table.frame, pairs)
    frame = conform(raw.select(**columns))
    if "url" in by_field:
        provider, provider_id = vector.track_links(frame["url"])
        use = frame["provider_id"].is_null() & provider.is_not_null()
        frame = frame.with_columns(
            provider=pl.when(use).then(provider).otherwise(pl.col("provider")),
            provider_id=pl.when(use).then(provider_id).otherwise(pl.col("provider_id")),
        )
    return frame


def _durations(
    raw: pl.DataFrame, headers: list[str], mapping: dict[int, str]
) -> tuple[pl.Series, pl.Series]:
    # several duration columns: the last one read wins, as a row-by-row reader would
    value: pl.Series | None = None
    invalid: pl.Series | None = None
    for index in range(len(headers)):
        field = mapping.get(index)
        if field not in _DURATION_UNITS:
            continue
        ms, bad = vector.durations(raw[f"c{index}"], _DURATION_UNITS[field])
        value = ms
        invalid = bad if invalid is None else bad.fill_null(invalid)
    assert value is not None and invalid is not None
    return value, invalid


def _positions(frame: pl.DataFrame) -> pl.DataFrame:
    """Missing positions count on from the previous row of the same playlist;
    missing ids are the row number."""
    row = pl.int_range(pl.len()).over("playlist")
    anchor = (pl.col("position") - row).forward_fill().over("playlist").fill_null(0)
    return frame.with_columns(
        position=pl.coalesce("position", row + anchor),
        id=pl.coalesce("id", pl.int_range(pl.len()).cast(pl.Utf8)),
    )


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    table = read_table(data, ctx)
    mapping = map_headers(table.headers)
    if "title" not in mapping.values() and "url" not in mapping.values():
        raise FormatError(
            ctx.source,
            f"no title column in header {table.headers!r}",
            line=1,
            expected="a column named title, name, track or song",
        )
    ctx.declared_empty = True  # a header alone is an empty playlist
    frame = _positions(_canonical(table, mapping)).select(
        [pl.col(c).cast(TRACK_SCHEMA[c]) for c in COLUMNS]
    )
    playlists = frame_to_playlists(frame)
    if len(playlists) == 1:
        playlists[0].lines = table.lines
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
