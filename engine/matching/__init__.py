"""Explainable, ISRC-first track matching, in bulk and per candidate.

Public API: ``match`` (source against catalogue, one row per source track),
``score_pairs`` (row i against row i), ``MatchConfig`` (every weight, tolerance
and threshold) and ``normalize_frame`` (the ``n_*`` matching columns).
See ``docs/matching.md`` for the ladder, the columns and measured quality.
"""

from engine.matching.config import DEFAULT_CONFIG, STRONG_TAGS, MatchConfig
from engine.matching.ladder import NOT_AVAILABLE, RULES
from engine.matching.matcher import RESULT_COLUMNS, match, score_pairs
from engine.matching.normalize import normalize_frame
from engine.matching.scoring import PART_COLUMNS

__all__ = [
    "DEFAULT_CONFIG",
    "NOT_AVAILABLE",
    "PART_COLUMNS",
    "RESULT_COLUMNS",
    "RULES",
    "STRONG_TAGS",
    "MatchConfig",
    "match",
    "normalize_frame",
    "score_pairs",
]
