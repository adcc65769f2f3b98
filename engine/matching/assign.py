"""One-to-one assignment: each catalogue track matched to at most one source track.

Greedy over the pairs, best first (ladder rung, then score): optimal for the
clear cases that matter, linear after the sort, and easy to explain ("this track
was taken by a better match").
"""

from __future__ import annotations

import polars as pl


def one_to_one(pairs: pl.DataFrame) -> pl.DataFrame:
    """Keep, best first, pairs whose ``s`` and ``c`` are both still free.

    ``pairs`` needs ``s``, ``c``, ``rule_rank`` and ``score``; returns the kept rows.

    >>> p = pl.DataFrame({"s": [0, 1], "c": [5, 5], "rule_rank": [3, 3], "score": [0.9, 0.95]})
    >>> one_to_one(p)["s"].to_list()
    [1]
    """
    ordered = pairs.with_row_index("_row").sort(
        ["rule_rank", "score", "s", "c"], descending=[False, True, False, False]
    )
    used_s: set[int] = set()
    used_c: set[int] = set()
    keep: list[int] = []
    for row, s, c in zip(
        ordered["_row"].to_list(), ordered["s"].to_list(), ordered["c"].to_list(), strict=True
    ):
        if s in used_s or c in used_c:
            continue
        used_s.add(s)
        used_c.add(c)
        keep.append(row)
    kept = pl.Series("_row", keep, dtype=pl.UInt32)
    return ordered.filter(pl.col("_row").is_in(kept)).drop("_row")
