"""Each emulated provider's documented search syntax, parsed into
:class:`~engine.sandbox.search_index.Query` and answered from the index.

Spotify ``q`` (``official-spotify-open-api.yml``, GET /search): field filters
``album``, ``artist``, ``track``, ``year`` (a year or a range such as
1955-1960), ``isrc``, ``genre``, plus free words. A filter's value is one word
or a double-quoted phrase (``artist:Miles Davis`` filters on "Miles" and
searches "Davis" anywhere, as Spotify reads it). ``upc`` and ``tag:`` apply
only to albums and ``genre`` needs genre data the catalogue lacks: a track
search using them finds nothing (stricter than guessing).

Deezer ``q`` (``endpoints-derived.json``, GET /search): free text or the
advanced syntax ``artist:".." album:".." track:".." label:".." dur_min dur_max
bpm_min bpm_max``; fuzzy unless ``strict=on`` ("Disable the fuzzy mode").
There is no ``isrc`` filter in Deezer's search, so ``isrc:X`` is plain text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from engine.sandbox.search_index import Query, field_query

if TYPE_CHECKING:
    from engine.sandbox.catalog import Catalog, CatalogTrack

_SPOTIFY_FILTER = re.compile(
    r'(?<![\w:])(album|artist|track|year|isrc|genre|upc|tag):(?:"([^"]*)"|(\S+))', re.I
)
_DEEZER_FILTER = re.compile(
    r'(?<![\w:])(artist|album|track|label|dur_min|dur_max|bpm_min|bpm_max):(?:"([^"]*)"|(\S+))',
    re.I,
)
_TEXT_FIELD = {"track": "title", "artist": "artist", "album": "album"}
_YEAR = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


def _filters(pattern: re.Pattern[str], text: str) -> tuple[list[tuple[str, str]], str]:
    found = [(m.group(1).lower(), m.group(2) or m.group(3) or "") for m in pattern.finditer(text)]
    return found, pattern.sub(" ", text)


def _year_ok(track: CatalogTrack, value: str) -> bool:
    wanted = _YEAR.match(value.strip())
    year = (track.release_date or "")[:4]
    if not wanted or not year.isdigit():
        return False
    low, high = int(wanted.group(1)), int(wanted.group(2) or wanted.group(1))
    return low <= int(year) <= high


def spotify_search(catalog: Catalog, provider: str, q: str) -> list[CatalogTrack]:
    """Tracks a Spotify ``q`` finds, best first."""
    filters, text = _filters(_SPOTIFY_FILTER, q)
    if any(name in ("genre", "upc", "tag") for name, _ in filters):
        return []
    fields: dict[str, str] = {}
    for name, value in filters:
        if name in _TEXT_FIELD:
            field = _TEXT_FIELD[name]
            fields[field] = f"{fields.get(field, '')} {value}".strip()
    query = field_query([text], fields)
    isrcs = [v.strip().upper() for n, v in filters if n == "isrc"]
    if isrcs:
        if len(set(isrcs)) > 1:
            return []
        hits = catalog.by_isrc(provider, isrcs[0])
        if not query.empty:
            allowed = {t.key for t in catalog.search_fields(provider, query)}
            hits = [t for t in hits if t.key in allowed]
    elif query.empty:
        return []
    else:
        hits = catalog.search_fields(provider, query)
    for name, value in filters:
        if name == "year":
            hits = [t for t in hits if _year_ok(t, value)]
    return hits


def deezer_search(catalog: Catalog, q: str, *, strict: bool) -> list[CatalogTrack]:
    """Tracks a Deezer ``q`` finds (advanced syntax or free text), best first."""
    filters, text = _filters(_DEEZER_FILTER, q)
    fields: dict[str, str] = {}
    bounds: dict[str, float] = {}
    for name, value in filters:
        if name in _TEXT_FIELD:
            field = _TEXT_FIELD[name]
            fields[field] = f"{fields.get(field, '')} {value}".strip()
        elif name == "label":
            return []  # the catalogue holds no labels: nothing can match
        else:
            try:
                bounds[name] = float(value)
            except ValueError:
                return []
    query: Query = field_query([text], fields)
    if query.empty:
        return []
    hits = catalog.search_fields("deezer", query, fuzzy=not strict)
    if "dur_min" in bounds:
        hits = [t for t in hits if t.duration_ms / 1000 >= bounds["dur_min"]]
    if "dur_max" in bounds:
        hits = [t for t in hits if t.duration_ms / 1000 <= bounds["dur_max"]]
    if "bpm_min" in bounds or "bpm_max" in bounds:
        return []  # no tempo data in the catalogue
    return hits
