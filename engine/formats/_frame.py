"""Building the canonical frame from reader records, column by column.

Same result as ``engine.frame.tracks_frame`` (checked by a test), ~7x faster on
large files: list and struct columns are built with Polars from flat lists instead
of from one Python dict per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from engine.frame import COLUMNS, EXTRAS_DTYPE, TRACK_SCHEMA, empty_tracks

_ROW = "__row"


def _extras_items(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [(str(k), str(v)) for k, v in value.items()]
    return [(str(item["key"]), str(item["value"])) for item in value]


def _artists(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def records_frame(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Canonical frame from dict-like records (missing columns null; ``position``
    defaults to the record's index and ``id`` to its string)."""
    if not records:
        return empty_tracks()
    columns: dict[str, pl.Series] = {}
    for column in COLUMNS:
        if column in ("artists", "extras"):
            continue
        values = [record.get(column) for record in records]
        if column == "position":
            values = [i if v is None else v for i, v in enumerate(values)]
        elif column == "id":
            values = [str(i) if v is None else v for i, v in enumerate(values)]
        columns[column] = pl.Series(column, values, dtype=TRACK_SCHEMA[column])
    artist_rows: list[int] = []
    artist_names: list[str] = []
    extra_rows: list[int] = []
    keys: list[str] = []
    values_: list[str] = []
    for index, record in enumerate(records):
        names = _artists(record.get("artists"))
        artist_rows.extend([index] * len(names))
        artist_names.extend(names)
        for key, value in _extras_items(record.get("extras")):
            extra_rows.append(index)
            keys.append(key)
            values_.append(value)
    artists = (
        pl.DataFrame(
            {
                _ROW: pl.Series(artist_rows, dtype=pl.UInt32),
                "artists": pl.Series(artist_names, dtype=pl.Utf8),
            }
        )
        .group_by(_ROW, maintain_order=True)
        .agg(pl.col("artists"))
    )
    extras = (
        pl.DataFrame(
            {
                _ROW: pl.Series(extra_rows, dtype=pl.UInt32),
                "key": pl.Series(keys, dtype=pl.Utf8),
                "value": pl.Series(values_, dtype=pl.Utf8),
            }
        )
        .group_by(_ROW, maintain_order=True)
        .agg(pl.struct("key", "value").alias("extras"))
    )
    frame = (
        pl.DataFrame(columns)
        .with_row_index(_ROW)
        .join(artists, on=_ROW, how="left")
        .join(extras, on=_ROW, how="left")
        .sort(_ROW)
        .with_columns(
            pl.col("artists").fill_null(pl.lit([], dtype=TRACK_SCHEMA["artists"])),
            pl.col("extras").fill_null(pl.lit([], dtype=EXTRAS_DTYPE)),
        )
    )
    return frame.select([pl.col(c).cast(TRACK_SCHEMA[c]) for c in COLUMNS])
