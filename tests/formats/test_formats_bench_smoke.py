"""scripts/bench_formats.py runs end to end at a tiny size (the figures come from
the full-size run, documented in docs/formats.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_formats.py"


def test_bench_formats_runs_small(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "300", "--entries", "40", "--dir", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    assert "generic CSV    read        300 rows" in out
    assert "bare pl.read_csv" in out
    for fmt in ("xspf", "jspf", "m3u"):
        assert f"{fmt:14} write        40 entries" in out
