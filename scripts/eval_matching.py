"""Quality of the matcher on the labelled iTunes-Amazon pairs.

Usage: python scripts/eval_matching.py --data ../shared/data/matching/itunes-amazon
Prints, per variant (structured, dirty) and split (train, valid): F1 with only
"auto" counted as a match, precision and recall of "auto", and the share of pairs
sent to review. ``--errors`` lists the pairs the matcher gets wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from engine.matching import MatchConfig
from engine.matching.evaluation import evaluate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the matcher on labelled pairs.")
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
                    print(wrong)
    return 0


if __name__ == "__main__":
    sys.exit(main())
