"""Why a pair was decided as it was, in words a curator understands.

The model's per-feature contributions (``MatcherModel.contributions``) are summed
into named groups; the strongest three are phrased from the feature values
("title identical; artist differs; this title appears under 212 artists"), each
marked ``+`` (speaks for a match) or ``-`` (against), after the rule that held
the pair back from ``auto``, if any.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from engine.matching.features import FEATURES

MIN_CONTRIBUTION = 0.15
"""Groups contributing less than this (log-odds) are not worth a curator's time."""
SHOWN = 3
"""How many groups an explanation names at most."""

Values = dict[str, float]


def _level(value: float, same: str, near: str, differs: str) -> str:
    if math.isnan(value):
        return ""
    if value >= 0.999:
        return same
    return near.format(pct=round(100 * value)) if value >= 0.75 else differs


def _title(v: Values) -> str:
    if v["numbers_equal"] == 0.0:
        return "the titles carry different numbers"
    return _level(
        max(v["title"], v["title_ratio"]),
        "title identical",
        "titles similar ({pct}%)",
        "titles differ",
    )


def _artists(v: Values) -> str:
    if math.isnan(v["artists"]):
        return "artist found in the title" if v["artist_in_title"] else "artist unknown on one side"
    return _level(v["artists"], "artist identical", "artists similar ({pct}%)", "artist differs")


def _album(v: Values) -> str:
    if math.isnan(v["album"]):
        return "album unknown on one side"
    return _level(v["album"], "same album", "albums similar ({pct}%)", "different album")


def _shifted(v: Values) -> str:
    if v["title_in_other_text"] >= 0.9:
        return "title found among the other record's fields"
    return _level(v["all_text"], "all fields agree", "fields agree ({pct}%)", "fields disagree")


def _version(v: Values) -> str:
    if v["version_hard_differs"]:
        return "a live, karaoke, cover or other version on one side only"
    if v["version_forgiven"]:
        return "a remix/remaster word on one side only, same length"
    if not v["version_equal"]:
        return "version tags differ"
    return "same version" if v["soft_equal"] else "edit/extended tags differ"


def _duration(v: Values) -> str:
    gap = v["duration_gap_s"]
    if math.isnan(gap):
        return "duration unknown on one side"
    return (
        f"durations within {max(1, round(gap))} s"
        if gap <= 3
        else f"durations {round(gap)} s apart"
    )


def _isrc(v: Values) -> str:
    if math.isnan(v["isrc"]):
        return "no ISRC to compare"
    return "same ISRC" if v["isrc"] else "different ISRCs"


def _year(v: Values) -> str:
    gap = v["year_gap"]
    if math.isnan(gap):
        return "release year unknown"
    return "same release year" if gap == 0 else f"released {round(gap)} years apart"


def _explicit(v: Values) -> str:
    if math.isnan(v["explicit_equal"]):
        return "explicit flag unknown"
    return "same explicit flag" if v["explicit_equal"] else "explicit and clean editions"


def _common(v: Values) -> str:
    count = round(v["title_artist_count"])
    if count > 1:
        return f"this title appears under {count} artists"
    return "a rare title in this catalogue"


def _competition(v: Values) -> str:
    if v["margin"] >= 100:
        return "the only candidate"
    if v["rank"] > 0:
        return "another candidate is closer"
    return "runner-up nearly as good" if v["margin"] < 10 else "well ahead of the other candidates"


PHRASES: dict[str, Callable[[Values], str]] = {
    "title": _title,
    "artists": _artists,
    "album": _album,
    "shifted fields": _shifted,
    "version": _version,
    "duration": _duration,
    "isrc": _isrc,
    "year": _year,
    "explicit": _explicit,
    "how common": _common,
    "competition": _competition,
}
"""One phrase per feature group (``features.FEATURE_GROUPS``)."""


def explanations(
    matrix: np.ndarray, contributions: dict[str, np.ndarray], held: list[str]
) -> list[str]:
    """One sentence per row: the hold-back reason (``held``, may be empty), then the
    strongest contributions, each ``+`` (for a match) or ``-`` (against)."""
    out = []
    for i in range(len(matrix)):
        values = dict(zip(FEATURES, (float(x) for x in matrix[i]), strict=True))
        ranked = sorted(contributions, key=lambda g: -abs(contributions[g][i]))
        said = [held[i]] if held[i] else []
        for group in ranked[:SHOWN]:
            weight = contributions[group][i]
            phrase = PHRASES[group](values)
            if abs(weight) >= MIN_CONTRIBUTION and phrase:
                said.append(f"{'+' if weight > 0 else '-'} {phrase}")
        out.append("; ".join(said))
    return out
