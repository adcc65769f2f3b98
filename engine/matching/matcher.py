"""The two public entry points: ``score_pairs`` (row i against row i) and ``match``."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from engine.errors import DataError
from engine.matching.assign import one_to_one as assign_one_to_one
from engine.matching.blocking import PAIR_SCHEMA, candidate_pairs, key_pairs
from engine.matching.config import DEFAULT_CONFIG, MatchConfig
from engine.matching.ladder import RULE_RANK, curator_rules, decide
from engine.matching.normalize import normalize_frame
from engine.matching.scoring import PART_COLUMNS, compact, score_parts

RESULT_COLUMNS = [
    "source_id",
    "catalog_id",
    "score",
    "decision",
    "rule",
    *PART_COLUMNS,
    "alternatives",
]
"""Columns of ``match`` results, in order (stable: jobs and the app read them)."""

ALTERNATIVE_TYPE = pl.List(
    pl.Struct({"catalog_id": pl.Utf8, "score": pl.Float64, "decision": pl.Utf8, "rule": pl.Utf8})
)


def _catalog_providers(catalog: pl.DataFrame) -> list[str]:
    """The providers named in a catalogue's ``provider`` column."""
    if "provider" not in catalog.columns:
        return []
    return [str(p) for p in catalog["provider"].drop_nulls().unique().to_list()]


def _prepared(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    if "id" in frame.columns and frame["id"].null_count():
        raise DataError(f"{name}: {frame['id'].null_count()} track(s) have no id")
    prepared = compact(normalize_frame(frame))
    if prepared["id"].n_unique() != prepared.height:
        raise DataError(f"{name}: track ids must be unique within a frame")
    return prepared


def score_pairs(
    left: pl.DataFrame, right: pl.DataFrame, config: MatchConfig = DEFAULT_CONFIG
) -> pl.DataFrame:
    """Score row i of ``left`` against row i of ``right`` (canonical track frames).

    Returns ``score`` (0..1), ``decision`` (auto/review/none), ``rule``
    (isrc/exact/fuzzy/none) and the ``part_*`` columns, one row per pair.

    >>> from engine.frame import tracks_frame
    >>> a = tracks_frame([{"title": "Halo", "artists": ["Beyoncé"], "duration_ms": 261000}])
    >>> b = tracks_frame([{"title": "Halo (Live)", "artists": ["Beyonce"], "duration_ms": 262000}])
    >>> score_pairs(a, b)["decision"].to_list()  # a live version is never auto
    ['review']
    """
    if left.height != right.height:
        raise DataError(f"score_pairs: {left.height} left rows but {right.height} right rows")
    lhs = compact(normalize_frame(left))
    rhs = compact(normalize_frame(right))
    scored = decide(score_parts(lhs, rhs, config), config)
    return scored.select("score", "decision", "rule", *PART_COLUMNS)


def _shortlist(
    src: pl.DataFrame, cat: pl.DataFrame, pairs: pl.DataFrame, config: MatchConfig
) -> pl.DataFrame:
    """Per source track, the ``max_candidates`` pairs with the closest titles, plus
    every ISRC-equal pair: one cheap vectorised ratio instead of the full scoring."""
    quick = cpdist(
        src["n_title"].gather(pairs["s"]).to_list(),
        cat["n_title"].gather(pairs["c"]).to_list(),
        scorer=fuzz.ratio,
        workers=-1,
        dtype=np.uint8,
    )
    same_isrc = (src["isrc"].gather(pairs["s"]) == cat["isrc"].gather(pairs["c"])) & (
        src["isrc"].gather(pairs["s"]) != ""
    )
    ranked = pairs.with_columns(
        _quick=pl.Series(quick, dtype=pl.UInt8), _isrc=same_isrc.fill_null(False)
    )
    top = ranked.sort("_quick", descending=True).group_by("s").head(config.max_candidates)
    return (
        pl.concat([top, ranked.filter(pl.col("_isrc"))]).select("s", "c").unique().cast(PAIR_SCHEMA)  # type: ignore[arg-type]
    )


def _scored_candidates(
    src: pl.DataFrame, cat: pl.DataFrame, pairs: pl.DataFrame, config: MatchConfig
) -> pl.DataFrame:
    scored = score_parts(src[pairs["s"]], cat[pairs["c"]], config)
    return decide(pl.concat([pairs, scored], how="horizontal"), config)


def _ranked_pairs(
    src: pl.DataFrame,
    cat: pl.DataFrame,
    curated: pl.DataFrame,
    config: MatchConfig,
    *,
    settle_early: bool,
) -> pl.DataFrame:
    """Every scored candidate pair. Key pairs (ISRC, title + artist) and curated pairs
    are scored first; with ``settle_early`` the source tracks they settle skip the
    fuzzy blocking, which is where the work is."""
    first = pl.concat([key_pairs(src, cat), curated.drop_nulls().cast(PAIR_SCHEMA)]).unique()  # type: ignore[arg-type]
    ranked = _scored_candidates(src, cat, first, config)
    settled = pl.concat(
        [ranked.filter(pl.col("rule").is_in(["isrc", "exact"])).select("s"), curated.select("s")]
    )["s"].unique()
    rows = None
    if settle_early:
        rows = pl.Series("s", range(src.height), dtype=pl.UInt32).filter(
            ~pl.Series(range(src.height)).is_in(settled.implode())
        )
        if rows.is_empty():
            return ranked
    fuzzy = _shortlist(src, cat, candidate_pairs(src, cat, config, rows), config)
    fuzzy = fuzzy.join(first, on=["s", "c"], how="anti")
    return pl.concat([ranked, _scored_candidates(src, cat, fuzzy, config)])


def _curated_pairs(src: pl.DataFrame, cat: pl.DataFrame, rules: pl.DataFrame) -> pl.DataFrame:
    """Curator rules as (s, c) index pairs; ``c`` null for "not available"."""
    return (
        rules.join(_index(src, "source_id", "s"), on="source_id")
        .join(_index(cat, "catalog_id", "c"), on="catalog_id", how="left")
        # a rule naming a track missing from this catalogue does not apply
        .filter(pl.col("catalog_id").is_null() | pl.col("c").is_not_null())
        .select("s", "c")
    )


def _index(frame: pl.DataFrame, id_name: str, index_name: str) -> pl.DataFrame:
    return frame.select(
        pl.col("id").alias(id_name), pl.int_range(pl.len(), dtype=pl.UInt32).alias(index_name)
    )


def _alternatives(
    ranked: pl.DataFrame, chosen: pl.DataFrame, cat_index: pl.DataFrame, top_k: int
) -> pl.DataFrame:
    others = ranked.join(chosen.select("s", "c"), on=["s", "c"], how="anti")
    if top_k == 0:
        others = others.clear()
    return (
        others.filter(pl.col("score") > 0)
        .group_by("s", maintain_order=True)
        .head(top_k)
        .join(cat_index, on="c", how="left")
        .group_by("s", maintain_order=True)
        .agg(
            pl.struct(
                "catalog_id",
                pl.col("score").cast(pl.Float64),
                "decision",
                "rule",
            ).alias("alternatives")
        )
    )


def match(
    source: pl.DataFrame,
    catalog: pl.DataFrame,
    top_k: int = 5,
    config: MatchConfig = DEFAULT_CONFIG,
    rules: pl.DataFrame | None = None,
    one_to_one: bool = False,
) -> pl.DataFrame:
    """Match every source track against a catalogue; exactly one row per source track.

    Columns (stable): ``source_id``, ``catalog_id`` (null when nothing qualifies),
    ``score`` (0..1, of the chosen pair; of the best candidate when none qualifies),
    ``decision`` (auto/review/none), ``rule`` (curator/isrc/exact/fuzzy/none),
    ``part_title``, ``part_artists``, ``part_album``, ``part_duration``,
    ``part_version``, ``part_explicit`` (0..1, null where a side lacks the field or
    nothing was chosen) and ``alternatives`` (list of up to ``top_k`` other
    candidates: ``catalog_id``, ``score``, ``decision``, ``rule``; best first).
    ``rules``: curator decisions (``source_id``, ``catalog_id`` or null / "not
    available", optional ``provider``), applied first. ``one_to_one``:
    each catalogue track is used at most once (library against library).

    >>> from engine.frame import tracks_frame
    >>> song = {"title": "Yesterday", "artists": ["The Beatles"], "duration_ms": 125000}
    >>> s = tracks_frame([{**song, "id": "a"}])
    >>> c = tracks_frame([{**song, "id": "x", "title": "Yesterday - Remastered 2009"},
    ...                   {**song, "id": "y", "duration_ms": 127000}])
    >>> match(s, c).select("source_id", "catalog_id", "decision", "rule").row(0)
    ('a', 'y', 'auto', 'exact')
    """
    if top_k < 0:
        raise DataError(f"match: top_k must be >= 0, got {top_k}")
    src = _prepared(source, "source")
    cat = _prepared(catalog, "catalog")
    provider = set(_catalog_providers(catalog))
    curated = _curated_pairs(src, cat, curator_rules(rules, provider))

    ranked = _ranked_pairs(src, cat, curated, config, settle_early=not one_to_one)
    ranked = ranked.join(curated.rename({"c": "_cur"}), on="s", how="left").with_columns(
        rule=pl.when(pl.col("c") == pl.col("_cur")).then(pl.lit("curator")).otherwise("rule"),
        decision=pl.when(pl.col("c") == pl.col("_cur")).then(pl.lit("auto")).otherwise("decision"),
    )
    ranked = ranked.with_columns(
        rule_rank=pl.col("rule").replace_strict(RULE_RANK, return_dtype=pl.UInt8)
    ).sort(["s", "rule_rank", "score"], descending=[False, False, True])

    qualifying = ranked.filter(pl.col("rule") != "none")
    # Sources a curator marked "not available" take no catalogue track.
    unavailable = curated.filter(pl.col("c").is_null()).select("s")
    qualifying = qualifying.join(unavailable, on="s", how="anti")
    if one_to_one:
        chosen = assign_one_to_one(qualifying)
    else:
        chosen = qualifying.group_by("s", maintain_order=True).first()

    cat_index = _index(cat, "catalog_id", "c")
    alternatives = _alternatives(ranked, chosen, cat_index, top_k)
    best_unchosen = (
        ranked.join(chosen.select("s"), on="s", how="anti")
        .group_by("s")
        .agg(pl.col("score").max().alias("_best"))
    )
    result = (
        _index(src, "source_id", "s")
        .join(chosen, on="s", how="left")
        .join(cat_index, on="c", how="left")
        .join(best_unchosen, on="s", how="left")
        .join(alternatives, on="s", how="left")
        .join(unavailable.with_columns(_na=pl.lit(True)), on="s", how="left")
        .sort("s")
    )
    return result.select(
        "source_id",
        "catalog_id",
        pl.coalesce("score", "_best", pl.lit(0.0)).alias("score"),
        pl.when(pl.col("c").is_not_null())
        .then("decision")
        .otherwise(pl.lit("none"))
        .alias("decision"),
        pl.when(pl.col("c").is_not_null())
        .then("rule")
        .when(pl.col("_na"))
        .then(pl.lit("curator"))
        .otherwise(pl.lit("none"))
        .alias("rule"),
        *PART_COLUMNS,
        pl.col("alternatives").fill_null(pl.lit([], dtype=ALTERNATIVE_TYPE)).cast(ALTERNATIVE_TYPE),
    )
