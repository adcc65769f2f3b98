"""Bundled sample playlists and the sample catalogue (package data).

>>> from engine.samples import sample_path
>>> sample_path("catalog.pif.json").name
'catalog.pif.json'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from engine.errors import NotFoundError

CATALOG = "catalog.pif.json"
"""The sample catalogue: ~400 recordings with ISRCs and ids on all four providers."""

PLAYLISTS = ("road-trip.m3u8", "road-trip.csv", "road-trip.xspf")
"""Sample playlists drawn from the catalogue, each with a few tracks it lacks."""


def sample_path(name: str) -> Path:
    """Filesystem path of a bundled sample file."""
    path = Path(str(resources.files("engine.samples").joinpath(name)))
    if not path.is_file():
        raise NotFoundError(f"no bundled sample named {name!r}")
    return path
