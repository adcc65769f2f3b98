"""Learning from curators: every review decision is a labelled pair.

``retrain`` folds curator decisions into a copy of the current model (more
boosting rounds on top of it, so a client without the original training data
can still learn), keeps a share of the decisions back as a check, and accepts
the new model only when it is at least as good as the current one on that
held-back share and on every labelled check file given (``valid``). Pure: the
store and the files are the caller's (``engine.app_support.matcher_model``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from engine.errors import UsageError
from engine.frame import tracks_frame
from engine.matching.augment import Groups
from engine.matching.config import MatchConfig
from engine.matching.evaluation import evaluate, figures
from engine.matching.model import MatcherModel
from engine.matching.normalize import normalize_frame
from engine.matching.scorer import score_candidates
from engine.matching.scoring import compact
from engine.matching.training import PARAMS, groups_set

ROUNDS = 40
"""Boosting rounds added on top of the current model."""
LEARNING_RATE = 0.1
"""Step of the added rounds: a few hundred decisions must be able to move the model."""
HELD_BACK = 0.2
"""Share of the decisions kept back to check the new model on."""
MIN_DECISIONS = 10
"""Fewer curator decisions than this teach nothing reliable."""


@dataclass(frozen=True)
class Decision:
    """One curator decision: the source track, the candidates the curator saw
    (track dicts with an ``id``) and the chosen candidate's id (None: "not
    available", every candidate is wrong)."""

    source: dict[str, Any]
    candidates: list[dict[str, Any]]
    chosen: str | None


@dataclass
class Outcome:
    """What a retraining did: ``accepted`` (the new model is at least as good
    everywhere it was checked), the figures before and after per check, and why."""

    accepted: bool
    reason: str
    decisions: int
    pairs: int
    seconds: float
    before: dict[str, dict[str, float]] = field(default_factory=dict)
    after: dict[str, dict[str, float]] = field(default_factory=dict)
    model: MatcherModel | None = None


def check_name(path: Path) -> str:
    """How a check file is named in the figures: its folder and name
    (``structured/valid.csv`` and ``dirty/valid.csv`` stay apart)."""
    return f"{path.parent.name}/{path.name}"


def labelled_groups(decisions: list[Decision]) -> Groups:
    """One candidate group per decision: the chosen candidate labelled 1, the others 0."""
    groups = Groups()
    for decision in decisions:
        candidates = [
            (c, int(decision.chosen is not None and str(c.get("id")) == decision.chosen))
            for c in decision.candidates
            if c.get("title")
        ]
        if candidates and decision.source.get("title"):
            groups.add(decision.source, candidates)
    return groups


def _split(decisions: list[Decision], seed: int) -> tuple[list[Decision], list[Decision]]:
    rng = np.random.default_rng(seed)
    held = rng.random(len(decisions)) < HELD_BACK
    train = [d for d, h in zip(decisions, held, strict=True) if not h]
    check = [d for d, h in zip(decisions, held, strict=True) if h]
    return train, check


def _group_figures(groups: Groups, model: MatcherModel) -> dict[str, float]:
    """F1 of ``auto`` on labelled groups, scored as ``match`` would score them."""
    if not groups.pairs:
        return {}
    src = compact(normalize_frame(tracks_frame(groups.source)))
    cat = compact(normalize_frame(tracks_frame(groups.catalog)))
    s, c, _, labels = (list(col) for col in zip(*groups.pairs, strict=True))
    pairs = pl.DataFrame({"s": s, "c": c}, schema={"s": pl.UInt32, "c": pl.UInt32})
    scored = score_candidates(src, cat, pairs, MatchConfig(), model)
    return figures(scored.frame["decision"], pl.Series(labels))


def _continued(base: MatcherModel, groups: Groups, seed: int) -> MatcherModel:
    data = groups_set(groups)
    booster = lgb.train(
        {**PARAMS, "seed": seed, "learning_rate": LEARNING_RATE, "min_data_in_leaf": 5},
        lgb.Dataset(data.matrix, data.labels, free_raw_data=True),
        num_boost_round=ROUNDS,
        init_model=base.booster,
        keep_training_booster=False,
    )
    meta = {
        **base.meta,
        "curator_decisions": len(groups.source),
        "curator_pairs": len(data.labels),
        "base": base.meta.get("name", "shipped"),
        "name": "local",
    }
    return MatcherModel(booster, base.calibration, meta)


def retrain(
    decisions: list[Decision], base: MatcherModel, valid: list[Path], seed: int = 14
) -> Outcome:
    """A new model from ``base`` and the curator ``decisions``, checked on the
    held-back decisions and each ``valid`` pair file; see the module docstring."""
    started = time.perf_counter()
    usable = [d for d in decisions if labelled_groups([d]).pairs]
    if len(usable) < MIN_DECISIONS:
        raise UsageError(
            f"retraining needs at least {MIN_DECISIONS} curator decisions with candidates; "
            f"found {len(usable)}"
        )
    train, check = _split(usable, seed)
    train_groups, check_groups = labelled_groups(train), labelled_groups(check)
    model = _continued(base, train_groups, seed)
    before = {"held-back decisions": _group_figures(check_groups, base)}
    after = {"held-back decisions": _group_figures(check_groups, model)}
    with TemporaryDirectory() as tmp:
        paths = {"current": Path(tmp) / "current.json", "new": Path(tmp) / "new.json"}
        base.save(paths["current"])
        model.save(paths["new"])
        for path in valid:
            name = check_name(path)
            before[name] = evaluate(path, MatchConfig(model_path=str(paths["current"])))[0]
            after[name] = evaluate(path, MatchConfig(model_path=str(paths["new"])))[0]
    worse = [
        name
        for name, figures_after in after.items()
        if figures_after and figures_after["f1"] < before[name]["f1"] - 1e-9
    ]
    reason = (
        f"refused: F1 of auto would drop on {', '.join(worse)}"
        if worse
        else "accepted: at least as good on every check"
    )
    return Outcome(
        accepted=not worse,
        reason=reason,
        decisions=len(usable),
        pairs=len(train_groups.pairs) + len(check_groups.pairs),
        seconds=time.perf_counter() - started,
        before=before,
        after=after,
        model=model,
    )
