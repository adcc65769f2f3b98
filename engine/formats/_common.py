"""Small helpers every format shares: artist cells, ISRCs, booleans, provider links,
and the conventions for provider ids and invalid values kept in ``extras``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import ParseResult, parse_qs, urlparse

import polars as pl

from engine.frame import conform, extras_dict

IDS_PREFIX = "ids."
"""Extras key prefix for the other ids a track is known by: ``ids.deezer`` ->
Deezer's track id. ``provider``/``provider_id`` hold the primary one."""

INVALID_PREFIX = "invalid."
"""Extras key prefix for a value a reader could not understand (``invalid.isrc``);
kept so nothing is lost, and reported by ``validate``/``inspect``."""

# Artist names that contain a comma and must not be split on it.
_COMMA_NAMES = (
    "Tyler, The Creator",
    "Earth, Wind & Fire",
    "Crosby, Stills, Nash & Young",
    "Crosby, Stills & Nash",
    "Emerson, Lake & Palmer",
    "Peter, Paul and Mary",
    "Blood, Sweat & Tears",
    "Now, Now",
    "Black Country, New Road",
)
_COMMA_NAME = re.compile("|".join(re.escape(n) for n in _COMMA_NAMES), re.IGNORECASE)
_WEAK_SEPARATOR = re.compile(r"\s*,\s*|\s+(?:feat\.?|ft\.?|featuring|with)\s+", re.IGNORECASE)
_STRONG_SEPARATORS = re.compile(r"\s*[;|]\s*")
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")

_TRUE = {"true", "yes", "y", "1", "explicit", "e", "t"}
_FALSE = {"false", "no", "n", "0", "clean", "f", ""}


def split_artists(cell: str | None) -> list[str]:
    """Several artists in one cell as a list: ``;`` and ``|`` always separate,
    ``,`` and ``feat.`` separate unless the name is a known comma name.

    >>> split_artists("Daft Punk, Pharrell Williams")
    ['Daft Punk', 'Pharrell Williams']
    >>> split_artists("Earth, Wind & Fire feat. The Emotions")
    ['Earth, Wind & Fire', 'The Emotions']
    """
    if cell is None:
        return []
    text = cell.strip()
    if not text:
        return []
    if _STRONG_SEPARATORS.search(text):
        return [part for part in _STRONG_SEPARATORS.split(text) if part]
    protected = [m.span() for m in _COMMA_NAME.finditer(text)]
    parts: list[str] = []
    start = 0
    for separator in _WEAK_SEPARATOR.finditer(text):
        if any(lo < separator.end() and separator.start() < hi for lo, hi in protected):
            continue  # the comma belongs to a name such as "Earth, Wind & Fire"
        parts.append(text[start : separator.start()].strip())
        start = separator.end()
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def join_artists(artists: Iterable[str] | None, separator: str = "; ") -> str:
    return separator.join(artists or [])


def normalize_isrc(value: object) -> str | None:
    """An ISRC in canonical form (upper case, no dashes/spaces) or None if not one."""
    if value is None:
        return None
    text = re.sub(r"[\s-]", "", str(value)).upper()
    return text if _ISRC.match(text) else None


def is_isrc(value: object) -> bool:
    """Whether ``value`` is a string already in canonical ISRC form (as the PIF
    schema's pattern demands: no normalising here)."""
    return type(value) is str and _ISRC.match(value) is not None


def parse_bool(value: object) -> bool | None:
    """True/False from the many ways files spell it; None if unknown."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE and text:
        return False
    return None


_SPOTIFY_URI = re.compile(r"^spotify:track:([A-Za-z0-9]{22})$")
_PATH_IDS = {
    "open.spotify.com": ("spotify", re.compile(r"/(?:intl-[a-z-]+/)?track/([A-Za-z0-9]{22})")),
    "www.deezer.com": ("deezer", re.compile(r"/(?:[a-z]{2}/)?track/(\d+)")),
    "deezer.com": ("deezer", re.compile(r"/(?:[a-z]{2}/)?track/(\d+)")),
    "tidal.com": ("tidal", re.compile(r"/(?:browse/)?track/(\d+)")),
    "www.tidal.com": ("tidal", re.compile(r"/(?:browse/)?track/(\d+)")),
    "listen.tidal.com": ("tidal", re.compile(r"/track/(\d+)")),
    "youtu.be": ("youtube", re.compile(r"^/([A-Za-z0-9_-]{11})$")),
}
_YOUTUBE_HOSTS = {"www.youtube.com", "youtube.com", "m.youtube.com", "music.youtube.com"}


def safe_urlparse(text: str) -> ParseResult:
    """``urlparse`` that never raises: a malformed URL (``http://[``) parses as a path."""
    try:
        return urlparse(text)
    except ValueError:
        return ParseResult("", "", text, "", "", "")


def parse_track_link(link: str | None) -> tuple[str, str] | None:
    """``(provider, track id)`` for a Spotify/Deezer/TIDAL/YouTube track link or URI.

    >>> parse_track_link("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=x")
    ('spotify', '4uLU6hMCjMI75M1A2tKUQC')
    """
    if not link:
        return None
    link = link.strip()
    match = _SPOTIFY_URI.match(link)
    if match:
        return "spotify", match.group(1)
    parsed = safe_urlparse(link)
    host = (parsed.hostname or "").lower()
    if host in _YOUTUBE_HOSTS and parsed.path == "/watch":
        video = parse_qs(parsed.query).get("v", [""])[0]
        return ("youtube", video) if re.fullmatch(r"[A-Za-z0-9_-]{11}", video) else None
    if host in _PATH_IDS:
        provider, pattern = _PATH_IDS[host]
        match = pattern.search(parsed.path)
        if match:
            return provider, match.group(1)
    return None


def track_link(provider: str | None, provider_id: str | None) -> str | None:
    """A public web link for a provider's track id, or None for unknown providers."""
    if not provider_id:
        return None
    links = {
        "spotify": "https://open.spotify.com/track/{}",
        "deezer": "https://www.deezer.com/track/{}",
        "tidal": "https://tidal.com/browse/track/{}",
        "youtube": "https://www.youtube.com/watch?v={}",
    }
    template = links.get(provider or "")
    return template.format(provider_id) if template else None


def spotify_uri(row: Mapping[str, Any]) -> str:
    """What a Spotify-made file names a row by: ``spotify:track:<id>`` for a
    Spotify track, else the row's ``url`` ("" when it has none)."""
    if row["provider"] == "spotify" and row["provider_id"]:
        return f"spotify:track:{row['provider_id']}"
    return row["url"] or ""


def all_provider_ids(row: Mapping[str, Any]) -> dict[str, str]:
    """Every provider id of one frame row: the primary one and ``ids.*`` extras."""
    ids: dict[str, str] = {}
    if row.get("provider") and row.get("provider_id") and row["provider"] != "file":
        ids[row["provider"]] = row["provider_id"]
    for key, value in extras_dict(row.get("extras")).items():
        if key.startswith(IDS_PREFIX) and value:
            ids.setdefault(key[len(IDS_PREFIX) :], value)
    return ids


def provider_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Long form of every provider id in ``frame``: columns ``id, provider, provider_id``.

    >>> provider_ids(tracks_frame([{"title": "x", "extras": {"ids.deezer": "3135556"}}])).row(0)
    ('0', 'deezer', '3135556')
    """
    rows = [
        {"id": row["id"], "provider": provider, "provider_id": value}
        for row in conform(frame).iter_rows(named=True)
        for provider, value in all_provider_ids(row).items()
    ]
    schema = {"id": pl.Utf8, "provider": pl.Utf8, "provider_id": pl.Utf8}
    return pl.DataFrame(rows, schema=schema, orient="row")


def clean_text(value: object) -> str | None:
    """Stripped text, or None for missing/blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def put_isrc(record: dict[str, Any], extras: dict[str, str], raw: object) -> None:
    """Store a normalised ISRC, or keep the raw text under ``invalid.isrc``."""
    text = clean_text(raw)
    if text is None:
        return
    isrc = normalize_isrc(text)
    if isrc is None:
        extras[INVALID_PREFIX + "isrc"] = text
    record["isrc"] = isrc


def put_duration(
    record: dict[str, Any], extras: dict[str, str], raw: object, unit: str | None = None
) -> None:
    """Store ``duration_ms`` parsed from ``raw``; unreadable text goes to ``invalid.duration``."""
    from engine.formats.durations import UNKNOWN_MARKERS, parse_duration

    value = parse_duration(raw, unit=unit)
    if value is not None and value >= 2**62:  # cannot be a track, and would not fit Int64
        value = None
    if value is None and raw is not None and str(raw).strip().lower() not in UNKNOWN_MARKERS:
        extras[INVALID_PREFIX + "duration"] = str(raw).strip()
    record["duration_ms"] = value


def top_level_keys(head: str) -> set[str]:
    """Keys of the top-level JSON object in ``head`` (which may be cut short), found
    by scanning rather than parsing, so a nested key never counts."""
    text = head.lstrip("\ufeff").lstrip()
    if not text.startswith("{"):
        return set()
    keys: set[str] = set()
    depth = 0
    index = 0
    expecting_key = False
    while index < len(text):
        char = text[index]
        if char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            if depth == 1 and expecting_key:
                keys.add(text[index + 1 : end])
                expecting_key = False
            index = end + 1
            continue
        if char in "{[":
            depth += 1
            expecting_key = depth == 1 and char == "{"
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            expecting_key = True
        index += 1
    return keys


KEPT_FIELDS = ("id", "artists", "explicit", "release_date", "provider", "provider_id", "isrc")
"""Canonical columns JSPF and XSPF have no element for; both keep them (and the
extras) in Crossfade's own extension so a round trip loses nothing."""


def kept_fields(row: Mapping[str, Any], *, with_url: bool = False) -> dict[str, Any]:
    """The extension payload for one canonical row: :data:`KEPT_FIELDS`, ``url``
    when the format has no element of its own for it, then ``extras``."""
    fields: dict[str, Any] = {key: row[key] for key in KEPT_FIELDS}
    fields["artists"] = list(row["artists"] or [])
    if with_url:
        fields["url"] = row["url"]
    fields["extras"] = extras_dict(row["extras"])
    return fields


def restored_fields(data: Mapping[str, Any], *, with_url: bool = False) -> dict[str, Any]:
    """The record fields an extension payload written by :func:`kept_fields` holds."""
    keys = (*KEPT_FIELDS, "url") if with_url else KEPT_FIELDS
    out = {key: data[key] for key in keys if key in data}
    if isinstance(data.get("extras"), dict):
        out["extras"] = {str(k): str(v) for k, v in data["extras"].items()}
    return out
