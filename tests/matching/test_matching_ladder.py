"""The ladder's order, the tiers, version safety, one-to-one and the result columns."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from engine.errors import DataError, UsageError
from engine.frame import tracks_frame
from engine.matching import (
    NOT_AVAILABLE,
    PART_COLUMNS,
    RESULT_COLUMNS,
    MatchConfig,
    match,
    score_pairs,
)

SONG: dict[str, Any] = {
    "title": "Mr. Brightside",
    "artists": ["The Killers"],
    "album": "Hot Fuss",
    "duration_ms": 222_000,
    "explicit": False,
}


def track(**changes: Any) -> dict[str, Any]:
    return {**SONG, **changes}


def pair(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return score_pairs(tracks_frame([left]), tracks_frame([right])).row(0, named=True)


def test_identical_records_are_auto() -> None:
    result = pair(track(), track())
    assert result["decision"] == "auto"
    # The score is the model's calibrated probability: near 1, never above.
    assert 0.99 <= result["score"] <= 1.0
    assert all(result[part] == 1.0 for part in PART_COLUMNS)
    assert "title identical" in result["explanation"] or "same title" in result["explanation"]


def test_score_pairs_columns_and_row_alignment() -> None:
    left = tracks_frame([track(), track(title="Somebody Told Me"), track()])
    right = tracks_frame([track(), track(), track(title="Human", duration_ms=245_000)])
    scored = score_pairs(left, right)
    assert scored.columns == ["score", "decision", "rule", *PART_COLUMNS, "explanation"]
    assert scored["decision"].to_list() == ["auto", "none", "none"]
    with pytest.raises(DataError):
        score_pairs(left, right.head(2))


@pytest.mark.parametrize(
    "version",
    [
        {"title": "Mr. Brightside (Live)", "duration_ms": 235_000},
        {"title": "Mr. Brightside - Live at Wembley", "duration_ms": 222_000},
        {"title": "Mr. Brightside (Karaoke Version)", "artists": ["Karaoke Hits"]},
        {"title": "Mr. Brightside (Karaoke Version)"},
        {"title": "Mr. Brightside [Instrumental]"},
        {"title": "Mr. Brightside (Acoustic)"},
        {"title": "Mr. Brightside (Sped Up)", "duration_ms": 180_000},
        {"title": "Mr. Brightside", "album": "Live from the Royal Albert Hall"},
        {"title": "Mr. Brightside", "album": "Sawdust (Live)"},
    ],
)
def test_other_versions_of_a_studio_track_are_never_auto(version: dict[str, Any]) -> None:
    assert pair(track(), track(**version))["decision"] != "auto"
    assert pair(track(**version), track())["decision"] != "auto"


def test_isrc_rung_beats_text() -> None:
    result = pair(track(isrc="USIR20400274"), track(title="Mr Brightside", isrc="usir20400274"))
    assert (result["rule"], result["decision"]) == ("isrc", "auto")


def test_exact_rung_needs_duration_within_tolerance() -> None:
    assert pair(track(), track(album="Direct Hits", duration_ms=224_000))["rule"] == "exact"
    assert pair(track(), track(duration_ms=260_000))["rule"] != "exact"


def test_tiers_follow_the_thresholds() -> None:
    config = MatchConfig()
    typo = pair(track(), track(title="Mr. Brightsde", album=None, explicit=None))
    assert typo["rule"] == "fuzzy"
    assert typo["score"] >= config.auto_threshold and typo["decision"] == "auto"
    longer = pair(track(), track(duration_ms=252_000))
    # Another edit: the model may find it likely, the duration rule holds it for review.
    assert longer["score"] >= config.review_threshold
    assert longer["decision"] == "review" and "durations differ" in longer["explanation"]
    other = pair(track(), track(title="When You Were Young"))
    assert other["score"] < config.review_threshold and other["decision"] == "none"


def test_numbers_and_missing_evidence_hold_back_auto() -> None:
    assert pair(track(title="Part II"), track(title="Part III"))["decision"] != "auto"
    bare = {"title": "Intro", "artists": []}
    assert pair(bare, bare)["decision"] == "review"


def test_config_is_validated() -> None:
    with pytest.raises(UsageError):
        MatchConfig(auto_threshold=0.5, review_threshold=0.6)
    with pytest.raises(UsageError):
        MatchConfig(auto_margin=1.5)
    with pytest.raises(UsageError):
        MatchConfig(duration_zero_ms=1000, duration_full_ms=2000)
    assert MatchConfig().with_(auto_threshold=0.9).auto_threshold == 0.9


CATALOG = [
    {
        "id": "c-live",
        "title": "Mr. Brightside (Live)",
        "artists": ["The Killers"],
        "duration_ms": 240_000,
        "isrc": "USLIVE000001",
    },
    {"id": "c-album", **{k: v for k, v in SONG.items()}, "isrc": "USIR20400274"},
    {
        "id": "c-comp",
        **{k: v for k, v in SONG.items()},
        "album": "Direct Hits",
        "isrc": "USIR20400274",
        "explicit": True,
    },
    {
        "id": "c-human",
        "title": "Human",
        "artists": ["The Killers"],
        "duration_ms": 245_000,
        "album": "Sam's Town",
    },
    {
        "id": "c-human2",
        "title": "Human",
        "artists": ["The Killers"],
        "duration_ms": 252_000,
        "album": "Day & Age",
    },
    {
        "id": "c-other",
        "title": "Sweet Disposition",
        "artists": ["The Temper Trap"],
        "duration_ms": 233_000,
    },
]


def catalog() -> pl.DataFrame:
    return tracks_frame(CATALOG)


def test_match_returns_one_row_per_source_with_stable_columns() -> None:
    source = tracks_frame(
        [
            {"id": "s1", **SONG, "isrc": "USIR20400274"},
            {"id": "s2", "title": "Human", "artists": ["The Killers"], "duration_ms": 245_500},
            {"id": "s3", "title": "Nothing Like It", "artists": ["Nobody"], "duration_ms": 1000},
        ]
    )
    result = match(source, catalog())
    assert result.columns == RESULT_COLUMNS
    assert result["source_id"].to_list() == ["s1", "s2", "s3"]
    first, second, third = result.iter_rows(named=True)
    # ISRC shared by two albums: the tie-break prefers the same album and explicit flag.
    assert (first["catalog_id"], first["rule"], first["decision"]) == ("c-album", "isrc", "auto")
    assert [a["catalog_id"] for a in first["alternatives"]][:1] == ["c-comp"]
    assert second["catalog_id"] == "c-human" and second["rule"] == "exact"
    assert "c-human2" in [a["catalog_id"] for a in second["alternatives"]]
    assert third["catalog_id"] is None and third["decision"] == "none"
    assert third["rule"] == "none"


def test_alternatives_are_sorted_and_bounded() -> None:
    source = tracks_frame([{"id": "s", "title": "Human", "artists": ["The Killers"]}])
    result = match(source, catalog(), top_k=1)
    alternatives = result["alternatives"][0].to_list()
    assert len(alternatives) == 1
    assert set(alternatives[0]) == {"catalog_id", "score", "decision", "rule"}
    none_kept = match(source, catalog(), top_k=0)["alternatives"][0].to_list()
    assert none_kept == []
    with pytest.raises(DataError):
        match(source, catalog(), top_k=-1)


def test_curator_rules_come_first() -> None:
    source = tracks_frame(
        [
            {"id": "s1", **SONG, "isrc": "USIR20400274"},
            {"id": "s2", "title": "Human", "artists": ["The Killers"]},
            {"id": "s3", "title": "Sweet Disposition", "artists": ["The Temper Trap"]},
        ]
    )
    rules = pl.DataFrame(
        {
            "source_id": ["s1", "s2", "s3"],
            "catalog_id": ["c-live", NOT_AVAILABLE, "c-missing"],
        }
    )
    result = match(source, catalog(), rules=rules)
    rows = {r["source_id"]: r for r in result.iter_rows(named=True)}
    assert (rows["s1"]["catalog_id"], rows["s1"]["rule"]) == ("c-live", "curator")
    assert rows["s1"]["decision"] == "auto"
    assert (rows["s2"]["catalog_id"], rows["s2"]["rule"]) == (None, "curator")
    assert rows["s2"]["decision"] == "none"
    # A rule naming a track this catalogue lacks does not apply.
    assert rows["s3"]["catalog_id"] == "c-other" and rows["s3"]["rule"] != "curator"


def test_curator_rules_filter_by_provider_and_need_columns() -> None:
    source = tracks_frame([{"id": "s1", **SONG}])
    cat = catalog().with_columns(provider=pl.lit("deezer"))
    rules = pl.DataFrame({"source_id": ["s1"], "catalog_id": ["c-live"], "provider": ["tidal"]})
    assert match(source, cat, rules=rules)["rule"][0] != "curator"
    with pytest.raises(DataError):
        match(source, cat, rules=pl.DataFrame({"source_id": ["s1"]}))


def test_one_to_one_assignment() -> None:
    source = tracks_frame(
        [
            {"id": "a", "title": "Human", "artists": ["The Killers"], "duration_ms": 245_000},
            {
                "id": "b",
                "title": "Human",
                "artists": ["The Killers"],
                "duration_ms": 252_000,
                "album": "Day & Age",
            },
        ]
    )
    plain = match(source, catalog())
    assert plain["catalog_id"].to_list() == ["c-human", "c-human2"]
    same = match(source.head(1).vstack(source.head(1).with_columns(id=pl.lit("b"))), catalog())
    assert same["catalog_id"].to_list() == ["c-human", "c-human"]
    paired = match(
        source.head(1).vstack(source.head(1).with_columns(id=pl.lit("b"))),
        catalog(),
        one_to_one=True,
    )
    assert sorted(paired["catalog_id"].to_list()) == ["c-human", "c-human2"]


def test_bad_ids_are_data_errors() -> None:
    dup = tracks_frame([{"id": "x", "title": "A"}, {"id": "x", "title": "B"}])
    with pytest.raises(DataError, match="unique"):
        match(dup, catalog())
    nulls = tracks_frame([{"title": "A"}]).with_columns(id=pl.lit(None, dtype=pl.Utf8))
    with pytest.raises(DataError, match="no id"):
        match(nulls, catalog())


def test_empty_inputs() -> None:
    empty = tracks_frame([])
    assert match(empty, catalog()).height == 0
    result = match(tracks_frame([{"id": "s", **SONG}]), empty)
    assert result.row(0, named=True)["decision"] == "none"
    assert result.columns == RESULT_COLUMNS
