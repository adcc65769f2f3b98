"""Turn the many shapes a track length arrives in into milliseconds.

>>> parse_duration("3:36"), parse_duration("216000"), parse_duration("3m 36sec")
(216000, 216000, 216000)
>>> parse_duration("unk.") is None
True
"""

from __future__ import annotations

import math
import re

UNKNOWN_MARKERS = frozenset(
    {"", "?", "??", "-", "--", "unk", "unk.", "unknown", "n/a", "na", "none", "null"}
)
"""Text that means "length unknown" (compared lower-cased, stripped)."""

MS_THRESHOLD = 36_000
"""A bare integer at or above this is taken as milliseconds, below it as seconds:
no track is 10 hours long, and no track is 36 seconds long written in ms."""

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,3}):(\d{1,2})(?:[.,](\d+))?$")
_UNITS = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?|ms|msecs?|milliseconds?)\b",
    re.IGNORECASE,
)
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_DECIMAL_MINUTES = re.compile(r"^\d+[.,]\d+\s*(?:min|mins|minutes)?$", re.IGNORECASE)


def _unit_key(unit: str) -> str:
    unit = unit.lower()
    if unit.startswith(("ms", "msec", "milli")):
        return "ms"
    return unit[0]


def _parse_units(text: str) -> int | None:
    matches = list(_UNITS.finditer(text))
    if not matches:
        return None
    leftover = _UNITS.sub("", text).strip(" ,")
    if leftover:
        return None
    total = 0.0
    for match in matches:
        total += float(match.group(1).replace(",", ".")) * _UNIT_MS[_unit_key(match.group(2))]
    return round(total)


def _parse_clock(text: str) -> int | None:
    match = _CLOCK.match(text)
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    total_ms = (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)) * 1000
    if fraction:
        total_ms += round(float(f"0.{fraction}") * 1000)
    return total_ms


def parse_duration(value: object, *, unit: str | None = None) -> int | None:
    """``value`` as milliseconds, or None when it is unknown or unreadable.

    ``unit`` ("ms", "s", "min") forces how a bare number is read; without it a
    bare integer >= MS_THRESHOLD is milliseconds, a smaller one seconds, and a
    decimal number is minutes ("3.6" -> 3 min 36 s).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_number(float(value), unit, is_integer=float(value).is_integer())
    text = str(value).strip().lower()
    if text in UNKNOWN_MARKERS:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return _from_number(float(text), unit, is_integer=True)
    if _DECIMAL_MINUTES.match(text):
        number = float(re.sub(r"[^\d.,]", "", text).replace(",", "."))
        return _from_number(number, unit or "min", is_integer=False)
    clock = _parse_clock(text)
    if clock is not None:
        return clock
    return _parse_units(text)


def _from_number(number: float, unit: str | None, *, is_integer: bool) -> int | None:
    if math.isnan(number) or math.isinf(number) or number < 0:
        return None
    if unit == "ms":
        return round(number)
    if unit == "s":
        return round(number * 1000)
    if unit == "min":
        return round(number * 60_000)
    if is_integer:
        return round(number) if number >= MS_THRESHOLD else round(number * 1000)
    return round(number * 60_000)


def format_clock(duration_ms: int | None) -> str:
    """``duration_ms`` as ``m:ss`` (or ``h:mm:ss``); empty text when unknown."""
    if duration_ms is None:
        return ""
    seconds = round(duration_ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
