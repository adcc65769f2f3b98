"""What the review page shows of candidates and search results: one row per
track beside the source (length and its difference, ISRC and whether it is the
source's, release date, link) with the matcher's score and named parts, and
radio labels that tell candidates apart.

Pure functions over :class:`~engine.app_support.review_items.TrackView`; the
page only renders them.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from engine.app_support.review_items import PARTS, Candidate, TrackView

METADATA_COLUMNS = (
    "#",
    "title",
    "artists",
    "album",
    "length",
    "length diff",
    "isrc",
    "same isrc",
    "released",
    "explicit",
    "score",
)
PART_COLUMNS = tuple(f"{part} match" for part in PARTS)
"""Part score columns: named ``<part> match`` so no header repeats a metadata one."""


def duration(ms: int | None) -> str:
    """``3:25`` for 205000 ms; an em dash when unknown."""
    if ms is None:
        return "—"
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def duration_diff(source_ms: int | None, other_ms: int | None) -> str | None:
    """``+0:09`` / ``-0:02`` / ``±0:00``: the candidate's length minus the source's."""
    if source_ms is None or other_ms is None:
        return None
    seconds = round((other_ms - source_ms) / 1000)
    sign = "+" if seconds > 0 else "-" if seconds < 0 else "±"
    seconds = abs(seconds)
    return f"{sign}{seconds // 60}:{seconds % 60:02d}"


def same_isrc(source: TrackView, other: TrackView) -> str | None:
    if not source.isrc or not other.isrc:
        return None
    return "yes" if source.isrc.strip().upper() == other.isrc.strip().upper() else "no"


def _explicit(track: TrackView) -> str | None:
    if track.explicit is None:
        return None
    return "explicit" if track.explicit else "clean"


def track_rows(source: TrackView, scored: list[Candidate]) -> pl.DataFrame:
    """One row per candidate (or search result) with its evidence and parts."""
    rows: list[dict[str, Any]] = []
    for number, candidate in enumerate(scored, start=1):
        track = candidate.track
        rows.append(
            {
                "#": number,
                "title": track.title or track.id,
                "artists": ", ".join(track.artists) or None,
                "album": track.album,
                "length": duration(track.duration_ms),
                "length diff": duration_diff(source.duration_ms, track.duration_ms),
                "isrc": track.isrc,
                "same isrc": same_isrc(source, track),
                "released": track.release_date,
                "explicit": _explicit(track),
                "score": candidate.score,
                **{f"{part} match": candidate.parts.get(part) for part in PARTS},
                "link": track.url,
            }
        )
    schema: dict[str, Any] = {
        "#": pl.Int64,
        **{name: pl.Utf8 for name in METADATA_COLUMNS[1:-1]},
        "score": pl.Float64,
        **dict.fromkeys(PART_COLUMNS, pl.Float64),
        "link": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema)


def label(track: TrackView, *, with_album: bool = False) -> str:
    """``Title — Artist (3:25)``; with the album when it tells tracks apart."""
    if not track.title:
        return f"track {track.id} (no details stored; open the link to check)"
    artists = ", ".join(track.artists) or "unknown artist"
    album = f" · {track.album or 'no album'}" if with_album else ""
    return f"{track.title} — {artists} ({duration(track.duration_ms)}){album}"


def labels(tracks: list[TrackView]) -> dict[str, str]:
    """Track id -> a label unique among ``tracks``: the album is added where
    title and artists are the same, then the id where even that is not enough."""

    def key(t: TrackView) -> tuple[str, tuple[str, ...]]:
        return ((t.title or "").casefold(), tuple(a.casefold() for a in t.artists))

    counts: dict[tuple[str, tuple[str, ...]], int] = {}
    for track in tracks:
        counts[key(track)] = counts.get(key(track), 0) + 1
    out = {t.id: label(t, with_album=counts[key(t)] > 1) for t in tracks}
    seen: dict[str, int] = {}
    for text in out.values():
        seen[text] = seen.get(text, 0) + 1
    return {tid: f"{text} · id {tid}" if seen[text] > 1 else text for tid, text in out.items()}


def track_name(track: TrackView) -> str:
    """``Artist - Title`` for notices."""
    artists = ", ".join(track.artists)
    title = track.title or f"track {track.id}"
    return f"{artists} - {title}" if artists else title
