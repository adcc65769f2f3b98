"""Candidate generation: which (source, catalogue) pairs are worth scoring.

Never the cross product. A pair is a candidate when it shares any of these keys:
the ISRC; the normalised title (refined by primary artist when the title is common);
the primary artist (when the catalogue holds few tracks by them); the primary artist
plus one title word; or one of the title's rarest words. Keys
shared by more than ``config.max_block`` catalogue rows are dropped (or refined),
so the work grows with the size of the inputs, not their product.
"""

from __future__ import annotations

import polars as pl

from engine.matching.config import MatchConfig

PAIR_SCHEMA = {"s": pl.UInt32, "c": pl.UInt32}


def _tokens(frame: pl.LazyFrame, index: str) -> pl.LazyFrame:
    """One row per (row index, primary artist, title word), words of 2+ characters."""
    return (
        frame.select(
            pl.col(index),
            pl.col("n_artist"),
            pl.col("n_title").str.split(" ").list.unique().alias("token"),
        )
        .explode("token")
        .filter(pl.col("token").str.len_chars() >= 2)
    )


def _indexed(frame: pl.DataFrame, name: str, rows: pl.Series | None = None) -> pl.LazyFrame:
    lazy = frame.lazy().select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(name), "isrc", "n_title", "n_artist"
    )
    return lazy if rows is None else lazy.filter(pl.col(name).is_in(rows.implode()))


def key_pairs(source: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Pairs sharing the ISRC or the normalised title and primary artist (ladder rungs
    2 and 3): cheap joins that settle most tracks before any fuzzy work."""
    src, cat = _indexed(source, "s"), _indexed(catalog, "c")
    by_isrc = src.filter(pl.col("isrc") != "").join(cat, on="isrc").select("s", "c")
    by_key = (
        src.filter(pl.col("n_title") != "").join(cat, on=["n_title", "n_artist"]).select("s", "c")
    )
    pairs = pl.concat([by_isrc, by_key]).unique()
    return pairs.collect().cast(PAIR_SCHEMA)  # type: ignore[arg-type]


def candidate_pairs(
    source: pl.DataFrame,
    catalog: pl.DataFrame,
    config: MatchConfig,
    rows: pl.Series | None = None,
) -> pl.DataFrame:
    """Unique ``(s, c)`` row-index pairs (UInt32) for fuzzy scoring; inputs are compact
    frames, ``rows`` limits the source rows looked at."""
    cap = config.max_block
    src, cat = _indexed(source, "s", rows), _indexed(catalog, "c")
    by_isrc = src.filter(pl.col("isrc") != "").join(cat, on="isrc").select("s", "c")

    title_size = cat.group_by("n_title").agg(pl.len().alias("size"))
    small_titles = title_size.filter(pl.col("size") <= cap).select("n_title")
    by_title = (
        src.filter(pl.col("n_title") != "")
        .join(small_titles, on="n_title")
        .join(cat, on="n_title")
        .select("s", "c")
    )
    by_title_artist = (
        src.filter(pl.col("n_title") != "").join(cat, on=["n_title", "n_artist"]).select("s", "c")
    )

    artist_size = cat.group_by("n_artist").agg(pl.len().alias("size"))
    by_artist = (
        src.filter(pl.col("n_artist") != "")
        .join(artist_size.filter(pl.col("size") <= cap), on="n_artist")
        .join(cat, on="n_artist")
        .select("s", "c")
    )

    cat_tokens = _tokens(cat, "c")
    src_tokens = _tokens(src, "s")
    pair_size = cat_tokens.group_by("n_artist", "token").agg(pl.len().alias("size"))
    by_artist_token = (
        src_tokens.filter(pl.col("n_artist") != "")
        .join(pair_size.filter(pl.col("size") <= cap), on=["n_artist", "token"])
        .join(cat_tokens, on=["n_artist", "token"])
        .select("s", "c")
    )

    token_size = cat_tokens.group_by("token").agg(pl.len().alias("size"))
    rarest = (
        src_tokens.join(token_size.filter(pl.col("size") <= cap), on="token")
        .sort("size")
        .group_by("s")
        .head(config.rare_tokens)
        .select("s", "token")
    )
    by_rare_token = rarest.join(cat_tokens.select("c", "token"), on="token").select("s", "c")

    pairs = pl.concat(
        [by_isrc, by_title, by_title_artist, by_artist, by_artist_token, by_rare_token]
    ).unique()
    return pairs.collect().cast(PAIR_SCHEMA)  # type: ignore[arg-type]
