"""The two public entry points: ``score_pairs`` (row i against row i) and ``match``."""

from __future__ import annotations

import numpy as np
import polars as pl

from engine.errors import DataError
from engine.matching.assign import one_to_one as assign_one_to_one
from engine.matching.blocking import PAIR_SCHEMA, candidate_pairs, key_pairs
from engine.matching.config import DEFAULT_CONFIG, MatchConfig
from engine.matching.features import quick_scores
from engine.matching.ladder import RULE_RANK, curator_rules
from engine.matching.normalize import normalize_frame
from engine.matching.scorer import explain_rows, score_candidates
from engine.matching.scoring import PART_COLUMNS, compact

RESULT_COLUMNS = [
    "source_id",
    "catalog_id",
    "score",
    "decision",
    "rule",
    *PART_COLUMNS,
    "explanation",
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


def _content_groups(frame: pl.DataFrame) -> pl.Series:
    """Rows of ``score_pairs``'s left side that are the same record share a group, so
    that rank and margin compare a source track's candidates with each other."""
    keys = frame.drop("id").select(pl.all().cast(pl.Utf8).fill_null("\x00"))
    return keys.select(pl.struct(pl.all()).rank("dense").cast(pl.UInt32) - 1).to_series()


def score_pairs(
    left: pl.DataFrame, right: pl.DataFrame, config: MatchConfig = DEFAULT_CONFIG
) -> pl.DataFrame:
    """Score row i of ``left`` against row i of ``right`` (canonical track frames).

    Returns ``score`` (the model's probability of the same recording),
    ``decision`` (auto/review/none), ``rule`` (isrc/exact/fuzzy/none), the
    ``part_*`` similarities and ``explanation``, one row per pair. Rows with the
    same left record are that record's candidates (for rank and margin); the right
    side is the catalogue that title and artist frequencies are counted in.

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
    rows = pl.int_range(rhs.height, dtype=pl.UInt32, eager=True)
    pairs = pl.DataFrame({"s": rows, "c": rows, "g": _content_groups(lhs)})
    scored = score_candidates(lhs, rhs, pairs, config)
    frame = scored.frame.with_columns(
        explanation=pl.Series(
            explain_rows(scored, np.arange(scored.frame.height), config), dtype=pl.Utf8
        )
    )
    return frame.select("score", "decision", "rule", *PART_COLUMNS, "explanation")


def _shortlist(
    src: pl.DataFrame, cat: pl.DataFrame, pairs: pl.DataFrame, config: MatchConfig
) -> pl.DataFrame:
    """Per source track, the ``max_candidates`` pairs with the best quick score over
    title and artist together, plus every ISRC-equal pair."""
    left, right = src[pairs["s"]], cat[pairs["c"]]
    quick = quick_scores(left, right)
    same_isrc = (left["isrc"] == right["isrc"]) & (left["isrc"] != "")
    ranked = pairs.with_columns(
        _quick=pl.Series(quick, dtype=pl.Float32), _isrc=same_isrc.fill_null(False)
    )
    top = ranked.sort("_quick", descending=True).group_by("s").head(config.max_candidates)
    return (
        pl.concat([top, ranked.filter(pl.col("_isrc"))]).select("s", "c").unique().cast(PAIR_SCHEMA)  # type: ignore[arg-type]
    )


def _settled(
    src: pl.DataFrame, cat: pl.DataFrame, pairs: pl.DataFrame, config: MatchConfig
) -> pl.Series:
    """Source rows that an ISRC or exact-key pair settles (ladder rungs 2 and 3)."""
    left, right = src[pairs["s"]], cat[pairs["c"]]
    isrc = (left["isrc"] == right["isrc"]) & (left["isrc"] != "")
    exact = (
        (left["n_title"] == right["n_title"])
        & (left["n_artist"] == right["n_artist"])
        & (left["n_title"] != "")
        & (left["tags_text"] == right["tags_text"])
        & ((left["n_duration"] - right["n_duration"]).abs() <= config.exact_duration_ms)
    )
    return pairs["s"].filter((isrc | exact).fill_null(False)).unique()


def candidates(
    src: pl.DataFrame,
    cat: pl.DataFrame,
    curated: pl.DataFrame,
    config: MatchConfig,
    *,
    settle_early: bool = True,
) -> pl.DataFrame:
    """Every ``(s, c)`` pair that reaches the model. Key pairs (ISRC, title + artist)
    and curated pairs come first; with ``settle_early`` the source tracks they
    settle skip the fuzzy blocking, which is where the work is."""
    first = pl.concat([key_pairs(src, cat), curated.drop_nulls().cast(PAIR_SCHEMA)]).unique()  # type: ignore[arg-type]
    settled = pl.concat([_settled(src, cat, first, config), curated["s"]]).unique()
    rows = None
    if settle_early:
        rows = pl.Series("s", range(src.height), dtype=pl.UInt32).filter(
            ~pl.Series(range(src.height)).is_in(settled.implode())
        )
        if rows.is_empty():
            return first
    fuzzy = _shortlist(src, cat, candidate_pairs(src, cat, config, rows), config)
    return pl.concat([first, fuzzy]).unique(maintain_order=True)


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

    pairs = candidates(src, cat, curated, config, settle_early=not one_to_one)
    scored = score_candidates(src, cat, pairs, config)
    ranked = scored.frame.with_row_index("_pos")
    ranked = ranked.join(curated.rename({"c": "_cur"}), on="s", how="left").with_columns(
        rule=pl.when(pl.col("c") == pl.col("_cur")).then(pl.lit("curator")).otherwise("rule"),
        decision=pl.when(pl.col("c") == pl.col("_cur")).then(pl.lit("auto")).otherwise("decision"),
    )
    ranked = ranked.with_columns(
        rule_rank=pl.col("rule").replace_strict(RULE_RANK, return_dtype=pl.UInt8)
    ).sort(["s", "rule_rank", "score", "c"], descending=[False, False, True, False])

    qualifying = ranked.filter(pl.col("rule") != "none")
    # Sources a curator marked "not available" take no catalogue track.
    unavailable = curated.filter(pl.col("c").is_null()).select("s")
    qualifying = qualifying.join(unavailable, on="s", how="anti")
    if one_to_one:
        chosen = assign_one_to_one(qualifying)
    else:
        chosen = qualifying.group_by("s", maintain_order=True).first()

    chosen = chosen.with_columns(
        explanation=pl.Series(
            explain_rows(scored, chosen["_pos"].to_numpy(), config), dtype=pl.Utf8
        )
    ).with_columns(
        explanation=pl.when(pl.col("rule") == "curator")
        .then(pl.lit("a curator's decision"))
        .otherwise("explanation")
    )
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
        pl.when(pl.col("_na"))
        .then(pl.lit("a curator marked it not available"))
        .otherwise(pl.col("explanation").fill_null(""))
        .alias("explanation"),
        pl.col("alternatives").fill_null(pl.lit([], dtype=ALTERNATIVE_TYPE)).cast(ALTERNATIVE_TYPE),
    )
