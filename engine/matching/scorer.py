"""Candidate pairs in, decided pairs out: parts, features, the model's probability,
the rules that hold a pair back from ``auto``, and the ladder.

``score_candidates`` is the one path every surface scores through (``match``,
``score_pairs``, training and evaluation), so that a model is trained on exactly
the features it is later asked about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from engine.matching.config import MatchConfig
from engine.matching.explain import explanations
from engine.matching.features import FEATURES, pair_context, pair_features, quick_scores
from engine.matching.ladder import decide
from engine.matching.model import MatcherModel, load_model
from engine.matching.scoring import score_parts


@dataclass(frozen=True)
class Scored:
    """Decided pairs (``s``, ``c``, parts, ``score``, ``rule``, ``decision``,
    ``held``) and the feature matrix of the same rows."""

    frame: pl.DataFrame
    matrix: np.ndarray


def feature_matrix(
    src: pl.DataFrame, cat: pl.DataFrame, pairs: pl.DataFrame, config: MatchConfig
) -> tuple[pl.DataFrame, np.ndarray]:
    """``score_parts`` and the ``FEATURES`` matrix of ``(s, c)`` index pairs of two
    compact frames, ``cat`` being the whole catalogue the frequencies come from. An
    optional ``g`` column groups the pairs whose rank and margin are compared
    (default: ``s``, the source track's candidates)."""
    left, right = src[pairs["s"]], cat[pairs["c"]]
    parts = score_parts(left, right, config)
    quick = quick_scores(left, right)
    context = pair_context(_grouped(pairs), src, cat, quick)
    return parts, pair_features(left, right, parts, context)


def _grouped(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` with ``s`` replaced by the comparison group ``g`` when there is one."""
    return pairs.select(pl.col("g").alias("s"), "c") if "g" in pairs.columns else pairs


def _best_title(matrix: np.ndarray) -> np.ndarray:
    """The title part (numbers and carried fields considered) or, for a record whose
    title carries other fields, the title found inside the other record's fields."""
    if not len(matrix):
        return np.zeros(0)
    names = ("title", "title_in_other_text")
    return np.nanmax(matrix[:, [FEATURES.index(n) for n in names]], axis=1)


def _held_reasons(frame: pl.DataFrame, config: MatchConfig) -> pl.Expr:
    """Why a pair may not be ``auto`` whatever its probability (empty: it may)."""
    artists_disagree = (
        pl.col("part_artists").is_not_null()
        & (pl.col("part_artists") < config.artist_gate)
        & ~pl.col("isrc_equal")
    )
    title_only = (
        pl.col("part_artists").is_null()
        & pl.col("part_album").is_null()
        & pl.col("part_duration").is_null()
    )
    return (
        pl.when(pl.col("_hard_version") & ~pl.col("isrc_equal"))
        .then(pl.lit("held: a live, karaoke or cover version is never matched to a studio one"))
        .when(artists_disagree)
        .then(pl.lit("held: the artists disagree and no ISRC confirms it"))
        .when(title_only)
        .then(pl.lit("held: nothing but the title to compare"))
        .when(pl.col("_title_best") < config.title_auto_min)
        .then(pl.lit("held: the titles differ"))
        .when(pl.col("_gap_s").fill_null(0.0) * 1000 >= config.duration_zero_ms)
        .then(pl.lit("held: the durations differ (another edit?)"))
        .when(
            (pl.col("score") >= config.auto_threshold)
            & (pl.col("score") - pl.col("_rival") < config.auto_margin)
        )
        .then(pl.lit("held: the runner-up is nearly as good"))
        .otherwise(pl.lit(""))
    )


def score_candidates(
    src: pl.DataFrame,
    cat: pl.DataFrame,
    pairs: pl.DataFrame,
    config: MatchConfig,
    model: MatcherModel | None = None,
) -> Scored:
    """Score and decide ``(s, c)`` pairs of compact frames (see ``scoring.compact``)."""
    model = model or load_model(config.model_path)
    parts, matrix = feature_matrix(src, cat, pairs, config)
    probability = np.round(model.probability(matrix), 4)
    hard = matrix[:, FEATURES.index("version_hard_differs")] > 0 if len(matrix) else np.zeros(0)
    # Rivals: candidates of another title (one title is not the other's leading words:
    # a title carrying other fields differs in what it carries) or another artist.
    heads = cat.select(pl.col("n_head").alias("n_title"), "n_artist")[pairs["c"]]
    frame = pl.concat([pairs.select("s", "c"), parts, heads], how="horizontal").with_columns(
        _g=_grouped(pairs)["s"],
        score=pl.Series(probability, dtype=pl.Float64),
        _hard_version=pl.Series(hard, dtype=pl.Boolean),
        _title_best=pl.Series(_best_title(matrix), dtype=pl.Float64),
    )
    # The best probability among the source track's candidates of another title or
    # artist: the same recording on another album is no rival.
    keys = ["_g", "n_title", "n_artist"]
    best_per_key = frame.group_by(keys).agg(pl.col("score").max().alias("_k"))
    rivals = best_per_key.join(best_per_key, on="_g", suffix="_o").filter(
        ~(
            (pl.col("n_title") + " ").str.starts_with(pl.col("n_title_o") + " ")
            | (pl.col("n_title_o") + " ").str.starts_with(pl.col("n_title") + " ")
        )
        | (
            (pl.col("n_artist") != pl.col("n_artist_o"))
            & (pl.col("n_artist") != "")
            & (pl.col("n_artist_o") != "")
        )
    )
    rival = rivals.group_by(keys).agg(pl.col("_k_o").max().alias("_rival"))
    frame = frame.join(rival, on=keys, how="left", maintain_order="left").with_columns(
        pl.col("_rival").fill_null(0.0)
    )
    frame = frame.with_columns(
        held=_held_reasons(frame, config),
        # Another version of the same song (live, acoustic...) is the curator's call.
        ask=pl.col("_hard_version")
        & (pl.col("_title_best") >= config.title_auto_min)
        & pl.col("part_artists").fill_null(1.0).ge(config.artist_gate),
    ).with_columns(
        # A different title is not worth a curator's time either.
        score=pl.when(pl.col("_title_best") < config.title_review_min)
        .then(pl.min_horizontal("score", pl.lit(config.review_threshold / 2)))
        .otherwise("score")
    )
    decided = decide(frame, config).drop(
        "n_title", "n_artist", "_g", "_hard_version", "_rival", "_title_best"
    )
    return Scored(decided, matrix)


def _rung_text(frame: pl.DataFrame) -> list[str]:
    """ISRC and exact-key decisions: the rung decided, the parts say how close."""
    gap = frame["_gap_s"].cast(pl.Float64)
    text = frame.select(
        pl.concat_str(
            [
                pl.when(pl.col("rule") == "isrc")
                .then(pl.lit("same ISRC"))
                .otherwise(pl.lit("same title, artist and version")),
                pl.when(pl.col("rule") == "isrc")
                .then(
                    pl.when(pl.col("part_title") >= 0.999)
                    .then(pl.lit("; title identical"))
                    .otherwise(pl.lit("; titles differ in writing"))
                )
                .otherwise(pl.lit("")),
                pl.when(gap.is_null())
                .then(pl.lit("; duration unknown on one side"))
                .otherwise(
                    pl.lit("; durations ")
                    + gap.round(0).cast(pl.Int64).clip(lower_bound=1).cast(pl.Utf8)
                    + pl.lit(" s apart")
                ),
            ]
        )
    )
    return text.to_series().to_list()


def explain_rows(
    scored: Scored, rows: np.ndarray, config: MatchConfig, model: MatcherModel | None = None
) -> list[str]:
    """Explanations of some rows of ``scored`` (row positions): the rung and the
    parts for ISRC/exact decisions (the rung decided, not the model), the model's
    strongest contributions (TreeSHAP, the costly part) for the others only."""
    model = model or load_model(config.model_path)
    frame = scored.frame[rows]
    by_rung = frame["rule"].is_in(["isrc", "exact"]).to_numpy()
    out = np.array(_rung_text(frame), dtype=object)
    learned = np.flatnonzero(~by_rung)
    if len(learned):
        matrix = scored.matrix[rows[learned]]
        held = frame["held"].gather(learned).to_list()
        out[learned] = explanations(matrix, model.contributions(matrix), held)
    return [str(t) for t in out]
