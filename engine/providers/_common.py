"""Helpers shared by the provider modules: durations, bodies, exactly-once appends.

Provider modules stay declarative (paths, parameters, payload mapping); the
small pieces every one of them needs live here once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import polars as pl

from engine.errors import ProviderUnavailableError
from engine.frame import tracks_frame

_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def iso_duration_ms(value: str | None) -> int | None:
    """Milliseconds of an ISO 8601 duration such as ``PT2M39S`` (TIDAL, YouTube).

    >>> iso_duration_ms("PT1H2M3.5S")
    3723500
    """
    if not value:
        return None
    match = _ISO_DURATION.match(value)
    if not match:
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    seconds = (
        parts.get("days", 0) * 86400
        + parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )
    return round(seconds * 1000)


def json_body(response: httpx.Response) -> Any:
    """The decoded body, or None when it is empty or not JSON."""
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def frame_from(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Canonical frame from mapped rows; ``id`` is the row's position string."""
    return tracks_frame(rows)


UNCERTAIN_ATTEMPTS = 3
"""How many times one batch is sent when failures leave its fate unknown."""


def append_batches(
    batches: Iterable[list[str]],
    send: Callable[[list[str]], None],
    landed: Callable[[list[str], list[str]], bool],
    *,
    attempts: int = UNCERTAIN_ATTEMPTS,
) -> None:
    """Append ``batches`` in order, exactly once each, over an API without
    idempotency keys.

    The HTTP stack does not resend a write that may have been applied (a 5xx
    or a timeout after the request left). Here such a failure is settled by
    asking the playlist: ``landed(previous_batch, batch)`` reads it and says
    whether ``batch`` is now its end; if not, the batch is sent again.
    """
    previous: list[str] = []
    for batch in batches:
        for attempt in range(1, attempts + 1):
            try:
                send(batch)
                break
            except ProviderUnavailableError:
                if landed(previous, batch):
                    break
                if attempt == attempts:
                    raise
        previous = batch


def tail_check(tail: Callable[[int], list[str]]) -> Callable[[list[str], list[str]], bool]:
    """A ``landed`` check from a reader of the playlist's last ``n`` ids: the
    playlist must end with the previous batch followed by this one (so that a
    repeated track does not pass for a landed one)."""

    def landed(previous: list[str], batch: list[str]) -> bool:
        expected = previous + batch
        return tail(len(expected)) == expected

    return landed
