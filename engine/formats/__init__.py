"""Playlist files in and out: one canonical track frame for every format.

>>> import engine.formats as formats
>>> frame = formats.read("engine/samples/road-trip.m3u8")   # doctest: +SKIP
>>> formats.write(frame, "road-trip.pif.json")               # doctest: +SKIP

Formats: ``pif``, ``csv``, ``exportify``, ``m3u`` (and ``m3u8``), ``xspf``, ``jspf``,
``spotify`` (account-data export ``Playlist1.json``/``YourLibrary.json``). The format
is taken from ``format=`` if given, else sniffed from the content, else from the
extension. Every read error is an ``engine.errors.FormatError`` naming the file and
line or JSON pointer; writes are atomic.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from engine.errors import FormatError
from engine.formats._common import (
    IDS_PREFIX,
    INVALID_PREFIX,
    all_provider_ids,
    provider_ids,
    split_artists,
)
from engine.formats._io import atomic_write, decode_text, read_bytes
from engine.formats._model import Format, Playlist, frame_to_playlists, playlists_to_frame
from engine.formats._registry import FORMATS, by_name, for_reading, for_writing, register
from engine.formats.durations import parse_duration
from engine.formats.validation import Problem, document_problems, frame_problems

__all__ = [
    "FORMATS",
    "IDS_PREFIX",
    "INVALID_PREFIX",
    "Format",
    "Playlist",
    "Problem",
    "all_provider_ids",
    "by_name",
    "detect_format",
    "format_for_writing",
    "parse_duration",
    "provider_ids",
    "read",
    "read_playlists",
    "register",
    "split_artists",
    "validate",
    "write",
    "write_playlists",
]

_SNIFF_BYTES = 64 * 1024


def detect_format(path: str | Path, data: bytes | None = None) -> str:
    """The name of the format ``path`` would be read as."""
    path = Path(path)
    if data is None:
        data = read_bytes(path)
    return for_reading(path, decode_text(data[:_SNIFF_BYTES]), None).name


def read_playlists(path: str | Path, format: str | None = None) -> list[Playlist]:
    """Every playlist in ``path`` with its metadata and tracks."""
    path = Path(path)
    data = read_bytes(path)
    fmt = for_reading(path, decode_text(data[:_SNIFF_BYTES]), format)
    return fmt.decode(data, str(path))


def read(path: str | Path, format: str | None = None) -> pl.DataFrame:
    """The tracks of ``path`` as a canonical frame (``playlist`` names each row's playlist).

    >>> frame = read("engine/samples/road-trip.csv")  # doctest: +SKIP
    >>> frame.select("title", "duration_ms").row(0)  # doctest: +SKIP
    ('Jóga', 305000)
    """
    return playlists_to_frame(read_playlists(path, format))


def format_for_writing(path: str | Path, format: str | None = None) -> Format:
    """The format ``write`` would use for ``path``: ``format`` if given, else the extension."""
    return for_writing(Path(path), format)


def write_playlists(
    playlists: list[Playlist], path: str | Path, format: str | None = None, *, raw: bool = False
) -> None:
    """Write ``playlists`` to ``path`` atomically; single-playlist formats get them merged.
    CSV cells a spreadsheet would run as formulas are neutralised unless ``raw``
    (round-trips; ``engine.formats.cells``)."""
    path = Path(path)
    fmt = for_writing(path, format)
    encode = fmt.encode_raw if raw and fmt.encode_raw is not None else fmt.encode
    atomic_write(path, encode(playlists))


def write(
    frame: pl.DataFrame, path: str | Path, format: str | None = None, *, raw: bool = False
) -> None:
    """Write a canonical frame to ``path`` (format from ``format`` or the extension)."""
    write_playlists(frame_to_playlists(frame), path, format, raw=raw)


def validate(path: str | Path, format: str | None = None) -> list[Problem]:
    """Every problem in ``path`` at once, each with its JSON pointer; empty if none."""
    from engine.formats.pif import parse_json

    path = Path(path)
    try:
        data = read_bytes(path)
        fmt = for_reading(path, decode_text(data[:_SNIFF_BYTES]), format)
        if fmt.name == "pif":
            problems = document_problems(parse_json(data, str(path)))
            if problems:
                return problems
        return frame_problems(fmt.decode(data, str(path)))
    except FormatError as exc:
        return [Problem(exc.pointer, exc.problem, exc.line)]
