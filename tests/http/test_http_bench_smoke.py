"""The provider benchmark, small: the whole stack against the in-process sandbox
(cache re-run, 10% faults arriving exactly once and in order, breaker cycle)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_providers.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_providers_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def _run_small(
    bench: ModuleType, capsys: pytest.CaptureFixture[str], providers: str
) -> tuple[int, str]:
    """Run the bench on 120 tracks with a fast breaker reset and its own target check."""
    code = bench.main(
        [
            "--tracks",
            "120",
            "--providers",
            providers,
            "--breaker-reset",
            "0.2",
            "--no-overhead",
            "--check",
        ]
    )
    return code, capsys.readouterr().out


def test_bench_meets_its_targets_on_spotify_and_deezer(bench: ModuleType, capsys) -> None:
    code, out = _run_small(bench, capsys, "spotify,deezer")
    assert code == 0, out
    assert out.count("exactly once in order: yes") == 2
    assert "MISSED" not in out


def test_tidal_meets_its_floor_and_arrives_exactly_once(bench: ModuleType, capsys) -> None:
    code, out = _run_small(bench, capsys, "tidal")
    assert code == 0, out
    # no GET /users/me of its own: 6 lookups of 20 ISRCs + 1 create + 3 adds of 50
    assert "tidal        120        10     10" in out
    assert "120/120 arrived, 0 duplicates, exactly once in order: yes" in out
    assert "breaker opened after 5 failures, fast fail sent 0 requests" in out
    assert "closed after probe: yes" in out


def test_youtube_meets_its_floor_with_batched_durations(bench: ModuleType, capsys) -> None:
    code, out = _run_small(bench, capsys, "youtube")
    assert code == 0, out
    # 120 searches + ceil(120 / 50) videos.list + 1 create + 120 inserts
    assert "floor = 120 searches + 3 videos.list + 1 create + 120 adds" in out
    assert "youtube      120       244    244" in out


def test_bench_reports_a_missed_target(bench: ModuleType, capsys) -> None:
    args = argparse.Namespace(
        tracks=30, fault_rate=0.1, seed=7, breaker_reset=0.2, redis=None, check=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        row = bench.bench_provider("spotify", bench.catalogue(30), args, Path(tmp))
    assert bench.print_report([row], args)
    capsys.readouterr()
    row["requests"] = row["floor"] + 5  # as a client wasting requests would
    row["over_floor"] = row["requests"] / row["floor"] - 1
    assert not bench.print_report([row], args)
    assert "MISSED: requests within 2% of the floor" in capsys.readouterr().out
