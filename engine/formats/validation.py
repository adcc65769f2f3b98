"""Checking playlist files: every problem at once, each with its JSON pointer.

For PIF the document is checked against ``pif.schema.json`` plus rules a schema
cannot express (track ids unique within a playlist). Other formats are read, and
values a reader could not understand (kept in ``extras`` as ``invalid.*``) are
reported with the pointer of the track they belong to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import jsonschema

from engine.frame import extras_dict


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (JSON pointer, line when known) and what."""

    pointer: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.pointer or "/"
        if self.line is not None:
            where = f"line {self.line}"
        return f"{where}: {self.message}"


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

    validator = jsonschema.Draft202012Validator(schema())
    problems = [
        Problem(pointer(error.absolute_path), _schema_message(error))
        for error in sorted(
            validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]
        )
    ]
    if isinstance(doc, dict) and isinstance(doc.get("playlists"), list):
        for p_index, playlist in enumerate(doc["playlists"]):
            tracks = playlist.get("tracks") if isinstance(playlist, dict) else None
            if not isinstance(tracks, list):
                continue
            ids = Counter(t.get("id") for t in tracks if isinstance(t, dict) and "id" in t)
            for t_index, track in enumerate(tracks):
                if isinstance(track, dict) and ids.get(track.get("id"), 0) > 1:
                    problems.append(
                        Problem(
                            pointer(["playlists", p_index, "tracks", t_index, "id"]),
                            f"duplicate track id {track['id']!r} in this playlist",
                        )
                    )
    return sorted(problems, key=lambda p: _pointer_key(p.pointer))


def _pointer_key(text: str) -> list[tuple[int, int, str]]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in text.split("/")]


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
