"""Identifier URIs shared by XSPF and JSPF: provider links, ISRC and MusicBrainz."""

from __future__ import annotations

import re
from typing import Any

from engine.errors import UsageError
from engine.formats._common import (
    IDS_PREFIX,
    all_provider_ids,
    normalize_isrc,
    parse_track_link,
    track_link,
)

MUSICBRAINZ_RECORDING = "https://musicbrainz.org/recording/"
_MBID = re.compile(r"musicbrainz\.org/recording/([0-9a-f-]{36})", re.IGNORECASE)
_ISRC_URI = re.compile(r"^(?:urn:)?isrc:(.+)$", re.IGNORECASE)
BARE_IDS = {
    "spotify": re.compile(r"[A-Za-z0-9]{22}"),
    "deezer": re.compile(r"\d{1,20}"),
    "tidal": re.compile(r"\d{1,20}"),
    "youtube": re.compile(r"[A-Za-z0-9_-]{11}"),
}
"""What a bare track id looks like on each provider (Spotify base62, YouTube video ids)."""
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$", re.IGNORECASE)
_SCHEMELESS_HOST = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}/", re.IGNORECASE)


def apply_identifier(uri: str, record: dict[str, Any], extras: dict[str, str]) -> bool:
    """Put what ``uri`` identifies into ``record``/``extras``; False if unknown."""
    uri = uri.strip()
    isrc_match = _ISRC_URI.match(uri)
    if isrc_match:
        isrc = normalize_isrc(isrc_match.group(1))
        if isrc:
            record.setdefault("isrc", isrc)
            return True
        return False
    mbid = _MBID.search(uri)
    if mbid:
        extras.setdefault(IDS_PREFIX + "musicbrainz", mbid.group(1).lower())
        return True
    link = parse_track_link(uri)
    if link is None:
        return False
    provider, provider_id = link
    if not record.get("provider_id"):
        record["provider"], record["provider_id"] = provider, provider_id
    elif (record.get("provider"), record.get("provider_id")) != link:
        extras.setdefault(IDS_PREFIX + provider, provider_id)
    return True


def identifiers_for(row: dict[str, Any]) -> list[str]:
    """Identifier URIs for a frame row: provider links, MusicBrainz, ``isrc:``."""
    uris = []
    for provider, provider_id in all_provider_ids(row).items():
        if provider == "musicbrainz":
            uris.append(MUSICBRAINZ_RECORDING + provider_id)
        else:
            link = track_link(provider, provider_id)
            if link:
                uris.append(link)
    if row.get("isrc"):
        uris.append(f"isrc:{row['isrc']}")
    return uris


def pasted_track_id(provider: str, text: str) -> str:
    """The ``provider`` track id in what a person pasted: a share link
    (``https://open.spotify.com/track/ID``, ``deezer.com/fr/track/ID``,
    ``tidal.com/browse/track/ID``, ``youtu.be/ID``, ``music.youtube.com/watch?v=ID``),
    a URI (``spotify:track:ID``) or a bare id. UsageError saying why otherwise.

    >>> pasted_track_id("deezer", "https://www.deezer.com/en/track/3135556")
    '3135556'
    """
    text = text.strip()
    if not text:
        raise UsageError("paste a track link or id first")
    if provider not in BARE_IDS:
        raise UsageError(f"track links of {provider!r} are not known")
    link = parse_track_link("https://" + text if _SCHEMELESS_HOST.match(text) else text)
    if link is not None:
        found, track_id = link
        if found != provider:
            raise UsageError(f"that is a {found} track link; this review needs a {provider} track")
        return track_id
    if BARE_IDS[provider].fullmatch(text):
        return text
    if "://" in text or _URI.match(text) or _SCHEMELESS_HOST.match(text):
        raise UsageError(f"not a {provider} track link: {text[:80]!r}")
    raise UsageError(f"not a {provider} track id: {text[:80]!r}")
