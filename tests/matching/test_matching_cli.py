"""``crossfade match SOURCE CATALOG --out OUT``."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import engine.formats as formats
from engine.cli import main
from engine.frame import tracks_frame
from engine.matching import RESULT_COLUMNS

CATALOG = [
    {
        "id": "c1",
        "title": "Yellow",
        "artists": ["Coldplay"],
        "album": "Parachutes",
        "duration_ms": 266_000,
        "isrc": "GBAYE0000351",
    },
    {
        "id": "c2",
        "title": "Yellow (Live in Buenos Aires)",
        "artists": ["Coldplay"],
        "duration_ms": 290_000,
    },
    {"id": "c3", "title": "Clocks", "artists": ["Coldplay"], "duration_ms": 307_000},
    {"id": "c4", "title": "Creep", "artists": ["Radiohead"], "duration_ms": 238_000},
]
SOURCE = [
    {"title": "Coldplay - Yellow (Official Video)", "artists": [], "duration_ms": 269_000},
    {"title": "Clocks", "artists": ["Coldplay"], "duration_ms": 307_500},
    {"title": "Karma Police", "artists": ["Radiohead"], "duration_ms": 264_000},
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    source, catalog = tmp_path / "source.csv", tmp_path / "catalog.pif.json"
    formats.write(tracks_frame(SOURCE), source)
    formats.write(tracks_frame(CATALOG), catalog)
    return source, catalog


def test_match_to_csv_prints_tiers(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.csv"
    assert main(["match", str(files[0]), str(files[1]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "matched 3 source tracks" in printed and "auto" in printed and "rules:" in printed
    result = pl.read_csv(out, infer_schema_length=0)
    assert result.columns == RESULT_COLUMNS
    catalog_ids = {
        title: cid
        for title, cid in zip(
            [s["title"] for s in SOURCE], result["catalog_id"].to_list(), strict=True
        )
    }
    assert catalog_ids["Clocks"] == "c3"
    assert result["decision"].to_list()[:2] == ["auto", "auto"]
    assert result["decision"][2] == "none"
    alternatives = json.loads(result["alternatives"][0])
    assert [a["catalog_id"] for a in alternatives] == ["c2"]  # the live Yellow, runner-up
    assert all(set(a) == {"catalog_id", "score", "decision", "rule"} for a in alternatives)


def test_match_to_parquet_with_rules_and_one_to_one(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    source_ids = formats.read(files[0])["id"].to_list()
    rules = tmp_path / "rules.csv"
    pl.DataFrame({"source_id": [source_ids[2]], "catalog_id": ["c4"]}).write_csv(rules)
    out = tmp_path / "result.parquet"
    argv = [
        "match",
        str(files[0]),
        str(files[1]),
        "-o",
        str(out),
        "--rules",
        str(rules),
        "--one-to-one",
        "--top-k",
        "1",
    ]
    assert main(argv) == 0
    result = pl.read_parquet(out)
    assert result.columns == RESULT_COLUMNS
    assert result.row(2, named=True)["catalog_id"] == "c4"
    assert result.row(2, named=True)["rule"] == "curator"
    assert result["alternatives"].list.len().max() <= 1  # type: ignore[operator]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "xlsx"], "csv or parquet"),
        (["--rules", "nowhere.csv"], "does not exist"),
    ],
)
def test_match_usage_errors(
    files: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "result.csv"
    assert main(["match", str(files[0]), str(files[1]), "--out", str(out), *extra]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_match_missing_input_and_bad_rules(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.csv"
    assert main(["match", str(tmp_path / "none.csv"), str(files[1]), "--out", str(out)]) == 1
    assert "does not exist" in capsys.readouterr().err
    rules = tmp_path / "rules.csv"
    rules.write_text("source,target\na,b\n")
    assert main(["match", *map(str, files), "--out", str(out), "--rules", str(rules)]) == 1
    assert "source_id" in capsys.readouterr().err


def test_existing_output_survives_a_failed_run(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    out.write_text("keep me")
    bad = tmp_path / "bad.pif.json"
    bad.write_text("{not json")
    assert main(["match", str(bad), str(files[1]), "--out", str(out)]) == 1
    assert out.read_text() == "keep me"


def test_match_takes_a_model_file(tmp_path: Path) -> None:
    from engine.matching.model import SHIPPED

    source = tmp_path / "s.csv"
    source.write_text("id,title,artists,duration_ms\ns1,Human,The Killers,245000\n")
    out = tmp_path / "out.csv"
    assert (
        main(["match", str(source), str(source), "--out", str(out), "--model", str(SHIPPED)]) == 0
    )
    assert pl.read_csv(out)["decision"].to_list() == ["auto"]
    missing = tmp_path / "missing.json"
    assert (
        main(["match", str(source), str(source), "--out", str(out), "--model", str(missing)]) != 0
    )
