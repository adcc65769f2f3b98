"""Fixtures of the provider tests (helpers live in provider_world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from provider_world import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh sandbox, recording transport and HTTP factory for one test."""
    yield from make_world(tmp_path)
