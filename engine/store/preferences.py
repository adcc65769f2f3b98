"""Per-user preferences kept in ``user_settings``: matching thresholds and
snapshot retention. One place that both the app (Settings page) and the jobs
(``migrate``, ``sync``, ``snapshot_gc``) read, so a curator's saved matcher
knobs are the ones the jobs match with. Values are validated before they are
stored; a stale stored value falls back to the defaults instead of breaking a job.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.errors import UsageError
from engine.matching.config import MatchConfig
from engine.store.db import session_scope
from engine.store.models import UserSetting

MATCHING = "matching"
MODEL = "matcher_model"
RETENTION = "retention"

MATCH_FIELDS = ("auto_threshold", "review_threshold", "auto_margin")
"""The matcher knobs a curator may change from the app (values saved for the
weights of the hand-set scorer before the learned one are ignored)."""


@dataclass(frozen=True)
class Retention:
    """How many snapshots ``snapshot_gc`` keeps (see docs/jobs.md)."""

    keep_last: int = 10
    keep_daily_days: int = 30

    def __post_init__(self) -> None:
        if self.keep_last < 2:
            raise UsageError("retention: keep_last must be at least 2")
        if not 0 <= self.keep_daily_days <= 3650:
            raise UsageError("retention: keep_daily_days must be between 0 and 3650")


def _load(engine: Engine, user_id: int, name: str) -> dict[str, Any]:
    with Session(engine) as session:
        row = session.scalars(
            select(UserSetting).where(UserSetting.user_id == user_id, UserSetting.name == name)
        ).one_or_none()
        return dict(row.value) if row else {}


def _save(engine: Engine, user_id: int, name: str, value: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        row = session.scalars(
            select(UserSetting).where(UserSetting.user_id == user_id, UserSetting.name == name)
        ).one_or_none()
        if row is None:
            session.add(UserSetting(user_id=user_id, name=name, value=value))
        else:
            row.value = value
        session.flush()


def load_match_config(engine: Engine, user_id: int | None) -> MatchConfig:
    """The user's matcher configuration (defaults where nothing is saved, or
    for a job without an owner), with the user's retrained model when its file
    is still there."""
    if user_id is None:
        return MatchConfig()
    saved = _load(engine, user_id, MATCHING)
    values: dict[str, Any] = {k: float(v) for k, v in saved.items() if k in MATCH_FIELDS}
    model = str(_load(engine, user_id, MODEL).get("path") or "")
    if model and Path(model).is_file():
        values["model_path"] = model
    try:
        return MatchConfig(**values)
    except UsageError:
        return MatchConfig()  # a stale saved value never breaks matching


def load_model_info(engine: Engine, user_id: int) -> dict[str, Any]:
    """The user's retrained model: ``path``, ``decisions`` learned from, and the
    last retraining's outcome (``accepted``, ``reason``, ``before``/``after``)."""
    return _load(engine, user_id, MODEL)


def save_model_info(engine: Engine, user_id: int, info: dict[str, Any]) -> None:
    """Record a retraining (``path`` empty: the shipped model stays in use)."""
    _save(engine, user_id, MODEL, info)


def save_match_config(engine: Engine, user_id: int, **values: float) -> MatchConfig:
    """Validate (UsageError naming the problem) and store matcher knobs."""
    unknown = set(values) - set(MATCH_FIELDS)
    if unknown:
        raise UsageError(f"unknown matching setting(s): {', '.join(sorted(unknown))}")
    floats: dict[str, Any] = {k: float(v) for k, v in values.items()}
    config = MatchConfig(**floats)
    _save(engine, user_id, MATCHING, {k: getattr(config, k) for k in MATCH_FIELDS})
    return config


def reset_match_config(engine: Engine, user_id: int) -> None:
    _save(engine, user_id, MATCHING, {})


def load_retention(engine: Engine, user_id: int) -> Retention:
    saved = _load(engine, user_id, RETENTION)
    known = {f.name for f in fields(Retention)}
    try:
        return Retention(**{k: int(v) for k, v in saved.items() if k in known})
    except UsageError:
        return Retention()


def save_retention(engine: Engine, user_id: int, keep_last: int, keep_daily_days: int) -> Retention:
    value = Retention(keep_last=int(keep_last), keep_daily_days=int(keep_daily_days))
    _save(engine, user_id, RETENTION, asdict(value))
    return value
