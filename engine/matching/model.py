"""The learned scorer: a gradient-boosted model over ``features.FEATURES`` with a
calibrated probability, loaded once from a small versioned JSON file.

The file holds LightGBM's own text model (no pickle: loading it runs no code),
the feature names it was trained with, and the Platt calibration fitted on
out-of-fold predictions, so that ``probability`` means "how likely these two
records are the same recording". The shipped file is package data
(``engine/matching/models/matcher-v1.json``); ``crossfade matcher retrain``
writes a local one, chosen with ``MatchConfig.model_path``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from engine.errors import DataError
from engine.matching.features import FEATURE_GROUPS, FEATURES

FORMAT = "crossfade-matcher"
VERSION = 1
SHIPPED = Path(__file__).parent / "models" / "matcher-v1.json"
"""The model shipped in the package (trained by ``make train-matcher``)."""


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the model's raw score: ``1 / (1 + exp(-(a * raw + b)))``."""

    a: float
    b: float

    def apply(self, raw: np.ndarray) -> np.ndarray:
        out: np.ndarray = 1.0 / (1.0 + np.exp(-(self.a * raw + self.b)))
        return out


class MatcherModel:
    """A loaded model: ``probability`` and per-group ``contributions`` of pairs."""

    def __init__(self, booster: lgb.Booster, calibration: Calibration, meta: dict[str, Any]):
        self.booster = booster
        self.calibration = calibration
        self.meta = meta
        # LightGBM's predict is thread-safe only with one caller at a time per booster.
        self._lock = threading.Lock()

    def raw(self, matrix: np.ndarray) -> np.ndarray:
        if not len(matrix):
            return np.zeros(0)
        with self._lock:
            out = self.booster.predict(matrix, raw_score=True, num_threads=2)
        return np.asarray(out, dtype=np.float64)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probability (0..1) that each row is the same recording."""
        return self.calibration.apply(self.raw(matrix))

    def contributions(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Each feature group's contribution to the (calibrated log-odds) decision,
        from LightGBM's TreeSHAP ``pred_contrib``; positive speaks for a match."""
        if not len(matrix):
            return {group: np.zeros(0) for group in FEATURE_GROUPS}
        with self._lock:
            contrib = np.asarray(
                self.booster.predict(matrix, pred_contrib=True, num_threads=2), dtype=np.float64
            )
        index = {name: i for i, name in enumerate(FEATURES)}
        return {
            group: self.calibration.a * contrib[:, [index[n] for n in names]].sum(axis=1)
            for group, names in FEATURE_GROUPS.items()
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "features": list(FEATURES),
            "calibration": {"a": self.calibration.a, "b": self.calibration.b},
            "meta": self.meta,
            "booster": self.booster.model_to_string(),
        }

    def save(self, path: Path) -> None:
        """Write atomically (a half-written model never replaces a good one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)


def from_json(data: dict[str, Any], origin: str) -> MatcherModel:
    """A model from its JSON form; DataError naming ``origin`` when it is not one."""
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise DataError(f"{origin}: not a crossfade matcher model of version {VERSION}")
    if list(data.get("features") or []) != list(FEATURES):
        raise DataError(f"{origin}: model features differ from this version's; retrain it")
    try:
        booster = lgb.Booster(model_str=str(data["booster"]))
        calibration = Calibration(float(data["calibration"]["a"]), float(data["calibration"]["b"]))
    except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
        raise DataError(f"{origin}: damaged matcher model: {exc}") from exc
    return MatcherModel(booster, calibration, dict(data.get("meta") or {}))


@cache
def _load(path: str, mtime_ns: int) -> MatcherModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read matcher model: {exc}") from exc
    return from_json(data, path)


def load_model(path: str | Path = "") -> MatcherModel:
    """The model at ``path`` (the shipped one when empty), loaded once per file
    version: a retrained file is picked up, an unchanged one is not read again."""
    target = Path(path) if path else SHIPPED
    try:
        mtime = target.stat().st_mtime_ns
    except OSError as exc:
        raise DataError(f"{target}: matcher model not found") from exc
    return _load(str(target), mtime)
