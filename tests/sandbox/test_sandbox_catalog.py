"""Seeding the sandbox: catalogue files, provider ids kept or derived, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sandbox_helpers import catalogue_records

from engine.errors import DataError, NotFoundError, UsageError
from engine.sandbox import Sandbox
from engine.sandbox.catalog import catalog_from_records, derive_id, load_catalog

SAMPLE = Path(__file__).parents[2] / "engine" / "samples" / "catalog.pif.json"


def test_csv_catalogue_gets_deterministic_ids(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(
        "Title,Artist,Album,ISRC,duration_ms\n"
        "Yesterday,The Beatles,Help!,gbaye0601498,125000\n"
        "Something,The Beatles; Guest,Abbey Road,,182000\n",
        encoding="utf-8",
    )
    first, second = load_catalog(path), load_catalog(path)
    assert [t.ids for t in first.tracks] == [t.ids for t in second.tracks]
    yesterday = first.tracks[0]
    assert yesterday.isrc == "GBAYE0601498" and yesterday.duration_ms == 125_000
    assert first.tracks[1].artists == ("The Beatles", "Guest")
    assert len(yesterday.ids["spotify"]) == 22 and yesterday.ids["deezer"].isdigit()
    assert len(yesterday.ids["youtube"]) == 11
    assert first.track("spotify", yesterday.ids["spotify"]) is yesterday


def test_json_records_and_given_provider_ids(tmp_path: Path) -> None:
    path = tmp_path / "cat.json"
    path.write_text(
        json.dumps(
            {
                "tracks": [
                    {
                        "title": "A",
                        "artists": ["X"],
                        "isrc": "USAAA0000001",
                        "extras": {
                            "ids.deezer": "3135556",
                            "ids.spotify": "4iV5W9uYEdYUVa79Axb7Rh",
                        },
                    },
                    {
                        "title": "B",
                        "artists": ["Y"],
                        "provider": "tidal",
                        "provider_id": "75413016",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    assert catalog.tracks[0].ids["deezer"] == "3135556"
    assert catalog.tracks[0].ids["spotify"] == "4iV5W9uYEdYUVa79Axb7Rh"
    assert catalog.tracks[1].ids["tidal"] == "75413016"
    assert catalog.track("tidal", "75413016") is catalog.tracks[1]


def test_bundled_pif_sample_seeds_the_sandbox() -> None:
    sandbox = Sandbox.from_catalog(SAMPLE)
    assert len(sandbox.catalog) > 100
    with_ids = [t for t in sandbox.catalog.tracks if t.isrc]
    assert with_ids and all(sandbox.catalog.by_isrc("spotify", t.isrc or "") for t in with_ids)


def test_deezer_lists_some_recordings_twice() -> None:
    catalog = catalog_from_records(catalogue_records(200))
    doubles = [t for t in catalog.tracks if len(catalog.by_isrc("deezer", t.isrc or "")) == 2]
    assert 20 < len(doubles) < 100
    assert len(catalog.listing("deezer")) == 200 + len(doubles)
    assert len(catalog.listing("spotify")) == 200


def test_search_ranks_title_hits_first() -> None:
    catalog = catalog_from_records(catalogue_records(60))
    hits = catalog.search("spotify", "song 1")
    assert hits[0].title.startswith("Song 1")
    assert catalog.search("spotify", "   ") == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "not found"),
        ("empty.json", "[]", "no tracks"),
        ("broken.json", "{", "cannot read"),
        ("untitled.json", '[{"artists": ["x"]}]', "needs a title"),
        ("odd.json", '{"tracks": 3}', "expected a list"),
    ],
)
def test_bad_catalogues_are_named(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_catalog(path)


def test_python_control_api_validates(sandbox: Sandbox) -> None:
    with pytest.raises(UsageError):
        sandbox.issue_token("napster")
    with pytest.raises(NotFoundError):
        sandbox.seed_library("spotify", liked=["nope"])
    with pytest.raises(NotFoundError):
        sandbox.seed_playlist("deezer", "alice", "x", ["nope"])
    with pytest.raises(NotFoundError):
        sandbox.playlist_track_ids("tidal", "nope")
    assert derive_id("tidal", "a") == derive_id("tidal", "a") != derive_id("tidal", "b")
