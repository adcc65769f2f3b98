"""Cutting a sequence into batches: API batch limits, SQL ``IN`` lists, progress steps.

Every loop that works through a list a slice at a time uses :func:`chunks`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items, in order.

    >>> list(chunks([1, 2, 3], 2))
    [[1, 2], [3]]
    """
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
