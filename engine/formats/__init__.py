"""Playlist files in and out: one canonical track frame for every format.

>>> import engine.formats as formats
>>> frame = formats.read("engine/samples/road-trip.m3u8")   # doctest: +SKIP
>>> formats.write(frame, "road-trip.pif.json")               # doctest: +SKIP

Formats: ``pif``, ``csv``, ``exportify``, ``m3u`` (and ``m3u8``), ``xspf``, ``jspf``,
``spotify`` (account-data export ``Playlist1.json``/``YourLibrary.json``). The format
is taken from ``format=`` if given, else sniffed from the content, else from the
extension. Every read error is an ``engine.errors.FormatError`` naming the file and
line or JSON pointer; writes are atomic.

Readers are forgiving but never silent: :func:`load` returns the playlists with
every repair or dropped line as a :class:`ReadWarning` (``strict=True`` raises the
first one instead); :func:`read` and :func:`read_playlists` log them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from engine.errors import FormatError
from engine.formats._checks import check_not_empty, check_rows, limit_fields
from engine.formats._common import (
    IDS_PREFIX,
    INVALID_PREFIX,
    all_provider_ids,
    provider_ids,
    split_artists,
)
from engine.formats._context import ReadContext, ReadLimits, ReadWarning
from engine.formats._io import atomic_write, decode_text, read_bytes
from engine.formats._model import Format, Playlist, frame_to_playlists, playlists_to_frame
from engine.formats._registry import (
    FORMATS,
    by_name,
    for_reading,
    for_writing,
    register,
    writable,
)
from engine.formats.durations import parse_duration
from engine.formats.validation import Problem, document_problems, frame_problems

__all__ = [
    "FORMATS",
    "IDS_PREFIX",
    "INVALID_PREFIX",
    "Format",
    "Playlist",
    "Problem",
    "ReadLimits",
    "ReadResult",
    "ReadWarning",
    "all_provider_ids",
    "by_name",
    "detect_format",
    "format_for_writing",
    "frame_problems",
    "load",
    "parse_duration",
    "provider_ids",
    "read",
    "read_playlists",
    "register",
    "split_artists",
    "validate",
    "writable",
    "writable_formats",
    "write",
    "write_playlists",
]

_SNIFF_BYTES = 64 * 1024
log = logging.getLogger(__name__)


@dataclass
class ReadResult:
    """What :func:`load` read: the playlists, the format (and layout variant) it
    took the file for, and every repair or dropped line as a warning."""

    playlists: list[Playlist]
    format: str
    variant: str | None
    warnings: list[ReadWarning]

    def frame(self) -> pl.DataFrame:
        """All playlists as one canonical frame (as :func:`read` returns)."""
        return playlists_to_frame(self.playlists)

    @property
    def tracks(self) -> int:
        return sum(p.tracks.height for p in self.playlists)


def detect_format(path: str | Path, data: bytes | None = None) -> str:
    """The name of the format ``path`` would be read as."""
    path = Path(path)
    if data is None:
        data = read_bytes(path)
    return for_reading(path, decode_text(data[:_SNIFF_BYTES]), None).name


def _decode(data: bytes, path: Path, format: str | None, ctx: ReadContext) -> ReadResult:
    fmt = for_reading(path, decode_text(data[:_SNIFF_BYTES]), format)
    playlists = fmt.decode(data, ctx)
    check_rows(playlists, ctx)
    playlists = [limit_fields(p, ctx) for p in playlists]
    check_not_empty(data, playlists, ctx)
    for playlist in playlists:
        playlist.lines = None  # only the checks need them (they may hold the file's bytes)
    return ReadResult(playlists, fmt.name, ctx.variant, ctx.all_warnings())


def load(
    path: str | Path,
    format: str | None = None,
    *,
    limits: ReadLimits | None = None,
    strict: bool = False,
    source: str | None = None,
) -> ReadResult:
    """Read ``path`` with its warnings; ``strict`` makes the first warning an error.

    ``source`` names the file in messages (an upload's own name instead of the
    server path it was saved under).

    >>> result = load("engine/samples/road-trip.csv")  # doctest: +SKIP
    >>> result.format, result.tracks, result.warnings  # doctest: +SKIP
    ('csv', 12, [])
    """
    path = Path(path)
    ctx = ReadContext(source or str(path), limits or ReadLimits(), strict)
    data = read_bytes(path, ctx.limits)
    if source is not None:
        try:
            return _decode(data, path, format, ctx)
        except FormatError as exc:
            if exc.path == source:
                raise
            raise FormatError(
                source, exc.problem, line=exc.line, pointer=exc.pointer, expected=exc.expected
            ) from exc
    return _decode(data, path, format, ctx)


def _logged(result: ReadResult) -> ReadResult:
    for warning in result.warnings:
        log.warning("%s", warning)
    return result


def read_playlists(path: str | Path, format: str | None = None) -> list[Playlist]:
    """Every playlist in ``path`` with its metadata and tracks (warnings are logged)."""
    return _logged(load(path, format)).playlists


def read(path: str | Path, format: str | None = None) -> pl.DataFrame:
    """The tracks of ``path`` as a canonical frame (``playlist`` names each row's playlist).

    >>> frame = read("engine/samples/road-trip.csv")  # doctest: +SKIP
    >>> frame.select("title", "duration_ms").row(0)  # doctest: +SKIP
    ('Jóga', 305000)
    """
    return playlists_to_frame(read_playlists(path, format))


def writable_formats() -> list[str]:
    """Names of the formats Crossfade can write (the others it only reads)."""
    return sorted(name for name, fmt in FORMATS.items() if fmt.encode is not None)


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
    assert encode is not None  # for_writing refuses read-only formats
    atomic_write(path, encode(playlists))


def write(
    frame: pl.DataFrame, path: str | Path, format: str | None = None, *, raw: bool = False
) -> None:
    """Write a canonical frame to ``path`` (format from ``format`` or the extension)."""
    write_playlists(frame_to_playlists(frame), path, format, raw=raw)


def validate(
    path: str | Path, format: str | None = None, *, limits: ReadLimits | None = None
) -> list[Problem]:
    """Every problem in ``path`` at once, each with its JSON pointer or line; empty if
    none. Reader warnings (repairs, dropped lines) are problems too."""
    from engine.formats._json import parse_json

    path = Path(path)
    try:
        data = read_bytes(path, limits)
        fmt = for_reading(path, decode_text(data[:_SNIFF_BYTES]), format)
        if fmt.name == "pif":
            problems = document_problems(parse_json(data, ReadContext(str(path))))
            if problems:
                return problems
        result = _decode(data, path, fmt.name, ReadContext(str(path), limits or ReadLimits()))
        warnings = [Problem(w.pointer, w.reason, w.line) for w in result.warnings]
        return warnings + frame_problems(result.playlists)
    except FormatError as exc:
        return [Problem(exc.pointer, exc.problem, exc.line)]
