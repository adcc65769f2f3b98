"""Train the matcher's model from labelled pairs plus generated hard negatives.

Usage (``make train-matcher`` runs this):
    python scripts/train_matcher.py --data ../shared/data/matching/itunes-amazon \
        --seed 14 --out engine/matching/models/matcher-v1.json

Reads ``{structured,dirty}/train.csv`` under ``--data`` (never ``valid``: that is
only reported on), adds ``augment.candidate_groups`` built from the train
records, fits and calibrates, writes the model file, and prints the figures of
the new model on ``valid`` when present. Same data and seed: the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.matching import MatchConfig
from engine.matching.augment import candidate_groups
from engine.matching.evaluation import evaluate
from engine.matching.training import fit, groups_set, pair_file_set, train_records

VARIANTS = ("structured", "dirty")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the matcher model.")
    parser.add_argument("--data", type=Path, required=True, help="folder of {variant}/train.csv")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-record", type=int, default=3, help="generated groups per record")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = [args.data / v / "train.csv" for v in VARIANTS]
    if missing := [str(f) for f in files if not f.exists()]:
        parser.error(f"--data: missing {', '.join(missing)}")
    data = pair_file_set(files[0])
    for path in files[1:]:
        data = data + pair_file_set(path)
    records = train_records(files[0])
    data = data + groups_set(candidate_groups(records, args.seed, args.per_record))
    model = fit(
        data,
        args.seed,
        {"data": [f"{f.parent.name}/{f.name}" for f in files], "generated_from": len(records)},
    )
    model.save(args.out)
    print(
        f"trained on {len(data.labels):,} pairs ({int(data.labels.sum()):,} matches) in "
        f"{time.perf_counter() - started:.1f} s -> {args.out} "
        f"({args.out.stat().st_size / 1024:.0f} kB)"
    )
    config = MatchConfig(model_path=str(args.out))
    for variant in VARIANTS:
        valid = args.data / variant / "valid.csv"
        if valid.exists():
            result, _ = evaluate(valid, config)
            print(
                f"valid {variant:<10} F1 {result['f1']:.3f}  precision {result['precision']:.3f}"
                f"  recall {result['recall']:.3f}  review {result['review']:.1%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
