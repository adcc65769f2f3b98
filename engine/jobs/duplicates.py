"""Same input, same output: identical source rows resolved once, and the same
recording never added twice under two ids.

>>> # plan rows in source order, then: mark_duplicates(plan, candidates)
"""

from __future__ import annotations

from typing import Any

import polars as pl

from engine.matching.normalize import fold_text

DUPLICATE_DURATION_MS = 2_000
"""Two targets with the same normalised title and artists and durations this
close are one recording under two ids (another edition): added once."""


def source_key() -> pl.Expr:
    """What makes two source rows identical: the same stored track, or the same
    ISRC, title, artists, album and duration."""
    return pl.concat_str(
        [
            pl.col("isrc").fill_null("").str.to_uppercase(),
            pl.col("title").fill_null(""),
            pl.col("artists").list.join("\x1f").fill_null(""),
            pl.col("album").fill_null(""),
            pl.col("duration_ms").cast(pl.Utf8).fill_null(""),
        ],
        separator="\x1e",
    )


def mark_duplicates(plan: list[dict[str, Any]], candidates: pl.DataFrame) -> None:
    """Before anything is written: a target added once, at its first position;
    a later row whose target is the same recording under another id (same ISRC,
    or same normalised title and artists within ``DUPLICATE_DURATION_MS``) is a
    ``duplicate`` with the position it repeats as its reason."""
    known = {
        row["id"]: row
        for row in candidates.select("id", "isrc", "title", "artists", "duration_ms").to_dicts()
    }
    by_id: dict[str, int] = {}
    by_isrc: dict[str, int] = {}
    by_text: dict[tuple[str, str], list[tuple[int | None, int]]] = {}
    for row in plan:
        target_id = row["target_id"]
        if not target_id:
            continue
        info = known.get(target_id) or {}
        isrc = str(info.get("isrc") or "").upper()
        text = (fold_text(info.get("title")), fold_text(" ".join(info.get("artists") or [])))
        duration = info.get("duration_ms")
        first: int | None = by_id.get(target_id)
        why = "the same target"
        if first is None and isrc and isrc in by_isrc:
            first, why = by_isrc[isrc], f"the same recording (ISRC {isrc})"
        if first is None and info and text[0]:
            for other, position in by_text.get(text, []):
                if (
                    duration is None
                    or other is None
                    or abs(duration - other) <= DUPLICATE_DURATION_MS
                ):
                    first, why = position, "the same recording (title, artists, duration)"
                    break
        if first is not None:
            row["status"], row["target_id"] = "duplicate", None
            row["reason"] = f"{why} as position {first}"
            continue
        by_id[target_id] = row["position"]
        if isrc:
            by_isrc.setdefault(isrc, row["position"])
        if info and text[0]:
            by_text.setdefault(text, []).append((duration, row["position"]))
