"""The bundled road-trip playlist (several formats) against the bundled catalogue."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import engine.formats as formats
from engine.frame import tracks_frame
from engine.matching import match, score_pairs

SAMPLES = Path(__file__).resolve().parents[2] / "engine" / "samples"
INVENTED = {"Kilometre Zero", "Café au lait (Demo)", "Dashboard Lights"}


@pytest.fixture(scope="module")
def catalog() -> pl.DataFrame:
    return formats.read(SAMPLES / "catalog.pif.json")


@pytest.fixture(scope="module")
def by_pif(catalog: pl.DataFrame) -> pl.DataFrame:
    source = formats.read(SAMPLES / "road-trip.pif.json")
    return match(source, catalog).with_columns(title=source["title"], isrc=source["isrc"])


def test_every_catalogued_track_is_auto_and_invented_ones_are_not(by_pif: pl.DataFrame) -> None:
    invented = by_pif.filter(pl.col("title").is_in(sorted(INVENTED)))
    assert invented.height == 3
    assert (invented["decision"] == "none").all()
    rest = by_pif.filter(~pl.col("title").is_in(sorted(INVENTED)))
    assert (rest["decision"] == "auto").all()


def test_matches_agree_with_the_isrcs(by_pif: pl.DataFrame, catalog: pl.DataFrame) -> None:
    checked = by_pif.filter(pl.col("isrc").is_not_null()).join(
        catalog.select(pl.col("id").alias("catalog_id"), pl.col("isrc").alias("catalog_isrc")),
        on="catalog_id",
    )
    assert checked.height >= 15
    assert (checked["isrc"] == checked["catalog_isrc"]).all()


@pytest.mark.parametrize("name", ["road-trip.m3u8", "road-trip.csv", "road-trip.xspf"])
def test_other_formats_pick_the_same_tracks(
    name: str, by_pif: pl.DataFrame, catalog: pl.DataFrame
) -> None:
    result = match(formats.read(SAMPLES / name), catalog)
    assert result["catalog_id"].to_list() == by_pif["catalog_id"].to_list()


def test_different_artist_and_title_is_not_worth_review() -> None:
    left = tracks_frame([{"title": "Dashboard Lights", "artists": ["Mile Marker 9"]}])
    right = tracks_frame([{"title": "Red Lights", "artists": ["Tiësto"]}])
    assert score_pairs(left, right)["decision"][0] == "none"
