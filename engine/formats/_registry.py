"""The table of formats, and choosing one from a name, an extension or the content."""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import FormatError, UsageError
from engine.formats import (
    csv_generic,
    exportify,
    itunes_library,
    jspf,
    m3u,
    pif,
    spotify_export,
    streaming,
    text_list,
    xspf,
)
from engine.formats._model import Format

FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> None:
    """Add a format to the table (built-ins are registered like any other)."""
    FORMATS[fmt.name] = fmt


register(
    Format(
        "pif",
        (".pif.json", ".pif"),
        pif.decode,
        pif.encode,
        pif.sniff,
        multi=True,
        description="Playlist Interchange Format (lossless, several playlists)",
    )
)
register(
    Format(
        "exportify",
        (".exportify.csv",),
        exportify.decode,
        exportify.encode,
        exportify.sniff,
        description="Exportify CSV (Spotify playlists)",
        encode_raw=exportify.encode_raw,
    )
)
register(
    Format(
        "csv",
        (".csv", ".tsv"),
        csv_generic.decode,
        csv_generic.encode,
        csv_generic.sniff,
        multi=True,  # a playlist column names each row's playlist
        description="CSV with common header names",
        encode_raw=csv_generic.encode_raw,
    )
)
register(
    Format(
        "m3u", (".m3u8", ".m3u"), m3u.decode, m3u.encode, m3u.sniff, description="M3U/M3U8 playlist"
    )
)

register(
    Format(
        "xspf",
        (".xspf",),
        xspf.decode,
        xspf.encode,
        xspf.sniff,
        description="XSPF (VLC and others), parsed safely",
    )
)
register(
    Format(
        "jspf",
        (".jspf",),
        jspf.decode,
        jspf.encode,
        jspf.sniff,
        description="JSPF incl. ListenBrainz extensions",
    )
)

register(
    Format(
        "spotify",
        (".spotify.json",),
        spotify_export.decode,
        spotify_export.encode,
        spotify_export.sniff,
        multi=True,
        description="Spotify account-data export (Playlist1.json, YourLibrary.json)",
    )
)

register(
    Format(
        "itunes",
        (),
        itunes_library.decode,
        None,
        itunes_library.sniff,
        multi=True,
        description="iTunes / Apple Music Library.xml (read only)",
    )
)
register(
    Format(
        "spotify-history",
        (),
        streaming.decode,
        None,
        streaming.sniff,
        description="Spotify streaming history, basic and extended (read only)",
    )
)
register(
    Format(
        "text",
        (),
        text_list.decode,
        None,
        text_list.sniff,
        description="Plain text: 'Artist - Title' lines or track links (read only)",
    )
)

ALIASES = {
    "m3u8": "m3u",
    "pif.json": "pif",
    "spotify-export": "spotify",
    "tsv": "csv",
    "apple-music": "itunes",
    "library.xml": "itunes",
    "streaming": "spotify-history",
    "txt": "text",
    "links": "text",
}

SNIFF_ORDER = (
    "pif",
    "jspf",
    "spotify",
    "spotify-history",
    "itunes",
    "xspf",
    "exportify",
    "m3u",
    "csv",
    "text",
)
"""Content sniffing tries formats in this order (most specific first)."""


def by_name(name: str) -> Format:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UsageError(f"unknown format {name!r} (known: {known})")
    return FORMATS[key]


_SPOTIFY_EXPORT_NAME = re.compile(r"^(playlist\d+|yourlibrary)\.json$")


def by_extension(path: Path) -> Format | None:
    name = path.name.lower()
    if _SPOTIFY_EXPORT_NAME.match(name):
        return FORMATS.get("spotify")
    best: tuple[int, Format] | None = None
    for fmt in FORMATS.values():
        for ext in fmt.extensions:
            if name.endswith(ext) and (best is None or len(ext) > best[0]):
                best = (len(ext), fmt)
    return best[1] if best else None


def sniff(head: str) -> Format | None:
    for name in SNIFF_ORDER:
        fmt = FORMATS.get(name)
        if fmt is not None and fmt.sniff(head):
            return fmt
    return None


def for_reading(path: Path, head: str, format: str | None) -> Format:
    """The format to read ``path`` with: ``format`` if given, else sniffed, else by extension."""
    if format:
        return by_name(format)
    sniffed = sniff(head)
    by_ext = by_extension(path)
    # Content wins, except the CSV sniffer, which only guesses from header words.
    if sniffed is not None and (sniffed.name != "csv" or by_ext is None):
        return sniffed
    if by_ext is not None:
        return by_ext
    raise FormatError(path, "cannot tell the format", expected=f"one of {', '.join(FORMATS)}")


def writable(fmt: Format) -> Format:
    """``fmt`` if Crossfade can write it, else a UsageError naming the ones it can."""
    if fmt.encode is None:
        names = ", ".join(sorted(n for n, f in FORMATS.items() if f.encode is not None))
        raise UsageError(f"format {fmt.name!r} can be read but not written (write one of {names})")
    return fmt


def for_writing(path: Path, format: str | None) -> Format:
    if format:
        return writable(by_name(format))
    fmt = by_extension(path)
    if fmt is None:
        raise UsageError(
            f"cannot tell the format to write from {path.name!r}; pass a format "
            f"(one of {', '.join(sorted(FORMATS))})"
        )
    return writable(fmt)
