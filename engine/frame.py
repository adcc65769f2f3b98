"""The canonical track frame: one Polars schema shared by formats, matching,
providers, jobs and notebooks.

>>> from engine.frame import tracks_frame
>>> tracks_frame([{"title": "Yesterday", "artists": ["The Beatles"]}]).columns[:3]
['id', 'title', 'artists']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

# extras carry what a format knows beyond the canonical columns, as key/value text.
EXTRAS_DTYPE = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))

TRACK_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Utf8(),
    "title": pl.Utf8(),
    "artists": pl.List(pl.Utf8()),
    "album": pl.Utf8(),
    "duration_ms": pl.Int64(),
    "isrc": pl.Utf8(),
    "explicit": pl.Boolean(),
    "release_date": pl.Utf8(),
    "position": pl.Int64(),
    "provider": pl.Utf8(),
    "provider_id": pl.Utf8(),
    "url": pl.Utf8(),
    "playlist": pl.Utf8(),
    "extras": EXTRAS_DTYPE,
}
"""Column -> dtype. ``id`` is unique within a frame; ``provider``/``provider_id``
name the track on its provider ("file" for plain files); ``playlist`` names the
playlist a row belongs to when a file holds several."""

COLUMNS = list(TRACK_SCHEMA)


def empty_tracks() -> pl.DataFrame:
    """An empty frame with the canonical schema."""
    return pl.DataFrame(schema=TRACK_SCHEMA)


def _row(record: Mapping[str, Any], index: int) -> dict[str, Any]:
    row = {col: record.get(col) for col in COLUMNS}
    if row["artists"] is None:
        row["artists"] = []
    elif isinstance(row["artists"], str):
        row["artists"] = [row["artists"]]
    extras = row["extras"]
    if isinstance(extras, Mapping):
        row["extras"] = [{"key": str(k), "value": str(v)} for k, v in extras.items()]
    elif extras is None:
        row["extras"] = []
    if row["position"] is None:
        row["position"] = index
    if row["id"] is None:
        row["id"] = str(index)
    return row


def tracks_frame(records: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a canonical frame from dict-like records; missing columns become null,
    ``position`` defaults to the record's index and ``id`` to its string."""
    rows = [_row(r, i) for i, r in enumerate(records)]
    return pl.DataFrame(rows, schema=TRACK_SCHEMA, orient="row") if rows else empty_tracks()


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Add missing canonical columns as nulls and cast to the canonical dtypes,
    keeping the canonical column order first."""
    exprs = []
    for col, dtype in TRACK_SCHEMA.items():
        if col in frame.columns:
            exprs.append(pl.col(col).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(col))
    extra_cols = [c for c in frame.columns if c not in TRACK_SCHEMA]
    return frame.select([*exprs, *[pl.col(c) for c in extra_cols]])


def extras_dict(value: list[dict[str, str]] | None) -> dict[str, str]:
    """The extras list of one row as a plain dict."""
    return {item["key"]: item["value"] for item in (value or [])}
