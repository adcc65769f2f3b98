"""Checking playlist files: every problem at once, each with its JSON pointer.

For PIF the document is checked against ``pif.schema.json`` plus rules a schema
cannot express (track ids unique within a playlist). Other formats are read, and
values a reader could not understand (kept in ``extras`` as ``invalid.*``) are
reported with the pointer of the track they belong to.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

from engine.formats._common import is_isrc
from engine.frame import extras_dict


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (JSON pointer, or line when known; None
    for the file as a whole) and what."""

    pointer: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}: {self.message}"
        if self.pointer is not None:
            return f"{self.pointer or '/'}: {self.message}"
        return self.message


# A plain-Python check that accepts only documents the schema accepts: ~50x faster
# than jsonschema on large files, which then runs only to explain what is wrong.
# tests/formats/test_formats_validation.py checks it never disagrees with the schema.
_PROVIDER_KEY = re.compile(r"^[a-z][a-z0-9_-]*$")
_VERSION = re.compile(r"^1\.[0-9]+$")


def _text_or_none(value: Any) -> bool:
    return value is None or type(value) is str


def _int_in(value: Any, high: int | None = None) -> bool:
    return type(value) is int and value >= 0 and (high is None or value <= high)


def _string_map(value: Any) -> bool:
    return type(value) is dict and all(type(v) is str for v in value.values())


def _ids(value: Any) -> bool:
    return type(value) is dict and all(
        type(v) is str and v and _PROVIDER_KEY.match(k) for k, v in value.items()
    )


_TRACK_CHECKS: dict[str, Callable[[Any], bool]] = {
    "id": lambda v: type(v) is str,
    "position": _int_in,
    "title": _text_or_none,
    "artists": lambda v: type(v) is list and all(type(a) is str for a in v),
    "album": _text_or_none,
    "duration_ms": lambda v: v is None or _int_in(v, 86_400_000),
    "isrc": lambda v: v is None or is_isrc(v),
    "explicit": lambda v: v is None or type(v) is bool,
    "release_date": _text_or_none,
    "provider": _text_or_none,
    "provider_id": _text_or_none,
    "url": _text_or_none,
    "ids": _ids,
    "extras": _string_map,
}
_PLAYLIST_CHECKS: dict[str, Callable[[Any], bool]] = {
    "name": _text_or_none,
    "description": _text_or_none,
    "ids": _ids,
    "extras": _string_map,
    "tracks": lambda v: type(v) is list and all(_fast_track_ok(t) for t in v),
}
_DOCUMENT_CHECKS: dict[str, Callable[[Any], bool]] = {
    "pif": lambda v: type(v) is str and _VERSION.match(v) is not None,
    "generator": lambda v: type(v) is str,
    "created": lambda v: type(v) is str,
    "playlists": lambda v: type(v) is list and all(_fast_playlist_ok(p) for p in v),
}


def _fits(value: Any, checks: dict[str, Callable[[Any], bool]], required: tuple[str, ...]) -> bool:
    if type(value) is not dict or any(key not in value for key in required):
        return False
    for key, item in value.items():
        check = checks.get(key)
        if check is None or not check(item):
            return False
    return True


def _fast_track_ok(track: Any) -> bool:
    return _fits(track, _TRACK_CHECKS, ("title",))


def _fast_playlist_ok(playlist: Any) -> bool:
    return _fits(playlist, _PLAYLIST_CHECKS, ("tracks",))


def fast_document_ok(doc: Any) -> bool:
    """True only if ``doc`` is a valid PIF document (False may still be valid)."""
    return _fits(doc, _DOCUMENT_CHECKS, ("pif", "playlists"))


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(path: Any) -> str:
    """A JSON pointer (RFC 6901) for a sequence of keys and indexes."""
    return "".join(f"/{_escape(p)}" for p in path)


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        unexpected = error.message.rsplit("(", 1)[-1].rstrip(")")
        return "unknown field " + unexpected.replace(" was unexpected", "").replace(
            " were unexpected", ""
        )
    return error.message


def document_problems(doc: Any) -> list[Problem]:
    """Every problem in a parsed PIF document, in document order."""
    from engine.formats.pif import schema

    problems = []
    if not fast_document_ok(doc):
        validator = jsonschema.Draft202012Validator(schema())
        problems = [
            Problem(pointer(error.absolute_path), _schema_message(error))
            for error in validator.iter_errors(doc)
        ]
    if isinstance(doc, dict) and isinstance(doc.get("playlists"), list):
        for p_index, playlist in enumerate(doc["playlists"]):
            tracks = playlist.get("tracks") if isinstance(playlist, dict) else None
            if not isinstance(tracks, list):
                continue
            ids = Counter(
                t["id"] for t in tracks if isinstance(t, dict) and type(t.get("id")) is str
            )
            for t_index, track in enumerate(tracks):
                track_id = track.get("id") if isinstance(track, dict) else None
                if type(track_id) is str and ids[track_id] > 1:
                    problems.append(
                        Problem(
                            pointer(["playlists", p_index, "tracks", t_index, "id"]),
                            f"duplicate track id {track['id']!r} in this playlist",
                        )
                    )
    return sorted(problems, key=lambda p: _pointer_key(p.pointer))


def _pointer_key(text: str | None) -> list[tuple[int, int, str]]:
    parts = (text or "").split("/")
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts]


def frame_problems(playlists: list[Any]) -> list[Problem]:
    """Problems in values a reader kept but could not understand (``invalid.*``)."""
    from engine.formats._common import INVALID_PREFIX

    problems = []
    for p_index, playlist in enumerate(playlists):
        for t_index, extras in enumerate(playlist.tracks["extras"].to_list()):
            for key, value in extras_dict(extras).items():
                if key.startswith(INVALID_PREFIX):
                    field = key[len(INVALID_PREFIX) :]
                    problems.append(
                        Problem(
                            pointer(["playlists", p_index, "tracks", t_index, field]),
                            f"unreadable {field} {value!r}",
                        )
                    )
    return problems
