"""The priority ladder: which rule decides a pair, and the tier it lands in.

Rungs, first that applies wins: ``curator`` (a person's decision for this source
track), ``isrc`` (equal ISRC; ties broken by the fuzzy score, which weighs album,
explicit flag and duration), ``exact`` (equal normalised title and primary
artist, equal strong version tags, duration within ``exact_duration_ms``),
``fuzzy`` (the model's probability cut by the two thresholds, with the hold-back
rules of ``scorer``), ``none``.
"""

from __future__ import annotations

import polars as pl

from engine.errors import DataError
from engine.matching.config import MatchConfig

RULES = ("curator", "isrc", "exact", "fuzzy", "none")
"""Ladder rungs in priority order; ``rule`` columns hold one of these."""
RULE_RANK = {rule: rank for rank, rule in enumerate(RULES)}
DECISIONS = ("auto", "review", "none")
NOT_AVAILABLE = "not available"
"""A curator's ``catalog_id`` saying the track does not exist on the target."""


def tier(score: pl.Expr, held: pl.Expr, ask: pl.Expr, config: MatchConfig) -> pl.Expr:
    """``auto`` / ``review`` / ``none`` from a probability; a pair with a hold-back
    reason (``held`` not empty) is at most ``review``, one to ``ask`` about (another
    version of the same song) at least ``review``."""
    return (
        pl.when((score >= config.auto_threshold) & (held == ""))
        .then(pl.lit("auto"))
        .when((score >= config.review_threshold) | ask)
        .then(pl.lit("review"))
        .otherwise(pl.lit("none"))
    )


def decide(scored: pl.DataFrame, config: MatchConfig) -> pl.DataFrame:
    """Add ``rule``, ``decision`` and ``rule_rank`` to scored pairs (rungs 2 to 5);
    ``scored`` needs ``score``, ``held``, ``ask``, ``isrc_equal`` and ``key_equal``."""
    fuzzy = tier(pl.col("score"), pl.col("held"), pl.col("ask"), config)
    return scored.with_columns(
        rule=pl.when(pl.col("isrc_equal"))
        .then(pl.lit("isrc"))
        .when(pl.col("key_equal"))
        .then(pl.lit("exact"))
        .when(fuzzy != "none")
        .then(pl.lit("fuzzy"))
        .otherwise(pl.lit("none")),
    ).with_columns(
        decision=pl.when(pl.col("rule").is_in(["isrc", "exact"]))
        .then(pl.lit("auto"))
        .otherwise(fuzzy),
        rule_rank=pl.col("rule").replace_strict(RULE_RANK, return_dtype=pl.UInt8),
    )


def curator_rules(rules: pl.DataFrame | None, catalog_provider: set[str]) -> pl.DataFrame:
    """The curator decisions that apply: ``source_id``, ``catalog_id`` (null = not available).

    ``rules`` needs ``source_id`` and ``catalog_id`` (an id, null or "not available");
    an optional ``provider`` column limits a rule to catalogues of that provider.
    """
    schema = {"source_id": pl.Utf8, "catalog_id": pl.Utf8}
    if rules is None or rules.is_empty():
        return pl.DataFrame(schema=schema)
    missing = {"source_id", "catalog_id"} - set(rules.columns)
    if missing:
        raise DataError(f"curator rules: missing column(s) {', '.join(sorted(missing))}")
    if "provider" in rules.columns and catalog_provider:
        rules = rules.filter(
            pl.col("provider").is_null() | pl.col("provider").is_in(sorted(catalog_provider))
        )
    return rules.select(
        pl.col("source_id").cast(pl.Utf8),
        pl.col("catalog_id").cast(pl.Utf8).replace(NOT_AVAILABLE, None),
    ).unique("source_id", keep="last", maintain_order=True)
