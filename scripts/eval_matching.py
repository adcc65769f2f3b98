"""Quality of the matcher on the labelled iTunes-Amazon pairs.

Usage: python scripts/eval_matching.py --data ../shared/data/matching/itunes-amazon
Prints, per variant (structured, dirty) and split (train, valid): F1 with only
"auto" counted as a match, precision and recall of "auto", and the share of pairs
sent to review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from engine.frame import tracks_frame
from engine.matching import MatchConfig, score_pairs


def _clock_ms(text: str | None) -> int | None:
    if not text or ":" not in text:
        return None
    parts = text.strip().split(":")
    try:
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
    except ValueError:
        return None
    return seconds * 1000


def side_frame(pairs: pl.DataFrame, side: str) -> pl.DataFrame:
    """The canonical track frame of one side (``left``/``right``) of a pair file."""
    records = []
    for row in pairs.iter_rows(named=True):

        def get(field: str, row: dict[str, str | None] = row) -> str | None:
            value = row.get(f"{side}_{field}")
            return value.strip() if value and value.strip() else None

        artist = get("Artist_Name")
        records.append(
            {
                "id": get("id"),
                "title": get("Song_Name"),
                "artists": [artist] if artist else [],
                "album": get("Album_Name"),
                "duration_ms": _clock_ms(get("Time")),
                "release_date": get("Released"),
                "provider": "itunes" if side == "left" else "amazon",
                "extras": {k: v for k in ("Genre", "Price", "CopyRight") if (v := get(k))},
            }
        )
    return tracks_frame(records).with_columns(pl.int_range(pl.len()).cast(pl.Utf8).alias("id"))


def read_pairs(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """Left frame, right frame and labels (1 = same recording) of a pair CSV."""
    pairs = pl.read_csv(path, infer_schema_length=0)
    return side_frame(pairs, "left"), side_frame(pairs, "right"), pairs["label"].cast(pl.Int8)


def figures(decisions: pl.Series, labels: pl.Series) -> dict[str, float]:
    """F1/precision/recall of "auto" and the share sent to review."""
    auto = decisions == "auto"
    tp = int((auto & (labels == 1)).sum())
    fp = int((auto & (labels == 0)).sum())
    fn = int((~auto & (labels == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    review = float((decisions == "review").sum()) / max(len(decisions), 1)
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "review": review,
        "pairs": float(len(labels)),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def evaluate(path: Path, config: MatchConfig) -> tuple[dict[str, float], pl.DataFrame]:
    left, right, labels = read_pairs(path)
    scored = score_pairs(left, right, config)
    detail = pl.concat(
        [
            left.select(pl.col("title").alias("l_title"), pl.col("album").alias("l_album")),
            right.select(pl.col("title").alias("r_title"), pl.col("album").alias("r_album")),
            scored,
            labels.to_frame("label"),
        ],
        how="horizontal",
    )
    return figures(scored["decision"], labels), detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/matching/itunes-amazon"))
    parser.add_argument("--splits", default="train,valid")
    parser.add_argument("--errors", action="store_true", help="print the misclassified pairs")
    args = parser.parse_args(argv)
    config = MatchConfig()
    print(f"{'variant':<11}{'split':<7}{'pairs':>6}{'F1':>8}{'prec':>8}{'recall':>8}{'review':>8}")
    for variant in ("structured", "dirty"):
        for split in args.splits.split(","):
            path = args.data / variant / f"{split}.csv"
            if not path.exists():
                print(f"{variant:<11}{split:<7} missing: {path}", file=sys.stderr)
                continue
            result, detail = evaluate(path, config)
            print(
                f"{variant:<11}{split:<7}{int(result['pairs']):>6}{result['f1']:>8.3f}"
                f"{result['precision']:>8.3f}{result['recall']:>8.3f}{result['review']:>8.1%}"
            )
            if args.errors:
                wrong = detail.filter((pl.col("decision") == "auto") != (pl.col("label") == 1))
                with pl.Config(tbl_rows=200, fmt_str_lengths=60, tbl_width_chars=250):
                    print(wrong.drop("l_album", "r_album"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
