"""Jobs tests: close every runtime a test made, even when the test failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jobs_helpers import OPENED


@pytest.fixture(autouse=True)
def _close_runtimes() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()  # closing twice is harmless
