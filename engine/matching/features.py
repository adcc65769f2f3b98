"""The comparison vector of a candidate pair, the learned scorer's input.

``pair_features(left, right, parts, context)`` returns one row of ``FEATURES``
per pair: several rapidfuzz similarities per field, cross-field similarities for
records whose fields are shifted (artist inside the title, album in the artist
column), version-tag agreement, numbers in titles, the duration difference in
seconds (after unit detection in ``normalize``), ISRC, year, how common the title
and the artist are in this catalogue, and the candidate's rank and margin among
the source track's candidates. Missing knowledge is NaN, never a guess: the
model learns what an unknown field means.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from engine.matching.config import HARD_TAGS

FEATURES: tuple[str, ...] = (
    "title",
    "title_ratio",
    "title_token_set",
    "title_partial",
    "title_jaro",
    "artists",
    "artist_primary",
    "artist_token_set",
    "artist_in_title",
    "album",
    "all_text",
    "title_in_other_text",
    "version_equal",
    "version_hard_differs",
    "version_forgiven",
    "soft_equal",
    "numbers_equal",
    "duration_gap_s",
    "isrc",
    "year_gap",
    "explicit_equal",
    "title_frequency",
    "title_artist_count",
    "artist_frequency",
    "rank",
    "margin",
)
"""Model inputs, in the order the model file was trained with."""

NUMBER_MISMATCH = 0.75
"""The cross-field similarities are multiplied by this when the titles carry
different numbers ("Part II" is not found inside "Part III ...")."""

FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "title": (
        "title",
        "title_ratio",
        "title_token_set",
        "title_partial",
        "title_jaro",
        "numbers_equal",
    ),
    "artists": ("artists", "artist_primary", "artist_token_set", "artist_in_title"),
    "album": ("album",),
    "shifted fields": ("all_text", "title_in_other_text"),
    "version": ("version_equal", "version_hard_differs", "version_forgiven", "soft_equal"),
    "duration": ("duration_gap_s",),
    "isrc": ("isrc",),
    "year": ("year_gap",),
    "explicit": ("explicit_equal",),
    "how common": ("title_frequency", "title_artist_count", "artist_frequency"),
    "competition": ("rank", "margin"),
}
"""Features by the part of the decision a curator knows them as."""


def _sim(a: list[str], b: list[str], scorer: Any) -> np.ndarray:
    if not a:
        return np.zeros(0)
    out: np.ndarray = cpdist(a, b, scorer=scorer, workers=-1, dtype=np.float32)
    return out.astype(np.float64) / 100.0


def _known(values: np.ndarray, *masks: pl.Series) -> np.ndarray:
    unknown = np.zeros(len(values), dtype=bool)
    for mask in masks:
        unknown |= mask.fill_null(True).to_numpy()
    return np.where(unknown, np.nan, values)


def _equal_or_unknown(a: pl.Series, b: pl.Series) -> np.ndarray:
    """1.0 equal, 0.0 different, NaN when either side is empty or null."""
    known = (a.is_not_null() & b.is_not_null()).to_numpy()
    if a.dtype == pl.Utf8:
        known &= ((a != "") & (b != "")).fill_null(False).to_numpy()
    equal = (a == b).fill_null(False).to_numpy().astype(np.float64)
    return np.where(known, equal, np.nan)


def _hard_differs(left: pl.Series, right: pl.Series) -> np.ndarray:
    """A live, karaoke, cover (...) tag on one side only: another recording."""
    lt = left.str.split(" ")
    rt = right.str.split(" ")
    differing = pl.select(d=lt.list.set_symmetric_difference(rt))["d"]
    hard = differing.list.eval(pl.element().is_in(sorted(HARD_TAGS)).any()).list.first()
    return hard.fill_null(False).to_numpy().astype(np.float64)


def _artist_in_title(a: pl.DataFrame, b: pl.DataFrame) -> np.ndarray:
    """Whether ``b``'s primary artist appears, as whole words, in ``a``'s title."""
    frame = pl.DataFrame({"t": a["n_title"], "x": b["n_artist"]})
    hit = frame.select(
        (pl.col("x") != "")
        & pl.concat_str(pl.lit(" "), "t", pl.lit(" ")).str.contains(
            pl.concat_str(pl.lit(" "), "x", pl.lit(" ")), literal=True
        )
    ).to_series()
    return hit.fill_null(False).to_numpy().astype(bool)


def quick_scores(left: pl.DataFrame, right: pl.DataFrame) -> np.ndarray:
    """The shortlist's cheap score over title *and* artist (0..100): a title alone
    never decides which candidates reach the model. Pairs where a side lacks an
    artist compare all their text instead (the artist may sit in the title)."""
    la, ra = left["artists_text"], right["artists_text"]
    both = ((la != "") & (ra != "")).to_numpy()
    out = np.zeros(len(both), dtype=np.float32)
    fielded, texted = np.flatnonzero(both), np.flatnonzero(~both)
    if len(fielded):
        lf, rf = left[fielded], right[fielded]
        title = cpdist(
            lf["n_title"].to_list(),
            rf["n_title"].to_list(),
            scorer=fuzz.ratio,
            workers=-1,
            dtype=np.float32,
        )
        artist = cpdist(
            lf["artists_text"].to_list(),
            rf["artists_text"].to_list(),
            scorer=fuzz.token_set_ratio,
            workers=-1,
            dtype=np.float32,
        )
        out[fielded] = 0.6 * title + 0.4 * artist
    if len(texted):
        out[texted] = cpdist(
            left["all_text"].gather(texted).to_list(),
            right["all_text"].gather(texted).to_list(),
            scorer=fuzz.token_set_ratio,
            workers=-1,
            dtype=np.float32,
        )
    return out


def pair_features(
    left: pl.DataFrame, right: pl.DataFrame, parts: pl.DataFrame, context: pl.DataFrame
) -> np.ndarray:
    """The ``FEATURES`` matrix (float64, NaN = unknown) of ``left[i]`` against
    ``right[i]``; ``parts`` is ``score_parts`` of the same pairs and ``context``
    holds ``title_frequency``, ``title_artist_count``, ``artist_frequency``,
    ``rank`` and ``margin`` per pair."""
    lt, rt = left["n_title"].to_list(), right["n_title"].to_list()
    la, ra = left["artists_text"], right["artists_text"]
    no_artist = (la == "") | (ra == "")
    lal, ral = left["n_album"].fill_null(""), right["n_album"].fill_null("")
    # Looking for one title inside the other record's fields only makes sense when a
    # record carries other fields in its title or lacks them (dirty exports, videos).
    carrying = (left["overloaded"] | right["overloaded"]).fill_null(False).to_numpy()
    title_in_text = np.where(
        carrying,
        np.maximum(
            _sim(lt, right["all_text"].to_list(), fuzz.partial_ratio),
            _sim(left["all_text"].to_list(), rt, fuzz.partial_ratio),
        ),
        np.nan,
    )
    in_title = _artist_in_title(left, right) | _artist_in_title(right, left)
    numbers = _equal_or_unknown(left["numbers_text"], right["numbers_text"])
    numbers = np.where(
        (left["numbers_text"] == "").to_numpy() & (right["numbers_text"] == "").to_numpy(),
        np.nan,
        np.where(np.isnan(numbers), 0.0, numbers),
    )
    title_in_text = np.where(numbers == 0.0, title_in_text * NUMBER_MISMATCH, title_in_text)
    year_gap = (left["n_year"] - right["n_year"]).abs().cast(pl.Float64).to_numpy()
    columns = {
        "title": parts["part_title"].to_numpy(),
        "title_ratio": _sim(lt, rt, fuzz.ratio),
        "title_token_set": _sim(lt, rt, fuzz.token_set_ratio),
        "title_partial": _sim(lt, rt, fuzz.partial_ratio),
        "title_jaro": _sim(lt, rt, JaroWinkler.normalized_similarity) * 100.0,
        "artists": parts["part_artists"].to_numpy(),
        "artist_primary": _known(
            _sim(left["n_artist"].to_list(), right["n_artist"].to_list(), fuzz.ratio), no_artist
        ),
        "artist_token_set": _known(
            _sim(la.to_list(), ra.to_list(), fuzz.token_set_ratio), no_artist
        ),
        "artist_in_title": in_title.astype(np.float64),
        "album": _known(
            _sim(lal.to_list(), ral.to_list(), fuzz.token_set_ratio), (lal == "") | (ral == "")
        ),
        "all_text": np.where(numbers == 0.0, NUMBER_MISMATCH, 1.0)
        * _sim(left["all_text"].to_list(), right["all_text"].to_list(), fuzz.token_set_ratio),
        "title_in_other_text": title_in_text,
        "version_equal": (left["tags_text"] == right["tags_text"]).to_numpy().astype(np.float64),
        "version_hard_differs": _hard_differs(left["tags_text"], right["tags_text"]),
        "version_forgiven": parts["_forgiven"].to_numpy().astype(np.float64),
        "soft_equal": (left["soft_text"] == right["soft_text"]).to_numpy().astype(np.float64),
        "numbers_equal": numbers,
        "duration_gap_s": parts["_gap_s"].cast(pl.Float64).to_numpy(),
        "isrc": _equal_or_unknown(left["isrc"], right["isrc"]),
        "year_gap": year_gap,
        "explicit_equal": _equal_or_unknown(left["n_explicit"], right["n_explicit"]),
    }
    for name in ("title_frequency", "title_artist_count", "artist_frequency", "rank", "margin"):
        columns[name] = context[name].cast(pl.Float64).to_numpy()
    matrix = np.column_stack([np.asarray(columns[name], dtype=np.float64) for name in FEATURES])
    return matrix if len(matrix) else np.zeros((0, len(FEATURES)))


def catalogue_frequencies(catalog: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """How common each normalised title (rows, distinct primary artists) and each
    primary artist (rows) is in a compact catalogue frame."""
    titles = catalog.group_by("n_title").agg(
        pl.len().alias("title_rows"), pl.col("n_artist").n_unique().alias("title_artists")
    )
    artists = catalog.group_by("n_artist").agg(pl.len().alias("artist_rows"))
    return titles, artists


def pair_context(
    pairs: pl.DataFrame, source: pl.DataFrame, catalog: pl.DataFrame, quick: np.ndarray
) -> pl.DataFrame:
    """Frequency, rank and margin of each ``(s, c)`` pair (``s``/``c`` row indexes of
    compact ``source``/``catalog`` frames; ``quick`` is its ``quick_scores``).

    ``rank`` orders the source track's distinct (title, artist) candidates by quick
    score; ``margin`` is this pair's quick score minus the best one of another title
    or artist (positive for the leader; 100 when it has no rival).
    """
    titles, artists = catalogue_frequencies(catalog)
    cat_keys = catalog.select("n_title", "n_artist")[pairs["c"]]
    ranked = pl.concat([pairs.select("s", "c"), cat_keys], how="horizontal").with_columns(
        _q=pl.Series(quick, dtype=pl.Float64), _row=pl.int_range(pl.len())
    )
    # Rivals are candidates of *another* title or artist: the same recording on a
    # second album is no competition, however close it scores.
    keyed = ranked.group_by("s", "n_title", "n_artist").agg(pl.col("_q").max().alias("_kq"))
    keyed = keyed.with_columns(
        rank=pl.col("_kq").rank("ordinal", descending=True).over("s").cast(pl.Float64) - 1.0,
        _first=pl.col("_kq").max().over("s"),
        _second=pl.col("_kq").top_k(2).min().over("s"),
        _n=pl.len().over("s"),
    )
    ranked = ranked.join(
        keyed, on=["s", "n_title", "n_artist"], how="left", maintain_order="left"
    ).with_columns(
        margin=pl.when(pl.col("_n") == 1)
        .then(100.0)
        .when(pl.col("rank") == 0)
        .then(pl.col("_q") - pl.col("_second"))
        .otherwise(pl.col("_q") - pl.col("_first"))
    )
    return (
        ranked.join(titles, on="n_title", how="left", maintain_order="left")
        .join(artists, on="n_artist", how="left", maintain_order="left")
        .sort("_row")
        .select(
            pl.col("title_rows").fill_null(0).log1p().alias("title_frequency"),
            pl.col("title_artists").fill_null(0).alias("title_artist_count"),
            pl.col("artist_rows").fill_null(0).log1p().alias("artist_frequency"),
            pl.col("rank").clip(upper_bound=20.0),
            "margin",
        )
    )
