"""Compare two versions of a playlist: added, removed and moved items, with positions.

Both sides are canonical track frames (``engine.frame``) in playlist order: two
snapshots, or a snapshot and a live playlist read from a provider. Items are
matched by a key column (``track_key`` below: the provider id where both sides
carry one, else the ISRC, else normalised artist + title); a track that occurs
twice is matched occurrence by occurrence, so duplicates are diffed correctly.

A *move* is an item whose relative order changed: the items kept on both sides
are aligned with a longest increasing subsequence, and everything off that
subsequence moved. That is the smallest set of moves, not merely "position
differs" (one insertion at the top would otherwise move everything).

>>> import polars as pl
>>> from engine.frame import tracks_frame
>>> old = tracks_frame([{"title": t, "artists": ["X"]} for t in "ABC"])
>>> new = tracks_frame([{"title": t, "artists": ["X"]} for t in "CAD"])
>>> d = diff_playlists(old, new)
>>> d.added["title"].to_list(), d.removed["title"].to_list(), d.moved.height
(['D'], ['B'], 1)
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from engine.frame import conform

DIFF_COLUMNS = ["key", "title", "artists", "provider_id", "isrc"]


@dataclass(frozen=True)
class PlaylistDiff:
    """``added``/``removed``: key, title, artists, provider_id, isrc, position (in
    the new / old playlist). ``moved``: the same plus ``old_position`` and
    ``new_position``. ``kept`` has every item on both sides with both positions."""

    added: pl.DataFrame
    removed: pl.DataFrame
    moved: pl.DataFrame
    kept: pl.DataFrame

    @property
    def unchanged(self) -> bool:
        return self.added.is_empty() and self.removed.is_empty() and self.moved.is_empty()

    def summary(self) -> dict[str, int]:
        return {
            "added": self.added.height,
            "removed": self.removed.height,
            "moved": self.moved.height,
            "kept": self.kept.height,
        }


def track_key(frame: pl.DataFrame, *, by: str = "auto") -> pl.Expr:
    """The expression that identifies an item: ``provider_id``, ``isrc``,
    ``track_id`` (a store id column) or ``auto`` (provider id, else ISRC, else
    lower-cased "artists|title")."""
    text = (
        pl.col("artists").list.join(", ").fill_null("").str.to_lowercase()
        + pl.lit("|")
        + pl.col("title").fill_null("").str.to_lowercase().str.strip_chars()
    )
    if by == "provider_id":
        return pl.col("provider").fill_null("") + ":" + pl.col("provider_id").cast(pl.Utf8)
    if by == "isrc":
        return pl.col("isrc").str.to_uppercase()
    if by in frame.columns and by not in {"auto"}:
        return pl.col(by).cast(pl.Utf8)
    return pl.coalesce(
        pl.when(pl.col("provider_id").is_not_null()).then(
            pl.lit("id:") + pl.col("provider").fill_null("") + ":" + pl.col("provider_id")
        ),
        pl.when(pl.col("isrc").is_not_null()).then(
            pl.lit("isrc:") + pl.col("isrc").str.to_uppercase()
        ),
        pl.lit("text:") + text,
    )


def _keyed(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    base = conform(frame)  # keeps extra columns such as a store's track_id
    return (
        base.with_row_index("order")
        .with_columns(key=track_key(base, by=by))
        .with_columns(occurrence=pl.col("order").cum_count().over("key"))
        .select([*DIFF_COLUMNS, "occurrence", pl.col("order").cast(pl.Int64).alias("position")])
    )


def diff_playlists(old: pl.DataFrame, new: pl.DataFrame, *, by: str = "auto") -> PlaylistDiff:
    """Diff ``old`` against ``new`` (both in playlist order; positions are 0-based
    row orders). Identity is :func:`track_key` with ``by``."""
    if by == "auto" and not _same_provider(old, new):
        by = "isrc_or_text"
    left = _keyed(old, "auto" if by == "isrc_or_text" else by)
    right = _keyed(new, "auto" if by == "isrc_or_text" else by)
    if by == "isrc_or_text":  # different providers: their ids never match, compare content
        left = _rekey_by_content(old, left)
        right = _rekey_by_content(new, right)
    joined = left.join(
        right.select("key", "occurrence", pl.col("position").alias("new_position")),
        on=["key", "occurrence"],
        how="full",
        coalesce=True,
    )
    removed = (
        joined.filter(pl.col("new_position").is_null()).select([*DIFF_COLUMNS, "position"])
    ).sort("position")
    added = (
        right.join(left.select("key", "occurrence"), on=["key", "occurrence"], how="anti")
        .select([*DIFF_COLUMNS, "position"])
        .sort("position")
    )
    kept = (
        joined.filter(pl.col("new_position").is_not_null() & pl.col("position").is_not_null())
        .rename({"position": "old_position"})
        .select([*DIFF_COLUMNS, "old_position", "new_position"])
        .sort("old_position")
    )
    stay = longest_increasing(kept["new_position"].to_list())
    moved = (
        kept.with_row_index("_i")
        .filter(~pl.col("_i").is_in(list(stay)))
        .drop("_i")
        .sort("new_position")
    )
    return PlaylistDiff(added=added, removed=removed, moved=moved, kept=kept)


def _same_provider(old: pl.DataFrame, new: pl.DataFrame) -> bool:
    """True when ids are comparable: one provider, and every row carries its id."""
    providers: set[str] = set()
    for frame in (old, new):
        if frame.is_empty():
            continue
        if "provider_id" not in frame.columns or frame["provider_id"].null_count():
            return False
        if "provider" in frame.columns:
            providers.update(p for p in frame["provider"].unique().to_list() if p)
    return len(providers) <= 1


def _rekey_by_content(source: pl.DataFrame, keyed: pl.DataFrame) -> pl.DataFrame:
    stripped = conform(source).with_columns(provider_id=pl.lit(None, dtype=pl.Utf8))
    keys = stripped.select(key=track_key(stripped))["key"]
    return keyed.with_columns(key=keys).with_columns(
        occurrence=pl.col("position").cum_count().over("key")
    )


def longest_increasing(values: Sequence[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence (patience sort;
    the same input always gives the same answer)."""
    tails: list[int] = []
    tail_index: list[int] = []
    parent = [-1] * len(values)
    for i, value in enumerate(values):
        slot = bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_index.append(i)
        else:
            tails[slot] = value
            tail_index[slot] = i
        parent[i] = tail_index[slot - 1] if slot > 0 else -1
    result: set[int] = set()
    at = tail_index[-1] if tail_index else -1
    while at != -1:
        result.add(at)
        at = parent[at]
    return result
