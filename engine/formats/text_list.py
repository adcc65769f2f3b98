"""Plain-text track lists: one track per line, as people paste them into Soundiiz
or TuneMyMusic ("Artist - Title", also "Title by Artist" and numbered lines), or
lists of track links and URIs (``spotify:track:…``, ``open.spotify.com/track/…``,
Deezer, TIDAL and YouTube links).

Links become ``provider``/``provider_id`` (the title is unknown until a connected
provider resolves the id; ``engine.formats.text_list.unresolved`` tells which rows
need it). Lines that are neither are kept as titles with a warning. Variants:
``links``, ``artist-title`` or ``mixed``.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from engine.formats._common import parse_track_link, split_artists
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._io import decode_text
from engine.formats._model import Playlist

_NUMBERED = re.compile(r"^\s*\d{1,4}[.)]\s+|^\s*[-*•]\s+")
_DASH = re.compile(r"\s+[-–—]\s+")
_BY = re.compile(r"^(?P<title>.+?)\s+by\s+(?P<artist>.+)$", re.IGNORECASE)
_LINK_START = re.compile(r"^(?:spotify:track:|https?://)", re.IGNORECASE)


def parse_line(line: str) -> dict[str, Any] | None:
    """One line as a record (None when it holds no track: empty or a comment)."""
    text = _NUMBERED.sub("", line.strip()).strip()
    if not text:
        return None
    link = parse_track_link(text) if _LINK_START.match(text) else None
    if link:
        return {"provider": link[0], "provider_id": link[1], "url": text, "extras": {}}
    parts = _DASH.split(text, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return {"title": parts[1].strip(), "artists": split_artists(parts[0]), "extras": {}}
    by = _BY.match(text)
    if by:
        return {
            "title": by.group("title").strip(),
            "artists": split_artists(by.group("artist")),
            "extras": {},
        }
    return {"title": text, "artists": [], "extras": {"text.unparsed": "true"}}


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    text = decode_text(data, ctx)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    kinds = set()
    for number, raw in enumerate(text.split("\n"), start=1):
        record = parse_line(raw)
        if record is None:
            continue
        if record["extras"].pop("text.unparsed", None):
            ctx.warn("neither 'Artist - Title' nor a track link; kept as a title", line=number)
            kinds.add("other")
        elif record.get("provider_id"):
            kinds.add("links")
        else:
            kinds.add("artist-title")
        records.append(record)
        lines.append(number)
    known = kinds - {"other"}
    ctx.variant = next(iter(known)) if len(known) == 1 else ("mixed" if known else None)
    return [Playlist(name=None, tracks=records_frame(records), lines=lines)]


def unresolved(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows known only by a provider id (from a link list): resolve them through
    the provider when one is connected (``Provider.tracks``), else keep the ids."""
    return frame.filter(pl.col("title").is_null() & pl.col("provider_id").is_not_null())


def sniff(head: str) -> bool:
    """Most non-empty lines (of the first 50) are links, ``Artist - Title`` or
    ``Title by Artist``."""
    lines = [line.strip() for line in head.lstrip("\ufeff").split("\n")[:50] if line.strip()]
    if not lines or lines[0].startswith(("{", "[", "<", "#EXT")):
        return False
    good = sum(
        1
        for line in lines
        if (_LINK_START.match(line) and parse_track_link(line))
        or _DASH.search(line)
        or _BY.match(line)
    )
    return good >= max(1, round(0.6 * len(lines)))
