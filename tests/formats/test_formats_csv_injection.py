"""CSV formula injection (issue 16, item 5): cells a spreadsheet would run are
neutralised in CSV written for people; ``raw`` keeps them for round-trips."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from engine import formats
from engine.cli import main
from engine.formats.cells import FORMULA_STARTS, neutralise
from engine.frame import tracks_frame

EVIL = [
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\tTabbed",
    "\rReturned",
]


def _frame() -> object:
    records = [
        {"title": title, "artists": ["=Bad Artist", "Good"], "album": "@album", "isrc": None}
        for title in EVIL
    ]
    records.append({"title": "Plain = fine", "artists": ["Björk"], "album": "Post"})
    return tracks_frame(records)


def _cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("name", ["people.csv", "people.exportify.csv"])
def test_csv_for_people_neutralises_every_formula_cell(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    formats.write(_frame(), path)  # type: ignore[arg-type]
    rows = _cells(path)
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], rows
    titles = {c for c in cells if c.lstrip("'") in EVIL}
    assert titles == {"'" + e for e in EVIL}
    assert "Plain = fine" in cells and "Post" in cells  # other cells are untouched


@pytest.mark.parametrize("name", ["raw.csv", "raw.exportify.csv"])
def test_raw_keeps_cells_for_round_trips(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    formats.write(_frame(), path, raw=True)  # type: ignore[arg-type]
    cells = {cell for row in _cells(path) for cell in row}
    assert set(EVIL) <= cells
    # readers trim surrounding whitespace, as for any cell
    assert formats.read(path)["title"].to_list() == [*(e.strip() for e in EVIL), "Plain = fine"]


def test_neutralise_rule() -> None:
    assert [neutralise(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "'\rx",
    ]
    assert [neutralise(v) for v in ("a=1", "", " =1", -1, None)] == ["a=1", "", " =1", -1, None]


def test_convert_guards_by_default_and_raw_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "in.pif.json"
    formats.write(_frame(), source)  # type: ignore[arg-type]
    assert main(["convert", str(source), str(tmp_path / "out.csv")]) == 0
    assert main(["convert", str(source), str(tmp_path / "raw.csv"), "--raw"]) == 0
    header, *rows = _cells(tmp_path / "out.csv")
    assert rows[0][header.index("title")] == "'" + EVIL[0]
    assert formats.read(tmp_path / "raw.csv")["title"].to_list()[0] == EVIL[0]
