"""Playlists as the formats see them, and the table of formats.

A reader turns bytes into ``list[Playlist]``; a writer turns ``list[Playlist]`` into
bytes. ``engine.formats`` does the file I/O around them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from engine.formats._context import ReadContext
from engine.frame import conform, empty_tracks


@dataclass
class Playlist:
    """One playlist: its name, optional description and metadata, and its tracks
    as a canonical frame (``engine.frame.TRACK_SCHEMA``)."""

    name: str | None
    tracks: pl.DataFrame = field(default_factory=empty_tracks)
    description: str | None = None
    extras: dict[str, str] = field(default_factory=dict)
    lines: Sequence[int] | None = field(default=None, compare=False, repr=False)
    """Source line of each track, when the reader knows it (for warnings)."""


Decoder = Callable[[bytes, ReadContext], list[Playlist]]
"""Bytes and the read's context (source name, limits, warnings) -> playlists."""
Encoder = Callable[[list[Playlist]], bytes]
Sniffer = Callable[[str], bool]


@dataclass(frozen=True)
class Format:
    """A playlist file format: how to recognise, read and write it."""

    name: str
    extensions: tuple[str, ...]
    """File name endings, the preferred one (used when naming new files) first."""
    decode: Decoder
    encode: Encoder | None
    """None for formats Crossfade reads but does not write (streaming histories)."""
    sniff: Sniffer
    multi: bool = False
    """True when one file can hold several playlists."""
    description: str = ""
    encode_raw: Encoder | None = None
    """Spreadsheet formats only: the writer for round-trips, cells as they are
    (``encode`` neutralises formula-like cells, ``engine.formats.cells``)."""


def playlists_to_frame(playlists: list[Playlist]) -> pl.DataFrame:
    """All playlists as one canonical frame; ``playlist`` names each row's playlist.

    Ids are made unique across playlists by prefixing ``<n>:`` when they collide.
    """
    frames = []
    for playlist in playlists:
        frame = conform(playlist.tracks)
        if playlist.name is not None:
            frame = frame.with_columns(pl.lit(playlist.name, dtype=pl.Utf8).alias("playlist"))
        frames.append(frame)
    if not frames:
        return empty_tracks()
    combined = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    if len(frames) > 1 and combined["id"].n_unique() != combined.height:
        combined = pl.concat(
            [
                f.with_columns((pl.lit(f"{n}:") + pl.col("id")).alias("id"))
                for n, f in enumerate(frames)
            ],
            how="diagonal_relaxed",
        )
    return conform(combined)


def frame_to_playlists(frame: pl.DataFrame) -> list[Playlist]:
    """Split a canonical frame by its ``playlist`` column, in order of first appearance."""
    frame = conform(frame)
    if frame.height == 0:
        return [Playlist(name=None, tracks=frame)]
    names = frame["playlist"].unique(maintain_order=True).to_list()
    if len(names) == 1:
        return [Playlist(name=names[0], tracks=frame)]
    return [
        Playlist(
            name=name,
            tracks=frame.filter(
                pl.col("playlist").is_null() if name is None else pl.col("playlist") == name
            ),
        )
        for name in names
    ]


def merged(playlists: list[Playlist]) -> Playlist:
    """One playlist from several, for formats that hold only one (first name wins)."""
    if len(playlists) == 1:
        return playlists[0]
    name = next((p.name for p in playlists if p.name), None)
    frame = playlists_to_frame(playlists)
    description = next((p.description for p in playlists if p.description), None)
    return Playlist(name=name, tracks=frame, description=description)
