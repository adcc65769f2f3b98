"""Retrain the matcher from a user's curator decisions (CLI and Settings page).

The new model is written under ``settings.data_dir/models/`` and used for that
user's matching (``store.preferences.load_match_config``) only when
``matching.retrain`` accepts it; the outcome is recorded either way so the
Settings page can say how many decisions it learned from and what changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.matching.model import load_model
from engine.matching.retrain import Outcome, retrain
from engine.runtime import Runtime
from engine.store import preferences
from engine.store.curated import curator_decisions


def model_file(runtime: Runtime, user_id: int) -> Path:
    """Where the user's retrained model lives."""
    return runtime.settings.data_dir / "models" / f"matcher-user{user_id}.json"


def retrain_matcher(
    runtime: Runtime, user_id: int, valid: list[Path] | None = None, seed: int = 14
) -> Outcome:
    """Fold the user's curator decisions into their model; see the module docstring.
    ``valid``: labelled pair files the new model must not do worse on."""
    with Session(runtime.engine) as session:
        decisions = curator_decisions(session, user_id)
    config = preferences.load_match_config(runtime.engine, user_id)
    outcome = retrain(decisions, load_model(config.model_path), list(valid or []), seed)
    previous = preferences.load_model_info(runtime.engine, user_id)
    path = str(previous.get("path") or "")
    learned = int(previous.get("decisions") or 0)
    if outcome.accepted and outcome.model is not None:
        target = model_file(runtime, user_id)
        outcome.model.save(target)
        path, learned = str(target), outcome.decisions
    preferences.save_model_info(
        runtime.engine,
        user_id,
        {
            "path": path,
            "decisions": learned,
            "accepted": outcome.accepted,
            "reason": outcome.reason,
            "seconds": round(outcome.seconds, 2),
            "before": _rounded(outcome.before),
            "after": _rounded(outcome.after),
        },
    )
    return outcome


def model_info(runtime: Runtime, user_id: int) -> dict[str, Any]:
    """The last retraining's record (empty: the shipped model, never retrained)."""
    return preferences.load_model_info(runtime.engine, user_id)


def use_shipped_model(runtime: Runtime, user_id: int) -> None:
    """Go back to the model shipped in the package (the local file stays)."""
    info = preferences.load_model_info(runtime.engine, user_id)
    preferences.save_model_info(runtime.engine, user_id, {**info, "path": "", "decisions": 0})


def _rounded(figures: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    keep = ("f1", "precision", "recall", "review", "pairs")
    return {
        name: {k: round(float(v), 4) for k, v in values.items() if k in keep}
        for name, values in figures.items()
    }
