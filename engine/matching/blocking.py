"""Candidate generation: which (source, catalogue) pairs are worth scoring.

Never the cross product. A pair is a candidate when it shares any of these keys:
the ISRC; the normalised title (refined by primary artist when the title is common);
the primary artist (when the catalogue holds few tracks by them); the primary artist
plus one title word; one of the title's rarest words; an end of the title with an
end of the artist (survives a typo in both fields); or, for records whose title
carries other fields, the rarest of their title and artist words. Keys
shared by more than ``config.max_block`` catalogue rows are dropped (or refined),
so the work grows with the size of the inputs, not their product.
"""

from __future__ import annotations

import polars as pl

from engine.matching.config import MatchConfig

PAIR_SCHEMA = {"s": pl.UInt32, "c": pl.UInt32}
TYPO_CHARS = 4
"""Letters at each end of the (space-free) title used by the typo-surviving keys."""
ARTIST_CHARS = 3
"""Letters at each end of the (space-free) primary artist used by those keys."""


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


def _typo_keys(frame: pl.LazyFrame, index: str) -> pl.LazyFrame:
    """Keys that survive one typo in the title and one in the artist at once: the
    first or last ``TYPO_CHARS`` letters of the title with the first or last ones of
    the primary artist (a typo spoils at most one end of each), four keys per row."""
    squashed = frame.select(
        pl.col(index),
        pl.col("n_title").str.replace_all(" ", "").alias("_t"),
        pl.col("n_artist").str.replace_all(" ", "").alias("_a"),
    ).filter((pl.col("_t").str.len_chars() >= TYPO_CHARS) & (pl.col("_a") != ""))
    title_ends = [pl.col("_t").str.head(TYPO_CHARS), pl.col("_t").str.tail(TYPO_CHARS)]
    artist_ends = [pl.col("_a").str.head(ARTIST_CHARS), pl.col("_a").str.tail(ARTIST_CHARS)]
    keys = [
        pl.concat_str([pl.lit(f"{i}{j}"), t, pl.lit("|"), a])
        for i, t in enumerate(title_ends)
        for j, a in enumerate(artist_ends)
    ]
    return squashed.select(pl.col(index), pl.concat_list(keys).alias("key")).explode("key")


def _text_tokens(frame: pl.LazyFrame, index: str) -> pl.LazyFrame:
    """Title and artist words of records whose title carries other fields (or whose
    artist is missing): their rarest words may sit in either field."""
    return (
        frame.filter(pl.col("overloaded"))
        .select(
            pl.col(index),
            pl.concat_str(["n_title", "artists_text"], separator=" ")
            .str.split(" ")
            .list.unique()
            .alias("token"),
        )
        .explode("token")
        .filter(pl.col("token").str.len_chars() >= 3)
    )


def _indexed(frame: pl.DataFrame, name: str, rows: pl.Series | None = None) -> pl.LazyFrame:
    lazy = frame.lazy().select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(name),
        "isrc",
        "n_title",
        "n_artist",
        "artists_text",
        "overloaded",
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

    cat_typo = _typo_keys(cat, "c")
    typo_size = cat_typo.group_by("key").agg(pl.len().alias("size"))
    by_typo = (
        _typo_keys(src, "s")
        .join(typo_size.filter(pl.col("size") <= cap), on="key")
        .join(cat_typo, on="key")
        .select("s", "c")
    )

    # Shifted fields: any of the record's title or artist words, rarest first.
    rarest_text = (
        _text_tokens(src, "s")
        .join(token_size.filter(pl.col("size") <= cap), on="token")
        .sort("size")
        .group_by("s")
        .head(config.rare_tokens)
        .select("s", "token")
    )
    by_text = rarest_text.join(cat_tokens.select("c", "token"), on="token").select("s", "c")

    pairs = pl.concat(
        [
            by_isrc,
            by_title,
            by_title_artist,
            by_artist,
            by_artist_token,
            by_rare_token,
            by_typo,
            by_text,
        ]
    ).unique()
    return pairs.collect().cast(PAIR_SCHEMA)  # type: ignore[arg-type]
