"""XSPF ("spiff", https://xspf.org/spec), as written by VLC, foobar2000 and others.

Parsed with expat and no DTD support at all: any DOCTYPE, entity declaration,
external reference or XInclude is refused (billion laughs, XXE). A raw ``&`` (as
some desktop players write) is escaped with a warning. Reads title, creator, album, duration (ms),
trackNum, every location and identifier (provider links, ``isrc:``, MusicBrainz
recording URLs), ``meta``, and VLC's extension (``vlc:id``, ``vlc:option``).
Writing adds a ``meta`` element carrying what XSPF has no place for, so files
Crossfade writes read back without loss; other programs ignore it.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element

from engine.errors import FormatError
from engine.formats._common import (
    clean_text,
    join_artists,
    kept_fields,
    put_duration,
    restored_fields,
    split_artists,
)
from engine.formats._context import ReadContext
from engine.formats._frame import records_frame
from engine.formats._links import apply_identifier, identifiers_for
from engine.formats._model import Playlist, merged
from engine.formats._xml import element_line, parse_xml, serialize
from engine.formats.m3u import guess_from_location
from engine.frame import extras_dict

NS = "http://xspf.org/ns/0/"
VLC_APP = "http://www.videolan.org/vlc/playlist/0"
VLC_NS = "http://www.videolan.org/vlc/playlist/ns/0/"
CROSSFADE_META = "https://crossfade.dev/ns/xspf#track"
"""``rel`` of the meta element holding the canonical fields as JSON."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element, name: str, ctx: ReadContext | None = None) -> str | None:
    found = _children(element, name)
    if not found:
        return None
    if len(found[0]) and ctx is not None:
        ctx.warn(f"markup inside <{name}> flattened to its text", line=element_line(found[0]))
        return clean_text("".join(found[0].itertext()))
    return clean_text(found[0].text)


def _vlc_extension(track: Element, extras: dict[str, str]) -> None:
    for extension in _children(track, "extension"):
        application = extension.get("application", "")
        if application != VLC_APP:
            extras[f"xspf.extension.{application}"] = serialize(extension)
            continue
        for child in extension:
            name = _local(child.tag)
            if name == "id" and child.text:
                extras["vlc.id"] = child.text.strip()
            elif name == "option" and child.text:
                previous = extras.get("vlc.option")
                extras["vlc.option"] = (
                    child.text if previous is None else f"{previous}\n{child.text}"
                )


def _duration(
    element: Element, record: dict[str, Any], extras: dict[str, str], ctx: ReadContext
) -> None:
    duration = _text(element, "duration", ctx)
    put_duration(record, extras, duration, "ms")
    if duration is None or duration.isdigit():
        return
    line = element_line(_children(element, "duration")[0])
    if record["duration_ms"] is None:
        ctx.warn(f"<duration> {duration[:40]!r} is not milliseconds; ignored", line=line)
    else:
        ctx.warn(
            f"<duration> {duration[:40]!r} is not an integer; read as {record['duration_ms']} ms",
            line=line,
        )


def _track(element: Element, ctx: ReadContext) -> dict[str, Any]:
    record: dict[str, Any] = {
        "title": _text(element, "title", ctx),
        "artists": split_artists(_text(element, "creator", ctx)),
        "album": _text(element, "album", ctx),
    }
    extras: dict[str, str] = {}
    _duration(element, record, extras, ctx)
    locations = [t for t in (clean_text(e.text) for e in _children(element, "location")) if t]
    if locations:
        record["url"] = locations[0]
        if len(locations) > 1:
            extras["xspf.locations"] = "\n".join(locations[1:])
    unknown = []
    identifiers = [t for t in (clean_text(e.text) for e in _children(element, "identifier")) if t]
    for uri in locations + identifiers:
        if not apply_identifier(uri, record, extras) and uri not in locations:
            unknown.append(uri)
    if unknown:
        extras["xspf.identifier"] = "\n".join(unknown)
    for name in ("trackNum", "annotation", "info", "image", "link"):
        value = _text(element, name)
        if value:
            extras[f"xspf.{name}"] = value
    canonical = None
    for meta in _children(element, "meta"):
        rel = meta.get("rel", "")
        if rel == CROSSFADE_META and meta.text:
            canonical = meta.text
        elif meta.text:
            extras[f"xspf.meta.{rel}"] = meta.text
    _vlc_extension(element, extras)
    if canonical is None and not record["title"] and record.get("url"):
        guess = guess_from_location(record["url"])
        record["title"] = guess["title"]
        record["artists"] = record["artists"] or guess["artists"]
        record["album"] = record["album"] or guess.get("album")
    if record.get("url") and not record.get("provider"):
        record["provider"] = "file"
    record["extras"] = extras
    if canonical is not None:
        record.update(_from_canonical(canonical))
    return record


def _from_canonical(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return restored_fields(data, with_url=True)


def decode(data: bytes, ctx: ReadContext) -> list[Playlist]:
    source = ctx.source
    root = parse_xml(data, ctx)
    if _local(root.tag) != "playlist":
        raise FormatError(source, f"root element is <{_local(root.tag)}>", expected="<playlist>")
    if not root.tag.startswith(f"{{{NS}}}"):
        line = element_line(root)
        ctx.warn(f'<playlist> is not in the XSPF namespace "{NS}"; read as XSPF', line=line)
    track_lists = _children(root, "trackList")
    if not track_lists:
        ctx.warn("no <trackList> element", line=element_line(root))
        elements: list[Element] = []
    else:
        elements = _children(track_lists[0], "track")
        ctx.declared_empty = not len(track_lists[0])
    tracks = [_track(t, ctx) for t in elements]
    extras = {}
    for name in ("creator", "info", "location", "identifier", "date", "license", "image"):
        value = _text(root, name)
        if value:
            extras[f"xspf.{name}"] = value
    return [
        Playlist(
            name=_text(root, "title", ctx),
            tracks=records_frame(tracks),
            description=_text(root, "annotation", ctx),
            extras=extras,
            lines=[element_line(t) or 0 for t in elements],
        )
    ]


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _sub(parent: Element, name: str, text: object) -> Element:
    element = ET.SubElement(parent, f"{{{NS}}}{name}")
    element.text = _XML_INVALID.sub("", str(text))  # XML 1.0 cannot hold these at all
    return element


def _canonical(row: dict[str, Any]) -> str:
    data = kept_fields(row, with_url=True)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def location_uri(location: str) -> str:
    """``location`` as a URI: absolute paths become ``file://`` URIs, and spaces and
    non-ASCII characters are percent-encoded, as XSPF requires and VLC writes."""
    if location.startswith("/"):
        location = "file://" + location
    elif re.match(r"^[A-Za-z]:\\", location):
        location = "file:///" + location.replace("\\", "/")
    return quote(location, safe=":/?&=#%~@!$'()*+,;[]")


def _track_element(parent: Element, row: dict[str, Any], index: int) -> None:
    track = ET.SubElement(parent, f"{{{NS}}}track")
    extras = extras_dict(row["extras"])
    if row["url"]:
        _sub(track, "location", location_uri(row["url"]))
    for uri in identifiers_for(row):
        if uri != row["url"]:
            _sub(track, "identifier", uri)
    if row["title"] is not None:
        _sub(track, "title", row["title"])
    if row["artists"]:
        _sub(track, "creator", join_artists(row["artists"], ", "))
    if row["album"] is not None:
        _sub(track, "album", row["album"])
    if "xspf.trackNum" in extras and extras["xspf.trackNum"].isdigit():
        _sub(track, "trackNum", extras["xspf.trackNum"])
    if row["duration_ms"] is not None:
        _sub(track, "duration", row["duration_ms"])
    meta = _sub(track, "meta", _canonical(row))
    meta.set("rel", CROSSFADE_META)
    extension = ET.SubElement(track, f"{{{NS}}}extension", application=VLC_APP)
    ET.SubElement(extension, f"{{{VLC_NS}}}id").text = str(index)


def encode(playlists: list[Playlist]) -> bytes:
    playlist = merged(playlists)
    ET.register_namespace("", NS)
    ET.register_namespace("vlc", VLC_NS)
    root = Element(f"{{{NS}}}playlist", version="1")
    if playlist.name is not None:
        _sub(root, "title", playlist.name)
    if playlist.description is not None:
        _sub(root, "annotation", playlist.description)
    track_list = ET.SubElement(root, f"{{{NS}}}trackList")
    rows = list(playlist.tracks.iter_rows(named=True))
    for index, row in enumerate(rows):
        _track_element(track_list, row, index)
    extension = ET.SubElement(root, f"{{{NS}}}extension", application=VLC_APP)
    for index in range(len(rows)):
        ET.SubElement(extension, f"{{{VLC_NS}}}item", tid=str(index))
    ET.indent(root, space="\t")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def sniff(head: str) -> bool:
    text = head.lstrip("\ufeff").lstrip()
    return text.startswith("<") and ("<playlist" in text[:4000] and "xspf" in text[:4000].lower())
