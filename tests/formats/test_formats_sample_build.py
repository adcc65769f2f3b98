"""The sample-catalogue builder (engine/samples/_build.py) on a small iTunes excerpt."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from formats_helpers import FIXTURES

import engine.formats as formats
from engine.samples import _build

ITUNES = FIXTURES / "itunes_sample.csv"


def test_clean_undoes_benchmark_tokenisation() -> None:
    assert _build.clean("Hemingway 's Whiskey") == "Hemingway's Whiskey"
    assert _build.clean("Play Hard ( feat . Ne-Yo & Akon ) [ Extended ]") == (
        "Play Hard (feat. Ne-Yo & Akon) [Extended]"
    )


def test_build_is_deterministic_and_realistic(tmp_path: Path) -> None:
    first = _build.build_catalog(ITUNES, size=30)
    assert first == _build.build_catalog(ITUNES, size=30)
    frame = formats.read(_write(tmp_path, first))
    assert frame.height == 30 + 20 + 45 + 18  # iTunes + hand-written + versions + compilations
    shared = frame.group_by("isrc").agg(pl.col("album").n_unique().alias("albums"))
    assert shared.filter(pl.col("albums") > 1).height >= 10
    assert frame["isrc"].str.contains(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$").all()


def test_main_writes_every_sample(tmp_path: Path) -> None:
    _build.main(ITUNES, out_dir=tmp_path, size=30)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "catalog.pif.json",
        "road-trip.csv",
        "road-trip.m3u8",
        "road-trip.pif.json",
        "road-trip.xspf",
    ]
    for name in names:
        assert formats.validate(tmp_path / name) == []
    assert (
        formats.read(tmp_path / "road-trip.csv")["title"]
        .is_in(["Kilometre Zero", "Café au lait (Demo)", "Dashboard Lights"])
        .sum()
        == 3
    )


def _write(tmp_path: Path, records: list[dict]) -> Path:
    from engine.frame import tracks_frame

    path = tmp_path / "c.pif.json"
    formats.write(tracks_frame(records), path)
    return path
