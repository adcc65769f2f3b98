"""Spotify streaming histories: what was played, when and for how long.

Layouts (Spotify's "Understanding my data" pages for the account-data export and
the extended streaming history):

- ``StreamingHistory0.json`` / ``StreamingHistory_music_0.json`` (account data):
  ``[{"endTime": "2024-01-02 13:45", "artistName", "trackName", "msPlayed"}]``;
  podcast plays (``StreamingHistory_podcast_0.json``) have ``podcastName`` and
  ``episodeName`` instead.
- ``Streaming_History_Audio_2023-2024_0.json`` (extended history): ``[{"ts":
  "2024-01-02T13:45:12Z", "ms_played", "master_metadata_track_name",
  "master_metadata_album_artist_name", "master_metadata_album_album_name",
  "spotify_track_uri", "episode_name", "episode_show_name", "reason_start",
  "reason_end", "shuffle", "skipped", "platform", "conn_country", ...}]``.

Reading gives the distinct tracks (first played first) with ``plays``,
``ms_played``, ``first_played`` and ``last_played`` in extras; :func:`plays` gives
one row per play and :func:`play_counts` the most-played table ("my most played
2024"). Podcast episodes are not tracks: they are counted in one warning. The
username, IP address and user agent the extended history holds are never kept.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from engine.errors import FormatError
from engine.formats import _vector as vector
from engine.formats._context import ReadContext
from engine.formats._json import parse_json
from engine.formats._model import Playlist
from engine.frame import COLUMNS, TRACK_SCHEMA, conform

PLAYS_SCHEMA = {
    "played_at": pl.Utf8,
    "title": pl.Utf8,
    "artist": pl.Utf8,
    "album": pl.Utf8,
    "uri": pl.Utf8,
    "ms_played": pl.Int64,
    "skipped": pl.Boolean,
    "platform": pl.Utf8,
}
"""One row per play."""

_BASIC = {
    "endTime": "played_at",
    "trackName": "title",
    "artistName": "artist",
    "msPlayed": "ms_played",
}
_EXTENDED = {
    "ts": "played_at",
    "master_metadata_track_name": "title",
    "master_metadata_album_artist_name": "artist",
    "master_metadata_album_album_name": "album",
    "spotify_track_uri": "uri",
    "ms_played": "ms_played",
    "skipped": "skipped",
    "platform": "platform",
}


def _variant(first: dict[str, Any]) -> str | None:
    if "ms_played" in first and "ts" in first:
        return "spotify-extended"
    if "msPlayed" in first and "endTime" in first:
        return "spotify-account"
    return None


def _column(items: list[Any], key: str) -> list[Any]:
    return [item.get(key) if isinstance(item, dict) else None for item in items]


def plays_from_document(doc: Any, ctx: ReadContext) -> pl.DataFrame:
    """One row per play (``PLAYS_SCHEMA``) from a parsed streaming-history document."""
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise FormatError(
            ctx.source, "not a streaming history", pointer="", expected="a list of plays"
        )
    ctx.variant = _variant(doc[0])
    if ctx.variant is None:
        raise FormatError(
            ctx.source,
            "not a streaming history",
            pointer="/0",
            expected='"ms_played" or "msPlayed"',
        )
    mapping = _EXTENDED if ctx.variant == "spotify-extended" else _BASIC
    columns = {name: _column(doc, key) for key, name in mapping.items()}
    for name in PLAYS_SCHEMA:
        columns.setdefault(name, [None] * len(doc))
    frame = pl.DataFrame(
        {
            name: pl.Series(columns[name], dtype=dtype, strict=False)
            for name, dtype in PLAYS_SCHEMA.items()
        }
    )
    not_objects = sum(1 for item in doc if not isinstance(item, dict))
    if not_objects:
        ctx.warn(f"{not_objects} entries are not objects; skipped", pointer="")
    episodes = sum(
        1
        for item in doc
        if isinstance(item, dict)
        and (item.get("episode_name") or item.get("episodeName") or item.get("podcastName"))
    )
    if episodes:
        ctx.warn(f"{episodes} podcast episode plays skipped (not tracks)", pointer="")
    no_track = frame.filter(pl.col("title").is_null()).height - episodes - not_objects
    if no_track > 0:
        ctx.warn(f"{no_track} plays without a track name skipped", pointer="")
    return frame.filter(pl.col("title").is_not_null())


def plays(path: str, *, ctx: ReadContext | None = None) -> pl.DataFrame:
    """Every play in a streaming-history file, one row each (``PLAYS_SCHEMA``)."""
    from pathlib import Path

    from engine.formats._io import read_bytes

    context = ctx or ReadContext(str(path))
    return plays_from_document(parse_json(read_bytes(Path(path), context.limits), context), context)


def play_counts(
    frame: pl.DataFrame, *, year: int | None = None, limit: int | None = None
) -> pl.DataFrame:
    """Tracks by number of plays (then time played), optionally within one year.

    >>> play_counts(plays("Streaming_History_Audio_2024_0.json"), year=2024)  # doctest: +SKIP
    """
    if year is not None:
        frame = frame.filter(pl.col("played_at").str.slice(0, 4) == str(year))
    counted = (
        frame.group_by("artist", "title", "uri", maintain_order=True)
        .agg(
            pl.col("album").drop_nulls().first(),
            plays=pl.len(),
            ms_played=pl.col("ms_played").sum(),
            first_played=pl.col("played_at").min(),
            last_played=pl.col("played_at").max(),
        )
        .sort(["plays", "ms_played"], descending=True, maintain_order=True)
    )
    return counted.head(limit) if limit is not None else counted


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    frame = plays_from_document(parse_json(data, ctx), ctx)
    ctx.declared_empty = True  # a history of podcasts only is not a broken file
    counts = frame.group_by("artist", "title", "uri", maintain_order=True).agg(
        pl.col("album").drop_nulls().first(),
        plays=pl.len(),
        ms_played=pl.col("ms_played").sum(),
        first_played=pl.col("played_at").min(),
        last_played=pl.col("played_at").max(),
    )
    provider_id = pl.col("uri").str.extract(r"^spotify:track:([A-Za-z0-9]{22})$")
    stats = ("plays", "ms_played", "first_played", "last_played")
    extras = vector.extras(counts, [(k, pl.col(k).cast(pl.Utf8)) for k in stats])
    tracks = counts.select(
        id=pl.int_range(pl.len()).cast(pl.Utf8),
        title=pl.col("title"),
        # the history names one artist (the album's), never a list to split
        artists=pl.when(pl.col("artist").is_not_null())
        .then(pl.col("artist").str.split("\x1f"))
        .otherwise(pl.lit([], dtype=pl.List(pl.Utf8))),
        album=pl.col("album"),
        position=pl.int_range(pl.len()),
        provider=pl.when(provider_id.is_not_null()).then(pl.lit("spotify")),
        provider_id=provider_id,
        url=pl.col("uri"),
        extras=extras,
    )
    tracks = conform(tracks).select([pl.col(c).cast(TRACK_SCHEMA[c]) for c in COLUMNS])
    return [Playlist(name="Streaming history", tracks=tracks)]


def sniff(head: str) -> bool:
    text = head.lstrip("\ufeff").lstrip()
    return text.startswith("[") and ('"ms_played"' in text[:4000] or '"msPlayed"' in text[:4000])
