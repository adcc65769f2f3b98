"""Matcher v2: the learned scorer's rules, blocking that survives typos, the
explanations, training reproducibility and retraining from curator decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from engine.errors import UsageError
from engine.frame import tracks_frame
from engine.matching import match, score_pairs
from engine.matching.augment import candidate_groups
from engine.matching.model import load_model
from engine.matching.retrain import Decision, check_name, retrain
from engine.matching.training import fit, groups_set, train_records

FIXTURES = Path(__file__).parent.parent / "fixtures" / "matching"
SAMPLE = FIXTURES / "itunes_amazon_structured_sample.csv"

FIRST = ["Ada", "Bela", "Cato", "Dina", "Ezra", "Fenna", "Gil", "Hana", "Ivo", "Juno"]
LAST = ["Marsh", "Quill", "Rowan", "Stone", "Vale", "Wren", "Yates", "Zeller", "Brook", "Frost"]
WORDS = ["river", "gold", "ember", "silver", "morning", "harbour", "velvet", "northern", "paper"]


def crowd(title: str, count: int) -> list[dict[str, Any]]:
    """``title`` by ``count`` different artists, as a large catalogue holds it."""
    return [
        {
            "id": f"{title}-{i}",
            "title": title,
            "artists": [f"{FIRST[i % 10]} {LAST[(i // 10) % 10]} {i}"],
            "duration_ms": 180_000 + 1_000 * (i % 60),
        }
        for i in range(count)
    ]


def filler(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"f{i}",
            "title": f"{WORDS[i % 9].title()} {WORDS[(i * 5 + 2) % 9].title()} {i}",
            "artists": [f"{FIRST[i % 10]} {LAST[(i * 3) % 10]}"],
            "album": f"Album {i // 8}",
            "duration_ms": 150_000 + (i * 7919) % 150_000,
        }
        for i in range(count)
    ]


def test_common_title_by_an_unrelated_artist_is_never_auto() -> None:
    catalog = tracks_frame(crowd("Home", 300) + filler(200))
    source = tracks_frame(
        [{"id": "s", "title": "Home", "artists": ["Nobody Knowsme"], "duration_ms": 200_000}]
    )
    row = match(source, catalog).row(0, named=True)
    assert row["decision"] != "auto"
    # Even a single unrelated artist with the same title and length is not auto.
    one = score_pairs(
        tracks_frame([{"title": "Home", "artists": ["Nobody Knowsme"], "duration_ms": 200_000}]),
        tracks_frame([{"title": "Home", "artists": ["Ada Marsh 0"], "duration_ms": 200_000}]),
    ).row(0, named=True)
    assert one["decision"] != "auto"
    assert "artists disagree" in one["explanation"]


def test_common_title_by_the_right_artist_is_found_among_many() -> None:
    catalog = tracks_frame(
        [*crowd("Home", 300), {"id": "mine", "title": "Home", "artists": ["Edith Lane"]}]
    )
    source = tracks_frame([{"id": "s", "title": "Home", "artists": ["Edith Lane"]}])
    assert match(source, catalog)["catalog_id"][0] == "mine"


def test_a_double_typo_is_still_found() -> None:
    true = {
        "id": "true",
        "title": "Lantern Orchard",
        "artists": ["Odile Brandt"],
        "album": "Tides",
        "duration_ms": 231_000,
    }
    catalog = tracks_frame([true, *filler(3_000)])
    source = tracks_frame(
        [
            {
                "id": "s",
                "title": "Lantern Orhcard",  # swapped letters in the title...
                "artists": ["Odile Brant"],  # ...and a dropped one in the artist
                "duration_ms": 232_000,
            }
        ]
    )
    row = match(source, catalog).row(0, named=True)
    assert row["catalog_id"] == "true" and row["decision"] != "none"


def test_a_live_version_is_never_auto() -> None:
    catalog = tracks_frame(
        [
            {
                "id": "live",
                "title": "Velvet Harbour (Live at the Roundhouse)",
                "artists": ["Fenna Wren"],
                "duration_ms": 231_000,
            },
            *filler(50),
        ]
    )
    source = tracks_frame(
        [{"id": "s", "title": "Velvet Harbour", "artists": ["Fenna Wren"], "duration_ms": 231_000}]
    )
    row = match(source, catalog).row(0, named=True)
    assert row["catalog_id"] == "live" and row["decision"] == "review"
    assert "live" in row["explanation"]


def test_multi_artist_video_title_on_a_topic_channel_is_one_credit() -> None:
    catalog = tracks_frame(
        [
            {
                "id": "video",
                "title": "Beyoncé, JAY-Z - Déjà Vu",
                "artists": ["Beyoncé - Topic"],
                "duration_ms": 240_000,
                "provider": "youtube",
            },
            {
                "id": "other",
                "title": "Beyoncé - Halo",
                "artists": ["Beyoncé - Topic"],
                "duration_ms": 261_000,
                "provider": "youtube",
            },
        ]
    )
    source = tracks_frame(
        [
            {
                "id": "s",
                "title": "Déjà Vu",
                "artists": ["Beyoncé", "JAY-Z"],
                "duration_ms": 240_500,
            }
        ]
    )
    row = match(source, catalog).row(0, named=True)
    assert (row["catalog_id"], row["decision"]) == ("video", "auto")
    assert row["part_artists"] == 1.0


def test_explanations_name_how_common_a_title_is() -> None:
    catalog = tracks_frame(crowd("Intro", 40))
    source = tracks_frame([{"id": "s", "title": "Intro", "artists": ["Edith Lane"]}])
    row = match(source, catalog).row(0, named=True)
    assert row["decision"] != "auto"
    alternatives = match(source, catalog, top_k=3)["alternatives"][0].to_list()
    assert len(alternatives) == 3
    scored = score_pairs(
        tracks_frame([{"title": "Intro", "artists": ["Edith Lane"]}] * 40),
        catalog.drop("id"),
    )
    assert scored["explanation"].str.contains("artists disagree").all()


def test_the_model_is_loaded_once_and_ships_in_the_package() -> None:
    model = load_model()
    assert load_model() is model
    assert model.meta["rows"] > 1_000 and model.meta["seed"] == 14
    shipped = Path(__file__).parents[2] / "engine" / "matching" / "models" / "matcher-v1.json"
    assert shipped.stat().st_size < 1_000_000


def test_training_is_reproducible() -> None:
    data = groups_set(candidate_groups(train_records(SAMPLE), seed=3, per_record=1))
    first, second = fit(data, seed=3), fit(data, seed=3)
    assert first.booster.model_to_string() == second.booster.model_to_string()
    assert first.calibration == second.calibration
    assert 0 < first.probability(data.matrix[:5]).min() <= 1


def _decisions(wrong: bool, count: int = 60) -> list[Decision]:
    """Curator decisions on the sample's records: the true candidate (the same
    record, title upper-cased) beside a same-artist neighbour; a ``wrong`` curator
    picks the neighbour every time."""
    records = [r for r in train_records(SAMPLE) if r["title"] and r["artists"]]
    out = []
    for i in range(count):
        record, neighbour = records[i % len(records)], records[(i * 7 + 3) % len(records)]
        true = {**record, "id": "t", "title": str(record["title"]).upper()}
        other = {**neighbour, "id": "n", "artists": record["artists"]}
        out.append(Decision(dict(record), [true, other], "n" if wrong else "t"))
    return out


def test_retraining_refuses_a_worse_model() -> None:
    outcome = retrain(_decisions(wrong=True), load_model(), [SAMPLE], seed=5)
    assert not outcome.accepted
    assert "refused" in outcome.reason
    assert outcome.after[check_name(SAMPLE)]["f1"] < outcome.before[check_name(SAMPLE)]["f1"]


def test_retraining_on_sound_decisions_is_checked_and_kept() -> None:
    outcome = retrain(_decisions(wrong=False), load_model(), [SAMPLE], seed=5)
    assert outcome.accepted, outcome.reason
    assert outcome.after[check_name(SAMPLE)]["f1"] >= outcome.before[check_name(SAMPLE)]["f1"]
    assert outcome.model is not None and outcome.model.meta["curator_decisions"] > 0
    assert "held-back decisions" in outcome.after


def test_retraining_needs_enough_decisions() -> None:
    with pytest.raises(UsageError, match="at least"):
        retrain(_decisions(wrong=False, count=3), load_model(), [], seed=5)


def test_durations_in_seconds_are_detected() -> None:
    left = tracks_frame(
        [{"title": "Velvet Harbour", "artists": ["Fenna Wren"], "duration_ms": 231}]
    )
    right = tracks_frame(
        [{"title": "Velvet Harbour", "artists": ["Fenna Wren"], "duration_ms": 231_400}]
    )
    row = score_pairs(left, right).row(0, named=True)
    assert row["part_duration"] == 1.0 and row["rule"] == "exact"


def test_glued_year_and_track_number_are_not_the_title() -> None:
    source = tracks_frame(
        [
            {"id": "a", "title": "1994 - Paper Morning", "artists": ["Ivo Stone"]},
            {"id": "b", "title": "Paper Morning 07", "artists": ["Ivo Stone"]},
        ]
    )
    catalog = tracks_frame([{"id": "x", "title": "Paper Morning", "artists": ["Ivo Stone"]}])
    result = match(source, catalog)
    assert result["catalog_id"].to_list() == ["x", "x"]
    assert pl.Series(result["decision"]).eq("auto").all()
