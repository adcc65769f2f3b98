"""Measure the matcher on labelled pairs (the iTunes-Amazon benchmark layout).

A pair file is a CSV with ``label`` (1 = same recording) and ``left_*`` /
``right_*`` columns: ``id``, ``Song_Name``, ``Artist_Name``, ``Album_Name``,
``Time`` (m:ss), ``Released`` and optionally ``Genre``, ``Price``, ``CopyRight``.

>>> figures(pl.Series(["auto", "review", "none"]), pl.Series([1, 1, 0]))["recall"]
0.5
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from engine.errors import DataError
from engine.frame import tracks_frame
from engine.matching.config import DEFAULT_CONFIG, MatchConfig
from engine.matching.matcher import score_pairs

_EXTRAS = ("Genre", "Price", "CopyRight")


def clock_ms(text: str | None) -> int | None:
    """Milliseconds of an ``m:ss`` / ``h:mm:ss`` text, or None."""
    if not text or ":" not in text:
        return None
    seconds = 0
    for part in text.strip().split(":"):
        if not part.strip().isdigit():
            return None
        seconds = seconds * 60 + int(part)
    return seconds * 1000


def side_frame(pairs: pl.DataFrame, side: str) -> pl.DataFrame:
    """The canonical track frame of one side (``left``/``right``) of a pair file."""
    records = []
    for row in pairs.iter_rows(named=True):
        values = {
            key[len(side) + 1 :]: (value.strip() if isinstance(value, str) else None)
            for key, value in row.items()
            if key.startswith(f"{side}_")
        }
        values = {k: v for k, v in values.items() if v}
        artist = values.get("Artist_Name")
        records.append(
            {
                "title": values.get("Song_Name"),
                "artists": [artist] if artist else [],
                "album": values.get("Album_Name"),
                "duration_ms": clock_ms(values.get("Time")),
                "release_date": values.get("Released"),
                "provider_id": values.get("id"),
                "extras": {k: values[k] for k in _EXTRAS if k in values},
            }
        )
    return tracks_frame(records)


def read_pairs(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """Left frame, right frame and labels (1 = same recording) of a pair CSV."""
    try:
        pairs = pl.read_csv(path, infer_schema_length=0)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: cannot read labelled pairs: {exc}") from exc
    needed = {"label", "left_Song_Name", "right_Song_Name"}
    if missing := needed - set(pairs.columns):
        raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    labels = pairs["label"].cast(pl.Int8, strict=False)
    if labels.null_count():
        raise DataError(f"{path}: label must be 0 or 1 on every line")
    return side_frame(pairs, "left"), side_frame(pairs, "right"), labels


def figures(decisions: pl.Series, labels: pl.Series) -> dict[str, float]:
    """F1, precision and recall with only ``auto`` counted as a match; review share."""
    auto = decisions == "auto"
    tp = int((auto & (labels == 1)).sum())
    fp = int((auto & (labels == 0)).sum())
    fn = int((~auto & (labels == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    review = float((decisions == "review").sum()) / max(len(decisions), 1)
    return {
        "pairs": float(len(labels)),
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "review": review,
        "tp": float(tp),
        "fp": float(fp),
        "fn": float(fn),
    }


def evaluate(
    path: Path, config: MatchConfig = DEFAULT_CONFIG
) -> tuple[dict[str, float], pl.DataFrame]:
    """Figures for one pair file, and the scored pairs with titles and labels."""
    left, right, labels = read_pairs(path)
    scored = score_pairs(left, right, config)
    detail = pl.concat(
        [
            left.select(pl.col("title").alias("left_title")),
            right.select(pl.col("title").alias("right_title")),
            scored,
            labels.to_frame("label"),
        ],
        how="horizontal",
    )
    return figures(scored["decision"], labels), detail
