"""Identifier URIs shared by XSPF and JSPF: provider links, ISRC and MusicBrainz."""

from __future__ import annotations

import re
from typing import Any

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
