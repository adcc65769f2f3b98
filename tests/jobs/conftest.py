"""Jobs tests: close every runtime a test made, even when the test failed; the
environment the command-line tests run ``main`` in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_helpers import OPENED


@pytest.fixture(autouse=True)
def _close_runtimes() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()  # closing twice is harmless


@pytest.fixture
def cli_env(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI on the test's SQLite store and data dir, without Redis, in wide columns."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return sqlite_url
