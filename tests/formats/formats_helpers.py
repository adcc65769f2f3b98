"""Helpers shared by the formats tests (no fixtures that read ../shared)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from engine.frame import extras_dict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "formats"


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as plain dicts, extras as a mapping (order is not significant)."""
    out = []
    for row in frame.iter_rows(named=True):
        row = dict(row)
        row["extras"] = extras_dict(row["extras"])
        out.append(row)
    return out


def expected_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name + ".expected.json")


def load_expected(fixture: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(expected_path(fixture).read_text("utf-8"))
    return loaded


def dump_expected(fixture: Path, fmt: str, frame: pl.DataFrame) -> None:
    """Write the golden file for ``fixture`` (used by hand when a fixture is added)."""
    doc = {"format": fmt, "tracks": rows(frame)}
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    expected_path(fixture).write_text(text + "\n", "utf-8")
