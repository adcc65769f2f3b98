"""Per-user preferences for the app pages: thin wrappers over
:mod:`engine.store.preferences`, the one place the jobs read them from too."""

from __future__ import annotations

from engine.matching import MatchConfig
from engine.runtime import Runtime
from engine.store import preferences as stored
from engine.store.preferences import MATCH_FIELDS, MATCHING, RETENTION, Retention

__all__ = [
    "MATCHING",
    "MATCH_FIELDS",
    "RETENTION",
    "Retention",
    "match_config",
    "reset_match_config",
    "retention",
    "save_match_config",
    "save_retention",
]


def match_config(runtime: Runtime, user_id: int) -> MatchConfig:
    """The user's matcher configuration (defaults where nothing is saved)."""
    return stored.load_match_config(runtime.engine, user_id)


def save_match_config(runtime: Runtime, user_id: int, **values: float) -> MatchConfig:
    """Validate (UsageError naming the problem) and store matcher knobs."""
    return stored.save_match_config(runtime.engine, user_id, **values)


def reset_match_config(runtime: Runtime, user_id: int) -> None:
    stored.reset_match_config(runtime.engine, user_id)


def retention(runtime: Runtime, user_id: int) -> Retention:
    return stored.load_retention(runtime.engine, user_id)


def save_retention(
    runtime: Runtime, user_id: int, keep_last: int, keep_daily_days: int
) -> Retention:
    return stored.save_retention(runtime.engine, user_id, keep_last, keep_daily_days)
