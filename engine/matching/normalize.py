"""Vectorised normalisation of canonical track frames for matching.

``normalize_frame`` adds ``n_*`` columns; everything downstream compares those.

>>> from engine.frame import tracks_frame
>>> song = {"title": "Hey Jude - Remastered 2015", "artists": ["The Beatles"]}
>>> f = normalize_frame(tracks_frame([song]))
>>> f.select("n_title", "n_artist", "n_tags").row(0)
('hey jude', 'the beatles', 'remaster')
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
    SUFFIX_WORDS,
)

_ALL_TAGS = "|".join([*STRONG_TAG_PATTERNS.values(), *SOFT_TAG_PATTERNS.values(), NEUTRAL_WORDS])
_OPEN = r"[\(\[\{]"
_CLOSE = r"[\)\]\}]"
_INNER = r"[^\(\)\[\]\{\}]*"
# A bracket whose content carries version or noise words: parsed into tags, then dropped.
_VERSION_BRACKET = rf"{_OPEN}{_INNER}(?:{_ALL_TAGS}){_INNER}{_CLOSE}"
_ANY_BRACKET = rf"{_OPEN}{_INNER}{_CLOSE}"
# "Title - Remastered 2011", "Title - Live at Wembley": a dash suffix made of version words.
# It must open with the version words (after an optional year), so that
# "Artist - Let's Go Dirty" stays a title and "Song - 2011 Remaster" does not.
# "Live" opens a version suffix only when it stands alone or names a venue, a date or a
# kind of recording: "Song - Live at Wembley", "Song - Live 2004", "Song - Live Version",
# but "Kenny Chesney - Live a Little" is a title (Rust's regex has no look-ahead, hence
# the explicit continuations).
_LIVE_SUFFIX = (
    r"\blive(?:\s+(?:at|from|in|on|version|recording|session|edit|mix|acoustic|unplugged|"
    r"(?:19|20)\d\d)\b[^-\u2013\u2014]*|\s*[\(\[][^-\u2013\u2014]*)?"
)
_SUFFIX_TAGS_NOT_LIVE = "|".join(
    [
        *(pattern for name, pattern in STRONG_TAG_PATTERNS.items() if name != "live"),
        # the other live words ("en vivo", "unplugged"...) open a suffix as they are
        STRONG_TAG_PATTERNS["live"].replace("live|", "", 1),
        *SOFT_TAG_PATTERNS.values(),
        SUFFIX_WORDS,
    ]
)
_VERSION_SUFFIX = (
    r"(?:\s[-\u2013\u2014]|:)\s+((?:(?:19|20)\d\d\s+)?"
    rf"(?:(?:{_SUFFIX_TAGS_NOT_LIVE})[^-\u2013\u2014]*|{_LIVE_SUFFIX}))$"
)
_FEAT_BRACKET = rf"{_OPEN}\s*{FEAT}({_INNER}){_CLOSE}"
_FEAT_BARE = r"\s(?:feat\.?|ft\.?|featuring)\s+([^\(\)\[\]\{\}]*)"
_DASH_SPLIT = r"^(.+?)\s+[-\u2013\u2014|]\s+(.+)$"
_TRACK_NUMBER = r"^\s*(?:\d{1,3}\s*[-._)]\s*|0\d{1,2}\s+)([a-z])"
_CLOCK = r"(?:^|\s)(\d{1,2}):([0-5]\d)(?:\s|$)"
# Albums that are live recordings by their name ("Live at Wembley", "MTV Unplugged").
_LIVE_ALBUM = r"^live (?:at|from|in|on) .*|(?-u:\b)(?:in concert|unplugged)(?-u:\b)"
# Titles that need parsing: brackets, dashes, colons, feat., leading digits, data marks.
_COMPLEX_TITLE = r"[\(\[\{\-\u2013\u2014:|$%]|(?-u:\b)(feat|ft|featuring)(?-u:\b)|^\s*\d"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# Where a title that carries other fields (a store export, a video title) turns into
# catalogue data: a price, a copyright or phonogram mark, a clock time or a date.
_JUNK_START = (
    r"\$\s*\d|\(\s*[cp]\s*\)|%0|\b\d{1,2}:[0-5]\d\b|\b\d{1,2}-[a-z]{3}-\d{2}\b|"
    rf"\b(?:{_MONTHS})\s+\d{{1,2}}\s*,\s*\d{{4}}"
)


_MINUTES_BELOW = 30
"""A ``duration_ms`` value below this is taken as whole minutes."""
_SECONDS_BELOW = 3_600
"""A ``duration_ms`` value below this (and not minutes) is taken as seconds."""

_NUMBER = r"\b(\d+|(?:pt|part|vol|volume|chapter|no|op) (?:[ivx]+))\b"


def title_numbers(title: str) -> list[str]:
    """Numbers in a cleaned title ("2", "pt ii"): different numbers, different works."""
    return sorted(set(re.findall(_NUMBER, title)))


def _marks(text: str) -> str:
    # unidecode spells these "(c)"/"(p)", which would open brackets inside credits.
    return text.replace("\u00a9", "c").replace("\u2117", "p")


def fold_text(text: str | None) -> str:
    """ASCII-fold and lower-case one string (the scalar twin of ``_fold``)."""
    if not text:
        return ""
    return (unidecode(_marks(text)) if not text.isascii() else text).lower()


def _fold(expr: pl.Expr) -> pl.Expr:
    """ASCII-fold (transliterate) and lower-case; unidecode runs only on non-ASCII values."""

    def fold_batch(series: pl.Series) -> pl.Series:
        ascii_mask = (series.str.len_bytes() == series.str.len_chars()).fill_null(True)
        if bool(ascii_mask.all()):
            return series
        uniques = series.filter(~ascii_mask).unique()
        mapping = pl.DataFrame(
            {"raw": uniques, "folded": [unidecode(_marks(v)) for v in uniques.to_list()]}
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


def _ascii(pattern: str) -> str:
    """ASCII word boundaries: the text is folded already, and they are far faster."""
    return pattern.replace(r"\b", r"(?-u:\b)")


def _tags(text: pl.Expr, patterns: dict[str, str], also: pl.Expr | None = None) -> pl.Expr:
    """Space-separated, sorted names of the tags whose pattern occurs in ``text``."""
    flags = []
    for name, pattern in sorted(patterns.items()):
        hit = text.str.contains(_ascii(pattern))
        if also is not None and name == "live":
            hit = hit | also.str.contains(_ascii(pattern))
        flags.append(pl.when(hit).then(pl.lit(name)))
    return pl.concat_str(flags, separator=" ", ignore_nulls=True).fill_null("")


def _artist_text(expr: pl.Expr) -> pl.Expr:
    """Artist credits as cleaned names joined by "|" (split on , & / + feat. and x vs)."""
    return (
        expr.str.replace_all(_ascii(ARTIST_SEPARATORS), "|")
        .str.replace_all(r"['`\u2019\u00b4]", "")
        .str.replace_all(r"[^a-z0-9|]+", " ")
        .str.replace_all(r"\s*\|[\s|]*", "|")
        .str.strip_chars("| ")
    )


def normalize_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the ``n_*`` matching columns to a canonical track frame.

    ``n_title`` (core title: no featured artists, version brackets, track numbers),
    ``n_title_base`` (also without any other bracket), ``n_head`` (the title cut where
    prices, copyright marks, clock times or dates begin), ``n_artists`` (list, featured
    included), ``n_artist`` (primary), ``n_album``, ``n_tags`` (strong version tags,
    space-separated), ``n_soft`` (soft tags), ``n_numbers`` (numbers in the title),
    ``n_explicit`` and ``n_duration`` (ms).
    """
    frame = conform(frame)
    steps = frame.lazy().with_columns(
        _t0=_fold(pl.col("title")).str.replace_all(r"\s+", " ").str.strip_chars(),
        _a0=_fold(pl.col("artists").list.join(", "))
        .str.replace_all(r"\s*-\s*topic$|vevo$|\s+official$", "")
        .str.strip_chars(),
        _al0=_fold(pl.col("album")).str.replace_all(r"\s+", " ").str.strip_chars(),
    )
    steps = steps.with_row_index("_row").with_columns(
        _complex=pl.col("_t0").str.contains(_COMPLEX_TITLE) | (pl.col("_a0") == "")
    )
    # Most titles are plain words: skip the version/feat/dash parsing for them.
    simple = (
        steps.filter(~pl.col("_complex"))
        .with_columns(
            _ver=pl.lit(""),
            _feat=pl.lit(""),
            _clock=pl.lit(None, dtype=pl.Struct({"1": pl.Utf8, "2": pl.Utf8})),
            n_title=_unglued(_clean(pl.col("_t0"))),
        )
        .with_columns(n_title_base=pl.col("n_title"), n_head=pl.col("n_title"))
    )
    complex_ = _parse_titles(steps.filter(pl.col("_complex")))
    steps = pl.concat([simple, complex_], how="diagonal_relaxed").sort("_row")
    # Artist credits and albums repeat across tracks: parse each distinct value once.
    credits = (
        steps.select("_a0", "_feat")
        .unique()
        .with_columns(
            _artists=_artist_text(
                pl.concat_str(
                    pl.col("_a0"), pl.col("_feat").str.replace_all(_ascii(FEAT), ""), separator=", "
                )
            )
        )
    )
    albums = (
        steps.select("_al0")
        .unique()
        .with_columns(
            n_album=_clean(
                pl.col("_al0")
                .str.replace_all(_ascii(_VERSION_BRACKET), " ")
                .str.replace(_ascii(_VERSION_SUFFIX), "")
                .str.replace(r"\s+(ep|single|lp)$", "")
            ),
            _alver=pl.concat_str(
                pl.col("_al0").str.extract_all(_ANY_BRACKET).list.join(" "),
                pl.col("_al0").str.extract(r"(?:\s-|:)\s+(.*)$", 1).fill_null(""),
                pl.col("_al0").str.extract(_LIVE_ALBUM, 0).fill_null(""),
                separator=" ",
            ),
        )
    )
    steps = (
        steps.join(
            credits, on=["_a0", "_feat"], how="left", nulls_equal=True, maintain_order="left"
        )
        .join(albums, on="_al0", how="left", nulls_equal=True, maintain_order="left")
        .with_columns(_soft=_tags(pl.col("_ver"), SOFT_TAG_PATTERNS))
    )
    steps = steps.with_columns(
        n_numbers=pl.col("n_title").str.extract_all(_ascii(_NUMBER)).list.join(" "),
        n_artists=pl.col("_artists")
        .str.split("|")
        .list.filter(pl.element() != "")
        .list.unique(maintain_order=True),
        n_artist=pl.col("_artists").str.extract(r"^([^|]*)", 1).fill_null(""),
        n_tags=_tags(pl.col("_ver"), STRONG_TAG_PATTERNS, also=pl.col("_alver")),
        n_soft=pl.col("_soft")
        .str.replace_all(r"(?-u:\b)(explicit|clean)(?-u:\b)", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(),
        n_explicit=pl.coalesce(
            pl.col("explicit"),
            pl.when(pl.col("_soft").str.contains("explicit")).then(pl.lit(True)),
            pl.when(pl.col("_soft").str.contains("clean")).then(pl.lit(False)),
        ),
        n_duration=pl.coalesce(
            _duration_ms(pl.col("duration_ms")),
            pl.col("_clock").struct.field("1").cast(pl.Int64) * 60_000
            + pl.col("_clock").struct.field("2").cast(pl.Int64) * 1_000,
        ),
    )
    helpers = ["_row", "_complex", "_t0", "_a0", "_al0", "_clock", "_ver", "_feat", "_alver"]
    return steps.drop(*helpers, "_core", "_soft", "_artists", strict=False).collect()


_GLUED_YEAR = r"(?:19[5-9]\d|20[0-3]\d)"


def _unglued(title: pl.Expr) -> pl.Expr:
    """A cleaned title without the year or zero-padded track number that exports glue
    onto it ("1970 - Hot Dog", "Teeth 07", "Song Title 2014"); a title that is only
    a year ("1979") keeps it."""
    return (
        title.str.replace(rf"^{_GLUED_YEAR} (\S.*)$", "${1}")
        .str.replace(rf"^(.*\S) {_GLUED_YEAR}$", "${1}")
        .str.replace(r"^(.*\S) 0\d$", "${1}")
    )


def _duration_ms(ms: pl.Expr) -> pl.Expr:
    """Durations some exports write in minutes or seconds, detected by their size:
    no recording lasts under 30 ms or 3.6 s, so such values are minutes or seconds."""
    return (
        pl.when(ms <= 0)
        .then(None)
        .when(ms < _MINUTES_BELOW)
        .then(ms * 60_000)
        .when(ms < _SECONDS_BELOW)
        .then(ms * 1_000)
        .otherwise(ms)
    )


def _parse_titles(steps: pl.LazyFrame) -> pl.LazyFrame:
    """Version tags, featured artists, track numbers, "Artist - Title" and carried data."""
    version_bracket, version_suffix = _ascii(_VERSION_BRACKET), _ascii(_VERSION_SUFFIX)
    feat_bracket = _ascii(_FEAT_BRACKET)
    steps = steps.with_columns(
        _t0=pl.col("_t0").str.replace(_TRACK_NUMBER, "${1}"),
        _clock=pl.col("_t0").str.extract_groups(_CLOCK),
    ).with_columns(
        _brackets=pl.col("_t0").str.extract_all(version_bracket).list.join(" "),
        _feat_brackets=pl.col("_t0").str.extract_all(feat_bracket).list.join(", "),
        _plain=pl.col("_t0")
        .str.replace_all(feat_bracket, " ")
        .str.replace_all(version_bracket, " ")
        .str.replace_all(version_bracket, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(),
    )
    steps = steps.with_columns(
        _ver=pl.concat_str(
            pl.col("_brackets"),
            pl.col("_plain").str.extract(version_suffix, 1).fill_null(""),
            separator=" ",
        ).str.replace_all(_ascii(PLAIN_MIX), " "),
        _feat=pl.concat_str(
            pl.col("_feat_brackets"),
            pl.col("_plain").str.extract(_FEAT_BARE, 1).fill_null(""),
            separator=", ",
        ).str.replace_all(rf"^{_OPEN}|{_CLOSE}", ""),
        _core=pl.col("_plain")
        .str.replace(_FEAT_BARE, " ")
        .str.replace(version_suffix, "")
        .str.strip_chars(),
    ).drop("_brackets", "_feat_brackets", "_plain")
    return _split_dash(steps).with_columns(
        n_title=_unglued(_clean(pl.col("_core").str.replace(_CLOCK, " "))),
        n_title_base=_unglued(_clean(pl.col("_core").str.replace_all(_ANY_BRACKET, " "))),
        n_head=_unglued(_clean(pl.col("_core").str.replace(_ascii(rf"(?:{_JUNK_START}).*$"), ""))),
    )


def _split_dash(steps: pl.LazyFrame) -> pl.LazyFrame:
    """Split "Artist - Title" when the artist is empty or the title repeats it."""
    before = pl.col("_core").str.extract(_DASH_SPLIT, 1)
    after = pl.col("_core").str.extract(_DASH_SPLIT, 2)
    no_artist = pl.col("_a0") == ""
    # "Beyoncé - Topic" uploading "Beyoncé, JAY-Z - Déjà Vu": the video title's credit
    # names the channel's artist among others, and the two are one credit.
    credit = _artist_text(before)
    channel = _artist_text(pl.col("_a0"))
    repeats = (_clean(before) == _clean(pl.col("_a0"))) | (
        (channel != "")
        & pl.concat_str(pl.lit("|"), credit, pl.lit("|")).str.contains(
            pl.concat_str(pl.lit("|"), channel, pl.lit("|")), literal=True
        )
    )
    has_split = after.is_not_null()
    return steps.with_columns(
        _a0=pl.when(has_split & (no_artist | repeats)).then(before).otherwise(pl.col("_a0")),
        _core=pl.when(has_split & (no_artist | repeats)).then(after).otherwise(pl.col("_core")),
    )
