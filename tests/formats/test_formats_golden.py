"""Golden files: every fixture under tests/fixtures/formats/ reads to the frame
recorded beside it in ``<fixture>.expected.json`` (reviewed by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest
from formats_helpers import FIXTURES, expected_path, load_expected, rows

import engine.formats as formats
from engine.frame import TRACK_SCHEMA

GOLDEN = sorted(p for p in FIXTURES.iterdir() if p.is_file() and expected_path(p).exists())


def test_there_is_a_golden_file_for_every_format() -> None:
    covered = {load_expected(p)["format"] for p in GOLDEN}
    assert set(formats.FORMATS) <= covered


@pytest.mark.parametrize("fixture", GOLDEN, ids=lambda p: p.name)
def test_fixture_reads_to_expected_frame(fixture: Path) -> None:
    expected = load_expected(fixture)
    assert formats.detect_format(fixture) == expected["format"]
    frame = formats.read(fixture)
    assert frame.schema == TRACK_SCHEMA
    assert rows(frame) == expected["tracks"]


@pytest.mark.parametrize("fixture", GOLDEN, ids=lambda p: p.name)
def test_fixture_survives_pif(fixture: Path, tmp_path: Path) -> None:
    frame = formats.read(fixture)
    formats.write(frame, tmp_path / "copy.pif.json")
    # the copy keeps the values the reader could not understand; its repairs are done
    repairs = {(w.line, w.reason) for w in formats.load(fixture).warnings}
    kept = [p for p in formats.validate(fixture) if (p.line, p.message) not in repairs]
    assert formats.validate(tmp_path / "copy.pif.json") == kept
    assert rows(formats.read(tmp_path / "copy.pif.json")) == rows(frame)
