"""Vectorised normalisation of canonical track frames for matching.

``normalize_frame`` adds ``n_*`` columns; everything downstream compares those.

>>> from engine.frame import tracks_frame
>>> song = {"title": "Hey Jude - Remastered 2015", "artists": ["The Beatles"]}
>>> f = normalize_frame(tracks_frame([song]))
>>> f.select("n_title", "n_artist", "n_tags").row(0)
('hey jude', 'the beatles', ['remaster'])
"""

from __future__ import annotations

import re

import polars as pl
from unidecode import unidecode

from engine.frame import conform
from engine.matching.vocabulary import (
    ARTIST_SEPARATORS,
    FEAT,
    NEUTRAL_WORDS,
    PLAIN_MIX,
    SOFT_TAG_PATTERNS,
    STRONG_TAG_PATTERNS,
)

_ALL_TAGS = "|".join([*STRONG_TAG_PATTERNS.values(), *SOFT_TAG_PATTERNS.values(), NEUTRAL_WORDS])
_OPEN = r"[\(\[\{]"
_CLOSE = r"[\)\]\}]"
_INNER = r"[^\(\)\[\]\{\}]*"
# A bracket whose content carries version or noise words: parsed into tags, then dropped.
_VERSION_BRACKET = rf"{_OPEN}{_INNER}(?:{_ALL_TAGS}){_INNER}{_CLOSE}"
_ANY_BRACKET = rf"{_OPEN}{_INNER}{_CLOSE}"
# "Title - Remastered 2011", "Title - Live at Wembley": a dash suffix made of version words.
_VERSION_SUFFIX = rf"\s[-\u2013\u2014:]\s+([^-\u2013\u2014]*(?:{_ALL_TAGS})[^-\u2013\u2014]*)$"
_FEAT_BRACKET = rf"{_OPEN}\s*{FEAT}({_INNER}){_CLOSE}"
_FEAT_BARE = r"\s(?:feat\.?|ft\.?|featuring)\s+([^\(\)\[\]\{\}]*)"
_DASH_SPLIT = r"^(.+?)\s+[-\u2013\u2014|]\s+(.+)$"
_TRACK_NUMBER = r"^\s*(?:\d{1,3}\s*[-._)]\s*|0\d{1,2}\s+)([a-z])"
_CLOCK = r"(?:^|\s)(\d{1,2}):([0-5]\d)(?:\s|$)"
_SEP = "\x1f"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# Where a title that carries other fields (a store export, a video title) turns into
# catalogue data: a price, a copyright or phonogram mark, a clock time or a date.
_JUNK_START = (
    r"\$\s*\d|\(\s*[cp]\s*\)|%0|\b\d{1,2}:[0-5]\d\b|\b\d{1,2}-[a-z]{3}-\d{2}\b|"
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}\s*,\s*\d{{4}}"
)


_NUMBER = r"\b(\d+|(?:pt|part|vol|volume|chapter|no|op) (?:[ivx]+))\b"


def title_numbers(title: str) -> list[str]:
    """Numbers in a cleaned title ("2", "pt ii"): different numbers, different works."""
    return sorted(set(re.findall(_NUMBER, title)))


def fold_text(text: str | None) -> str:
    """ASCII-fold and lower-case one string (the scalar twin of ``_fold``)."""
    if not text:
        return ""
    return (unidecode(text) if not text.isascii() else text).lower()


def _fold(expr: pl.Expr) -> pl.Expr:
    """ASCII-fold (transliterate) and lower-case; unidecode runs only on non-ASCII values."""

    def fold_batch(series: pl.Series) -> pl.Series:
        ascii_mask = series.str.contains(r"^[\x00-\x7f]*$").fill_null(True)
        if bool(ascii_mask.all()):
            return series
        uniques = series.filter(~ascii_mask).unique()
        mapping = pl.DataFrame(
            {"raw": uniques, "folded": [unidecode(v) for v in uniques.to_list()]}
        )
        frame = series.to_frame("raw").join(mapping, on="raw", how="left", maintain_order="left")
        return frame["folded"].fill_null(frame["raw"])

    return expr.fill_null("").map_batches(fold_batch, return_dtype=pl.Utf8).str.to_lowercase()


def _clean(expr: pl.Expr) -> pl.Expr:
    """Drop apostrophes, turn other punctuation into spaces, collapse spaces."""
    return (
        expr.str.replace_all(r"['`\u2019\u00b4]", "")
        .str.replace_all("&", " and ")
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )


def _tags(text: pl.Expr, patterns: dict[str, str]) -> pl.Expr:
    """A sorted list of the tag names whose pattern occurs in ``text``."""
    flags = [
        pl.when(text.str.contains(pattern)).then(pl.lit(name)).otherwise(None)
        for name, pattern in sorted(patterns.items())
    ]
    return pl.concat_list(flags).list.drop_nulls()


def _split_artists(expr: pl.Expr) -> pl.Expr:
    """Split an artist credit on , & / + feat. and x vs into cleaned names."""
    pieces = expr.str.replace_all(ARTIST_SEPARATORS, _SEP).str.split(_SEP)
    return pieces.list.eval(_clean(pl.element())).list.eval(
        pl.element().filter(pl.element().str.len_chars() > 0)
    )


def normalize_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the ``n_*`` matching columns to a canonical track frame.

    ``n_title`` (core title: no featured artists, version brackets, track numbers),
    ``n_title_base`` (also without any other bracket), ``n_artists`` (list, featured
    included), ``n_artist`` (primary), ``n_album``, ``n_tags`` (strong version tags),
    ``n_soft`` (soft tags), ``n_explicit``, ``n_duration`` (ms), ``n_text`` (all of it),
    ``n_head`` (the title cut where prices, copyright marks, clock times or dates begin).
    """
    frame = conform(frame)
    steps = frame.lazy().with_columns(
        _t0=_fold(pl.col("title")).str.replace_all(r"\s+", " ").str.strip_chars(),
        _a0=_fold(pl.col("artists").list.join(", "))
        .str.replace_all(r"\s*-\s*topic$|vevo$|\s+official$", "")
        .str.strip_chars(),
        _al0=_fold(pl.col("album")).str.replace_all(r"\s+", " ").str.strip_chars(),
    )
    steps = steps.with_columns(
        _t0=pl.col("_t0").str.replace(_TRACK_NUMBER, "${1}"),
        _clock=pl.col("_t0").str.extract_groups(_CLOCK),
    ).with_columns(
        _ver=pl.concat_str(
            pl.col("_t0").str.extract_all(_VERSION_BRACKET).list.join(" "),
            pl.col("_t0").str.extract(_VERSION_SUFFIX, 1).fill_null(""),
            separator=" ",
        ).str.replace_all(PLAIN_MIX, " "),
        _feat=pl.concat_str(
            pl.col("_t0").str.extract_all(_FEAT_BRACKET).list.join(", "),
            pl.col("_t0").str.extract(_FEAT_BARE, 1).fill_null(""),
            separator=", ",
        ).str.replace_all(rf"^{_OPEN}|{_CLOSE}", ""),
        _core=pl.col("_t0")
        .str.replace_all(_FEAT_BRACKET, " ")
        .str.replace_all(_VERSION_BRACKET, " ")
        .str.replace_all(_VERSION_BRACKET, " ")
        .str.replace(_FEAT_BARE, " ")
        .str.replace(_VERSION_SUFFIX, "")
        .str.strip_chars(),
    )
    steps = _split_dash(steps)
    steps = steps.with_columns(
        n_title=_clean(pl.col("_core").str.replace(_CLOCK, " ")),
        n_title_base=_clean(pl.col("_core").str.replace_all(_ANY_BRACKET, " ")),
        n_head=_clean(pl.col("_core").str.replace(rf"(?:{_JUNK_START}).*$", "")),
        n_artists=pl.concat_list(
            _split_artists(pl.col("_a0")),
            _split_artists(pl.col("_feat").str.replace_all(FEAT, "")),
        ).list.unique(maintain_order=True),
        n_album=_clean(
            pl.col("_al0")
            .str.replace_all(_VERSION_BRACKET, " ")
            .str.replace(_VERSION_SUFFIX, "")
            .str.replace(r"\s+(ep|single|lp)$", "")
        ),
        _alver=pl.concat_str(
            pl.col("_al0").str.extract_all(_ANY_BRACKET).list.join(" "),
            pl.col("_al0").str.extract(r"\s[-:]\s+(.*)$", 1).fill_null(""),
            separator=" ",
        ),
    )
    steps = steps.with_columns(
        n_numbers=pl.col("n_title").str.extract_all(_NUMBER).list.unique().list.sort(),
        n_artist=pl.col("n_artists").list.first().fill_null(""),
        n_tags=pl.concat_list(
            _tags(pl.col("_ver"), STRONG_TAG_PATTERNS),
            _tags(pl.col("_alver"), {"live": STRONG_TAG_PATTERNS["live"]}),
        )
        .list.unique()
        .list.sort(),
        n_soft=_tags(pl.col("_ver"), SOFT_TAG_PATTERNS),
    )
    steps = steps.with_columns(
        n_explicit=pl.coalesce(
            pl.col("explicit"),
            pl.when(pl.col("n_soft").list.contains("explicit")).then(pl.lit(True)),
            pl.when(pl.col("n_soft").list.contains("clean")).then(pl.lit(False)),
        ),
        n_soft=pl.col("n_soft").list.set_difference(pl.lit(["explicit", "clean"])),
        n_duration=pl.coalesce(
            pl.col("duration_ms"),
            pl.col("_clock").struct.field("1").cast(pl.Int64) * 60_000
            + pl.col("_clock").struct.field("2").cast(pl.Int64) * 1_000,
        ),
        n_text=pl.concat_str(
            _clean(pl.col("_t0")),
            pl.col("n_artists").list.join(" "),
            pl.col("n_album"),
            separator=" ",
        ).str.strip_chars(),
    )
    helpers = ["_t0", "_a0", "_al0", "_clock", "_ver", "_feat", "_core", "_alver"]
    return steps.drop(helpers).collect()


def _split_dash(steps: pl.LazyFrame) -> pl.LazyFrame:
    """Split "Artist - Title" when the artist is empty or the title repeats it."""
    before = pl.col("_core").str.extract(_DASH_SPLIT, 1)
    after = pl.col("_core").str.extract(_DASH_SPLIT, 2)
    no_artist = pl.col("_a0") == ""
    repeats = _clean(before) == _clean(pl.col("_a0"))
    has_split = after.is_not_null()
    return steps.with_columns(
        _a0=pl.when(no_artist & has_split).then(before).otherwise(pl.col("_a0")),
        _core=pl.when(has_split & (no_artist | repeats)).then(after).otherwise(pl.col("_core")),
    )
