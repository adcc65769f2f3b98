"""Train the learned scorer: features of labelled pairs in, a calibrated model out.

``training_set`` turns labelled pair files (the iTunes-Amazon layout, see
``evaluation``) and the generated groups of ``augment`` into one feature matrix,
through the same ``scorer.feature_matrix`` that scores at run time.
``fit`` trains LightGBM with a fixed seed and calibrates its raw score with
Platt scaling on out-of-fold predictions. Reproducible: same data, same seed,
same model file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from engine.frame import tracks_frame
from engine.matching.augment import Groups
from engine.matching.config import DEFAULT_CONFIG, MatchConfig
from engine.matching.features import FEATURES
from engine.matching.model import Calibration, MatcherModel
from engine.matching.normalize import normalize_frame
from engine.matching.scorer import feature_matrix
from engine.matching.scoring import compact

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 2,
    "deterministic": True,
    "force_col_wise": True,
    "verbose": -1,
}
"""LightGBM settings (small trees: a few thousand rows, a model file of ~100 kB)."""
ROUNDS = 150
"""Boosting rounds."""
FOLDS = 5
"""Folds of the out-of-fold predictions the calibration is fitted on."""


@dataclass
class TrainingSet:
    """Feature rows, labels (1 = same recording) and a group per row (rows of one
    group stay in one fold)."""

    matrix: np.ndarray
    labels: np.ndarray
    groups: np.ndarray

    def __add__(self, other: TrainingSet) -> TrainingSet:
        offset = int(self.groups.max()) + 1 if len(self.groups) else 0
        return TrainingSet(
            np.vstack([self.matrix, other.matrix]),
            np.concatenate([self.labels, other.labels]),
            np.concatenate([self.groups, other.groups + offset]),
        )


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    return compact(normalize_frame(frame))


def pair_file_set(path: Path, config: MatchConfig = DEFAULT_CONFIG) -> TrainingSet:
    """Features of a labelled pair file, grouped by left record as ``score_pairs`` does."""
    from engine.matching.evaluation import read_pairs
    from engine.matching.matcher import _content_groups

    left, right, labels = read_pairs(path)
    lhs, rhs = _compact(left), _compact(right)
    rows = pl.int_range(rhs.height, dtype=pl.UInt32, eager=True)
    groups = _content_groups(lhs)
    pairs = pl.DataFrame({"s": rows, "c": rows, "g": groups})
    _, matrix = feature_matrix(lhs, rhs, pairs, config)
    return TrainingSet(matrix, labels.to_numpy().astype(np.int8), groups.to_numpy())


def groups_set(groups: Groups, config: MatchConfig = DEFAULT_CONFIG) -> TrainingSet:
    """Features of generated or curated candidate groups."""
    if not groups.pairs:
        return TrainingSet(np.zeros((0, len(FEATURES))), np.zeros(0, np.int8), np.zeros(0))
    src, cat = _compact(tracks_frame(groups.source)), _compact(tracks_frame(groups.catalog))
    s, c, g, label = (list(col) for col in zip(*groups.pairs, strict=True))
    pairs = pl.DataFrame(
        {"s": s, "c": c, "g": g}, schema={"s": pl.UInt32, "c": pl.UInt32, "g": pl.UInt32}
    )
    _, matrix = feature_matrix(src, cat, pairs, config)
    return TrainingSet(matrix, np.asarray(label, dtype=np.int8), np.asarray(g))


def train_records(path: Path) -> list[dict[str, Any]]:
    """The distinct records (both sides) of a labelled pair file, as track dicts."""
    from engine.matching.evaluation import read_pairs

    left, right, _ = read_pairs(path)
    both = pl.concat([left, right]).unique(
        subset=["title", "artists", "album"], maintain_order=True
    )
    return both.select("title", "artists", "album", "duration_ms", "release_date").to_dicts()


def _fit_platt(raw: np.ndarray, labels: np.ndarray) -> Calibration:
    """Logistic regression of labels on the raw score (Newton steps, light ridge)."""
    a, b = 1.0, 0.0
    x, y = raw, labels.astype(np.float64)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        w = np.maximum(p * (1 - p), 1e-9)
        grad = np.array([np.sum((p - y) * x) + 1e-3 * a, np.sum(p - y)])
        hess = np.array(
            [[np.sum(w * x * x) + 1e-3, np.sum(w * x)], [np.sum(w * x), np.sum(w) + 1e-9]]
        )
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return Calibration(float(a), float(b))


def _booster(matrix: np.ndarray, labels: np.ndarray, seed: int) -> lgb.Booster:
    data = lgb.Dataset(matrix, labels, feature_name=list(FEATURES), free_raw_data=True)
    return lgb.train({**PARAMS, "seed": seed}, data, num_boost_round=ROUNDS)


def fit(data: TrainingSet, seed: int, meta: dict[str, Any] | None = None) -> MatcherModel:
    """Train on ``data`` and calibrate on out-of-fold raw scores (folds by group)."""
    rng = np.random.default_rng(seed)
    unique = np.unique(data.groups)
    fold_of = dict(zip(unique.tolist(), rng.integers(0, FOLDS, len(unique)).tolist(), strict=True))
    folds = np.array([fold_of[g] for g in data.groups.tolist()])
    raw = np.zeros(len(data.labels))
    for fold in range(FOLDS):
        held = folds == fold
        if not held.any() or held.all():
            continue
        booster = _booster(data.matrix[~held], data.labels[~held], seed)
        raw[held] = booster.predict(data.matrix[held], raw_score=True)
    calibration = _fit_platt(raw, data.labels)
    booster = _booster(data.matrix, data.labels, seed)
    info = {
        "seed": seed,
        "rows": len(data.labels),
        "positives": int(data.labels.sum()),
        **(meta or {}),
    }
    return MatcherModel(booster, calibration, info)
