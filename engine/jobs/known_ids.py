"""Source tracks that already name their target: a known provider id or a link.

On a provider with a daily unit quota (YouTube) these are resolved first, with
a 1-unit id lookup (``videos.list``, 50 ids a call) instead of a 100-unit
search: the units go to the tracks with the best chance first.

>>> video_id_from_url("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1")
'dQw4w9WgXcQ'
>>> video_id_from_url("https://youtu.be/dQw4w9WgXcQ")
'dQw4w9WgXcQ'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import polars as pl

VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
"""YouTube video ids: 11 characters of the URL-safe base64 alphabet."""

YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com")


def video_id_from_url(url: str | None) -> str | None:
    """The video id of a YouTube watch / youtu.be / shorts link, else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    candidate = None
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in YOUTUBE_HOSTS:
        if parts.path == "/watch":
            values = parse_qs(parts.query).get("v") or []
            candidate = values[0] if values else None
        elif parts.path.startswith(("/shorts/", "/embed/")):
            candidate = parts.path.split("/")[2]
    return candidate if candidate and VIDEO_ID.match(candidate) else None


def known_target_ids(source: pl.DataFrame, provider: str) -> dict[str, str]:
    """Source id -> the id it already has on ``provider``: the row's own id when
    it comes from that provider, a ``<provider>_id`` extra, or (YouTube) a link."""
    known: dict[str, str] = {}
    columns = set(source.columns)
    for row in source.iter_rows(named=True):
        found = None
        if row.get("provider") == provider and row.get("provider_id"):
            found = str(row["provider_id"])
        for extra in (row.get("extras") if "extras" in columns else None) or []:
            if found is None and extra.get("key") == f"{provider}_id" and extra.get("value"):
                found = str(extra["value"])
        if found is None and provider == "youtube" and "url" in columns:
            found = video_id_from_url(row.get("url"))
        if found:
            known[str(row["id"])] = found
    return known
