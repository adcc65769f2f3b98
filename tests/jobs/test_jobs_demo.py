"""The demo: sandbox on loopback, file import, migrate, report, export, lake."""

from __future__ import annotations

import csv
from pathlib import Path

from engine.demo import run_demo
from engine.lake import lake_summary, open_lake
from engine.settings import Settings


def test_demo_end_to_end(settings: Settings, tmp_path: Path) -> None:
    summary = run_demo(settings, out_dir=tmp_path / "out")
    assert summary["added"] == summary["in_target_playlist"] > 0
    assert (
        summary["added"] + summary["pending_review"] + summary["not_available"]
        <= summary["source_tracks"]
    )
    assert summary["requests"] > 0
    with open(summary["report"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= summary["not_available"]
    assert Path(summary["export"][0]).stat().st_size > 0
    con = open_lake(summary["lake"])
    assert lake_summary(con)["effective_items"] == summary["source_tracks"]
    con.close()
