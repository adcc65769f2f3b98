"""Quality floor on a small sample of real labelled pairs (see fixtures NOTE.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from engine.errors import DataError
from engine.matching.evaluation import clock_ms, evaluate, figures, read_pairs

FIXTURES = Path(__file__).parent.parent / "fixtures" / "matching"


@pytest.mark.parametrize(
    ("variant", "min_f1"),
    [("structured", 0.95), ("dirty", 0.92)],
)
def test_quality_floor_on_labelled_sample(variant: str, min_f1: float) -> None:
    result, detail = evaluate(FIXTURES / f"itunes_amazon_{variant}_sample.csv")
    assert result["pairs"] == 50
    assert result["precision"] >= 0.99, detail.filter(pl.col("decision") == "auto")
    assert result["f1"] >= min_f1
    assert result["review"] <= 0.15


def test_figures_counts() -> None:
    decisions = pl.Series(["auto", "auto", "review", "none", "auto"])
    labels = pl.Series([1, 0, 1, 0, 1])
    result = figures(decisions, labels)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 1, 1)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["review"] == pytest.approx(0.2)
    empty = figures(pl.Series([], dtype=pl.Utf8), pl.Series([], dtype=pl.Int8))
    assert empty["precision"] == 1.0 and empty["recall"] == 1.0


def test_pair_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    with pytest.raises(DataError, match=r"missing\.csv"):
        read_pairs(missing)
    no_label = tmp_path / "no_label.csv"
    no_label.write_text("left_Song_Name,right_Song_Name\nA,B\n")
    with pytest.raises(DataError, match="label"):
        read_pairs(no_label)
    bad_label = tmp_path / "bad_label.csv"
    bad_label.write_text("label,left_Song_Name,right_Song_Name\nyes,A,B\n")
    with pytest.raises(DataError, match="0 or 1"):
        read_pairs(bad_label)


def test_clock_ms() -> None:
    assert clock_ms("3:45") == 225_000
    assert clock_ms("1:02:03") == 3_723_000
    assert clock_ms("3 min") is None
    assert clock_ms("a:bc") is None
    assert clock_ms(None) is None
