"""Every input through every reader gives a frame (with warnings) or one clear
one-line FormatError: never a traceback, a hang or unbounded memory. Valid files
of every format are mutated: truncation, byte flips, insertions, encoding swaps,
huge fields, deep nesting, NUL bytes, BOMs and lone surrogates."""

from __future__ import annotations

import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from formats_helpers import FIXTURES, expected_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.formats as formats
from engine.errors import FormatError

GOLDEN = sorted(p for p in FIXTURES.iterdir() if p.is_file() and expected_path(p).exists())
SEEDS = {p.name: p.read_bytes() for p in GOLDEN}
SECONDS_PER_READ = 30
"""Far above any real read of these small files, even on a loaded machine: a hang."""
MAX_GROWTH_MB = 400
"""Peak RSS may grow by at most this per example (inputs are at most ~1 MB)."""

_TOKENS = [b'"', b",", b"{", b"]", b"<", b"&", b"\x00", b"\n", b"\r", b"null", b"\\ud800"]


def _swap_encoding(data: bytes, encoding: str) -> bytes:
    return data.decode("utf-8", errors="replace").encode(encoding, errors="replace")


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        action = draw(
            st.sampled_from(
                ["flip", "cut", "insert", "delete", "encoding", "huge", "deep", "bom", "nul"]
            )
        )
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(_TOKENS))
        elif action == "encoding":
            encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "latin-1", "cp1252"]))
            data = bytearray(_swap_encoding(bytes(data), encoding))
        elif action == "huge":
            data[at:at] = draw(st.sampled_from([b"x", b"\xc3\xa9", b"a,"])) * 300_000
        elif action == "deep":
            opener, closer = draw(
                st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b"<a>", b"</a>")])
            )
            depth = draw(st.integers(50, 20_000))
            data[at:at] = opener * depth + closer * draw(st.integers(0, depth))
        elif action == "bom":
            data[0:0] = draw(st.sampled_from([b"\xef\xbb\xbf" * 2, b"\xff\xfe", b"\xfe\xff"]))
        elif data:
            del data[at : at + draw(st.integers(1, 40))]
    return bytes(data)


@contextmanager
def _bounded() -> Iterator[None]:
    def _hang(*_: object) -> None:
        raise AssertionError(f"a read took more than {SECONDS_PER_READ} s")

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    previous = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(SECONDS_PER_READ)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown < MAX_GROWTH_MB, f"peak memory grew by {grown:.0f} MB"


def _one_line_or_frame(path: Path, fmt: str) -> None:
    try:
        result = formats.load(path, fmt)
    except FormatError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        return
    assert result.tracks > 0 or result.warnings or path.stat().st_size < 10_000_000


@pytest.mark.parametrize("fmt", sorted(formats.FORMATS))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300) | _mutated())
def test_every_reader_gives_a_frame_or_one_clear_error(
    fmt: str, data: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    with _bounded():
        _one_line_or_frame(path, fmt)
        formats.validate(path, fmt)  # never raises: problems are returned


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_mutated())
def test_sniffed_reads_give_a_frame_or_one_clear_error(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    with _bounded():
        try:
            formats.load(path)
        except FormatError as exc:
            assert "\n" not in str(exc)
