"""Spreadsheet formula injection: neutralise CSV cells written for people.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or carriage return) as a formula, so a track titled
``=HYPERLINK("http://evil","x")`` would run when an export is opened. Following
the OWASP rule, such a cell is written with a leading apostrophe, which
spreadsheets show as plain text. Round-trip CSV (``--raw``) is written as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet may take as the start of a formula (OWASP)."""


def neutralise(value: Any) -> Any:
    """``value`` made inert for a spreadsheet; anything but text is unchanged.

    >>> neutralise('=HYPERLINK("http://evil","x")')
    '\\'=HYPERLINK("http://evil","x")'
    >>> neutralise("-3 dB"), neutralise(-3)
    ("'-3 dB", -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every cell of a CSV row through :func:`neutralise`."""
    return {key: neutralise(value) for key, value in row.items()}
