"""The bundled samples (package data) and the demo script, plus docs coverage."""

from __future__ import annotations

import runpy
from pathlib import Path

import polars as pl
import pytest

import engine.formats as formats
from engine.errors import NotFoundError
from engine.samples import CATALOG, PLAYLISTS, sample_path

ROOT = Path(__file__).resolve().parents[2]


def test_catalogue_is_valid_and_realistic() -> None:
    path = sample_path(CATALOG)
    assert formats.validate(path) == []
    catalog = formats.read(path)
    assert 300 <= catalog.height <= 500
    assert catalog["id"].n_unique() == catalog.height
    assert catalog["isrc"].null_count() == 0
    assert catalog["duration_ms"].null_count() == 0
    assert catalog["explicit"].sum() > 10
    ids = formats.provider_ids(catalog)
    per_provider = dict(ids.group_by("provider").len().iter_rows())
    assert set(per_provider) == {"spotify", "deezer", "tidal", "youtube"}
    assert per_provider["spotify"] == catalog.height
    assert per_provider["youtube"] < catalog.height  # some recordings are not on YouTube
    assert ids.filter(pl.col("provider") == "deezer")["provider_id"].n_unique() == catalog.height
    # the same recording (ISRC) on several albums
    shared = catalog.group_by("isrc").agg(pl.col("album").n_unique().alias("albums"))
    assert shared.filter(pl.col("albums") > 1).height >= 10
    # live / remaster / remix versions beside studio versions
    versions = catalog.filter(pl.col("title").str.contains(r" - (Live|Remastered|Extended)"))
    assert versions.height >= 15
    text = pl.col("title") + " " + pl.col("artists").list.join(" ")
    assert catalog.filter(text.str.contains(r"[^\x00-\x7f]")).height >= 10  # accents


@pytest.mark.parametrize("name", PLAYLISTS)
def test_sample_playlists_draw_from_the_catalogue(name: str) -> None:
    playlist = formats.read(sample_path(name))
    catalog = formats.read(sample_path(CATALOG))
    assert formats.validate(sample_path(name)) == []
    titles = set(catalog["title"].to_list())
    missing = [t for t in playlist["title"].to_list() if t not in titles]
    assert sorted(missing) == ["Café au lait (Demo)", "Dashboard Lights", "Kilometre Zero"]
    assert playlist["artists"].list.len().max() >= 2  # feat. artists


def test_unknown_sample_name() -> None:
    with pytest.raises(NotFoundError):
        sample_path("nope.csv")


def test_demo_format_tour_converts_and_inspects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.console import Console

    demo = runpy.run_path(str(ROOT / "scripts" / "demo.py"))
    out_dir = tmp_path / "demo-output"
    assert demo["formats_demo"](out_dir, Console(width=120)) == 0
    assert "road-trip-from-xspf.pif.json" in capsys.readouterr().out
    written = sorted(p.name for p in out_dir.iterdir())
    assert len(written) == len(PLAYLISTS) * 5
    assert all(formats.read(out_dir / n).height == 27 for n in written)


def test_every_format_is_documented() -> None:
    guide = (ROOT / "docs" / "formats.md").read_text("utf-8")
    for name in formats.FORMATS:
        assert f"| `{name}` |" in guide, name
