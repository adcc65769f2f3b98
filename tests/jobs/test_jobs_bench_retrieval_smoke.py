"""The retrieval benchmark, small: a noisy source on two providers and a
small latency catalogue, with the benchmark's own target check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_retrieval.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_retrieval_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_blemishes_keep_the_recording_and_change_the_row(bench: ModuleType) -> None:
    catalog = bench.load_catalog(None)
    picked, noisy, clean = bench.make_sources(catalog, 28, seed=3)
    assert len(picked) == len(noisy) == len(clean) == 28
    changed = sum(n != c for n, c in zip(noisy, clean, strict=True))
    assert changed == 28
    videos = [n for n in noisy if not n["artists"]]
    assert videos and all(" - " in n["title"] for n in videos)
    assert all(n.get("isrc") is None for n in noisy)


def test_small_run_prints_recall_and_requests(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bench.main(
        [
            "--rows",
            "21",
            "--providers",
            "deezer,youtube",
            "--latency-tracks",
            "3000",
            "--latency-queries",
            "50",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line[:7] in ("deezer ", "youtube")
    }
    assert set(rows) == {"deezer", "youtube"}
    assert float(rows["deezer"][1]) >= 0.98 and float(rows["youtube"][1]) >= 0.95
    for cells in rows.values():
        assert int(cells[5]) >= int(cells[6])  # auto and right: the ladder >= bulk match()
        assert float(cells[-2]) <= 1.02  # clean searches per track
    assert "GET /search in-process (Spotify)" in out
