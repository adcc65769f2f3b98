"""Malformed input raises FormatError and nothing else: random bytes and damaged
golden files through every reader."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from formats_helpers import FIXTURES, expected_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.formats as formats
from engine.errors import FormatError

GOLDEN = sorted(p for p in FIXTURES.iterdir() if p.is_file() and expected_path(p).exists())
SEEDS = {p.name: p.read_bytes() for p in GOLDEN}


@st.composite
def _damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from([b'"', b",", b"{", b"]", b"<", b"\x00", b"\n", b"null"])
            )
        elif data:
            del data[at : at + draw(st.integers(1, 40))]
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(formats.FORMATS))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300) | _damaged())
def test_readers_raise_only_format_errors(fmt: str, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    with contextlib.suppress(FormatError):  # anything else fails the test
        formats.read(path, fmt)
    formats.validate(path, fmt)  # never raises: problems are returned
