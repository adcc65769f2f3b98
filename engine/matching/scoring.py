"""Named part scores of record pairs, computed in bulk with rapidfuzz on all cores.

``score_parts(left, right, config)`` takes two *compact* frames (see ``compact``)
aligned row by row and returns one row per pair with ``part_*`` columns (0..1, null
when a side does not know the field) and the ladder flags ``isrc_equal`` and
``key_equal``. The score itself is the learned model's (``engine.matching.model``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from engine.matching.config import MatchConfig
from engine.matching.normalize import title_numbers

PART_COLUMNS = [
    "part_title",
    "part_artists",
    "part_album",
    "part_duration",
    "part_version",
    "part_explicit",
]
"""The named parts every scored pair carries, in display order."""


def compact(normalized: pl.DataFrame) -> pl.DataFrame:
    """The flat columns the scorer reads, from a ``normalize_frame`` result.

    ``overloaded`` marks a record whose title seems to carry other fields (its
    artist, album or duration column is empty), as YouTube titles and dirty
    exports do; such titles are compared by their leading words too.
    """
    return normalized.select(
        pl.col("id"),
        pl.col("isrc").str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "").alias("isrc"),
        "n_title",
        "n_title_base",
        "n_head",
        pl.col("n_numbers").alias("numbers_text"),
        "n_artist",
        pl.col("n_artists").list.join(" ").alias("artists_text"),
        "n_album",
        pl.col("n_tags").alias("tags_text"),
        pl.col("n_soft").alias("soft_text"),
        "n_explicit",
        "n_duration",
        pl.col("release_date")
        .cast(pl.Utf8)
        .str.extract(r"((?:19|20)\d\d)", 1)
        .cast(pl.Int32, strict=False)
        .alias("n_year"),
        pl.concat_str(
            [
                pl.col("n_title"),
                pl.col("n_artists").list.join(" "),
                pl.col("n_album").fill_null(""),
            ],
            separator=" ",
        )
        .str.strip_chars()
        .alias("all_text"),
        (
            (pl.col("artists").list.len() == 0)
            | pl.col("duration_ms").is_null()
            | (pl.col("n_head") != pl.col("n_title"))
            | (
                pl.col("album").fill_null("").str.strip_chars().eq("")
                & (pl.col("n_title").str.count_matches(" ") >= 4)
            )
        ).alias("overloaded"),
    )


def _ratio(a: list[str], b: list[str], scorer: Any) -> np.ndarray:
    if not a:
        return np.zeros(0)
    out: np.ndarray = cpdist(a, b, scorer=scorer, workers=-1, dtype=np.float32)
    return out.astype(np.float64) / 100.0


def _prefix_ratio(long: str, short: str) -> float:
    """Similarity of ``short`` to the best-aligned run of leading words of ``long``."""
    long_words, short_words = long.split(), short.split()
    if not short_words or len(long_words) <= len(short_words):
        return 0.0
    best = 0.0
    n = len(short_words)
    for k in range(max(1, n - 1), min(len(long_words), n + 2) + 1):
        best = max(best, fuzz.ratio(" ".join(long_words[:k]), short) / 100.0)
    return best


def _contains(text: str, needle: str) -> bool:
    return bool(needle) and f" {needle} " in f" {text} "


def _cut(title: str, markers: list[str]) -> str:
    """``title`` up to the first later occurrence of another field's value."""
    padded = f" {title} "
    end = len(padded)
    for marker in markers:
        if marker:
            at = padded.find(f" {marker} ", 1)
            if 0 < at < end:
                end = at
    return padded[:end].strip() or title


def _common_head(a: str, b: str) -> str:
    """The leading words two titles share."""
    common = []
    for word_a, word_b in zip(a.split(), b.split(), strict=False):
        if word_a != word_b:
            break
        common.append(word_a)
    return " ".join(common)


def _dirty_title(a: str, b: str, markers: list[str], config: MatchConfig) -> float:
    """Title similarity when a title may carry artist, album and other data after it."""
    a, b = _cut(a, markers), _cut(b, markers)
    best = max(fuzz.ratio(a, b) / 100.0, _prefix_ratio(a, b), _prefix_ratio(b, a))
    if len(_common_head(a, b)) >= config.dirty_prefix_chars:
        best = max(best, config.dirty_prefix_score / config.dirty_title_factor)
    head_a, head_b = " ".join(a.split()[:6]), " ".join(b.split()[:6])
    if _numbered(title_numbers(head_a)) != _numbered(title_numbers(head_b)):
        best *= config.number_mismatch_factor
    return best


def _numbered(numbers: list[str]) -> list[str]:
    """Numbers naming a part or volume (years and prices in carried data are not)."""
    return [n for n in numbers if " " in n]


def _dirty_parts(
    left: pl.DataFrame,
    right: pl.DataFrame,
    title: np.ndarray,
    artists: np.ndarray,
    album: np.ndarray,
    config: MatchConfig,
) -> None:
    """Pairs where a title carries other fields: find them inside the title instead."""
    words_l = left["n_title"].str.count_matches(" ").to_numpy()
    words_r = right["n_title"].str.count_matches(" ").to_numpy()
    over_l, over_r = left["overloaded"].to_numpy(), right["overloaded"].to_numpy()
    # A title two or more words longer than the other may carry its album, glued on.
    carrying = (np.abs(words_l - words_r) >= 2) | (over_l & over_r)
    no_artist = ((left["artists_text"] == "") | (right["artists_text"] == "")).to_numpy()
    rows = np.flatnonzero(carrying | no_artist)
    if rows.size == 0:
        return
    lt, rt = left["n_title"].to_list(), right["n_title"].to_list()
    lh, rh = left["n_head"].to_list(), right["n_head"].to_list()
    la, ra = left["artists_text"].to_list(), right["artists_text"].to_list()
    lal, ral = left["n_album"].to_list(), right["n_album"].to_list()
    lart, rart = left["n_artist"].to_list(), right["n_artist"].to_list()
    for i in rows:
        a_title, b_title = lt[i], rt[i]
        markers = [lart[i], rart[i], lal[i], ral[i]]
        dirty = _dirty_title(lh[i], rh[i], markers, config)
        title[i] = max(title[i], dirty * config.dirty_title_factor)
        if np.isnan(artists[i]) or artists[i] < 0.9:
            if _contains(a_title, rart[i]) or _contains(b_title, lart[i]):
                artists[i] = 1.0
            elif not la[i] or not ra[i]:
                artists[i] = np.nan
        if np.isnan(album[i]) and (_contains(a_title, ral[i]) or _contains(b_title, lal[i])):
            album[i] = 1.0


def _forgiven_tags(left: pl.Series, right: pl.Series, config: MatchConfig) -> np.ndarray:
    """Pairs whose differing strong tags all belong to ``config.same_length_tags``."""
    lt = left.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    rt = right.str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    differing = pl.select(d=lt.list.set_symmetric_difference(rt))["d"]
    allowed = sorted(config.same_length_tags)
    forgiven = differing.list.eval(pl.element().is_in(allowed).all()).list.first()
    return forgiven.fill_null(False).to_numpy().astype(bool)


def score_parts(left: pl.DataFrame, right: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Named part similarities of ``left[i]`` against ``right[i]`` and the ladder flags;
    ``_forgiven`` (differing strong tags one store often drops, same length) and
    ``_gap_s`` (duration difference in seconds) feed the learned scorer."""
    lt, rt = left["n_title"].to_list(), right["n_title"].to_list()
    title = np.maximum(
        _ratio(lt, rt, fuzz.ratio),
        config.base_title_factor
        * _ratio(left["n_title_base"].to_list(), right["n_title_base"].to_list(), fuzz.ratio),
    )
    numbers_differ = (left["numbers_text"] != right["numbers_text"]).fill_null(False).to_numpy()
    title = np.where(numbers_differ, title * config.number_mismatch_factor, title)
    la, ra = left["artists_text"].fill_null(""), right["artists_text"].fill_null("")
    artists = np.maximum(
        _ratio(la.to_list(), ra.to_list(), fuzz.token_set_ratio),
        _ratio(left["n_artist"].to_list(), right["n_artist"].to_list(), fuzz.ratio),
    )
    artists[((la == "") | (ra == "")).to_numpy()] = np.nan
    lal, ral = left["n_album"].fill_null(""), right["n_album"].fill_null("")
    album = _ratio(lal.to_list(), ral.to_list(), fuzz.token_set_ratio)
    album[((lal == "") | (ral == "")).to_numpy()] = np.nan
    _dirty_parts(left, right, title, artists, album, config)

    gap = (left["n_duration"] - right["n_duration"]).abs().cast(pl.Float64).to_numpy()
    span = config.duration_zero_ms - config.duration_full_ms
    duration = np.clip(1.0 - (gap - config.duration_full_ms) / span, 0.0, 1.0)

    strong_equal = (left["tags_text"] == right["tags_text"]).to_numpy()
    soft_equal = (left["soft_text"] == right["soft_text"]).to_numpy()
    version = np.where(strong_equal, np.where(soft_equal, 1.0, 0.5), 0.0)
    explicit = (left["n_explicit"] == right["n_explicit"]).cast(pl.Float64).to_numpy()

    forgiven = _forgiven_tags(left["tags_text"], right["tags_text"], config) & (
        gap <= config.duration_full_ms
    )
    gap_s = np.where(np.isnan(gap), np.nan, gap / 1000.0)

    isrc_l, isrc_r = left["isrc"], right["isrc"]
    return pl.DataFrame(
        {
            "part_title": np.round(title, 4),
            "part_artists": np.round(artists, 4),
            "part_album": np.round(album, 4),
            "part_duration": np.round(duration, 4),
            "part_version": version,
            "part_explicit": explicit,
            "_forgiven": forgiven,
            "_gap_s": gap_s,
        },
        nan_to_null=True,
    ).with_columns(
        isrc_equal=((isrc_l == isrc_r) & (isrc_l != "")).fill_null(False),
        key_equal=(
            (left["n_title"] == right["n_title"])
            & (left["n_artist"] == right["n_artist"])
            & (left["n_title"] != "")
            & pl.Series(strong_equal)
            & pl.Series(gap <= config.exact_duration_ms)
        ).fill_null(False),
    )
