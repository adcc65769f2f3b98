"""The one duration parser: every shape people write a track length in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.formats.durations import format_clock, parse_duration


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("216000", 216_000),  # milliseconds
        (216000, 216_000),
        ("216", 216_000),  # seconds
        (216, 216_000),
        ("3:36", 216_000),
        ("03:36", 216_000),
        ("1:02:03", 3_723_000),
        ("3:36.5", 216_500),
        ("3m 36sec", 216_000),
        ("3 min 36 s", 216_000),
        ("1h 2m 3s", 3_723_000),
        ("216 s", 216_000),
        ("500ms", 500),
        ("3.6", 216_000),  # decimal minutes
        ("3,6", 216_000),
        ("3.6 min", 216_000),
        (3.6, 216_000),
        ("unk.", None),
        ("?", None),
        ("", None),
        ("  ", None),
        ("N/A", None),
        (None, None),
        (True, None),
        ("-5", None),
        ("abc", None),
        ("3:75", None),
        (float("nan"), None),
    ],
)
def test_parse_duration_shapes(value: object, expected: int | None) -> None:
    assert parse_duration(value) == expected


def test_unit_overrides_the_guess() -> None:
    assert parse_duration("200", unit="ms") == 200
    assert parse_duration("200000", unit="s") == 200_000_000
    assert parse_duration("2", unit="min") == 120_000


@given(st.integers(min_value=0, max_value=10 * 3600 * 1000))
def test_clock_text_round_trips_to_the_second(ms: int) -> None:
    parsed = parse_duration(format_clock(ms))
    assert parsed is not None
    assert abs(parsed - ms) <= 500


def test_format_clock_unknown_is_empty() -> None:
    assert format_clock(None) == ""
    assert format_clock(3_723_000) == "1:02:03"
