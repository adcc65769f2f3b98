"""The unmatched-and-review report of a migrate: one CSV row per source track
that was not added as an automatic match (review, not available, duplicate)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from engine.jobs.runner import JobContext

REPORT_COLUMNS = [
    "position",
    "title",
    "artists",
    "isrc",
    "status",
    "decision",
    "rule",
    "score",
    "added_target_id",
    "best_candidate_id",
    "alternatives",
]


def report_rows(plan: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows needing a human's eye: everything except automatic matches."""
    return [
        {
            "position": row["position"],
            "title": row["title"],
            "artists": "; ".join(row["artists"] or []),
            "isrc": row["isrc"] or "",
            "status": row["status"],
            "decision": row["decision"] or "",
            "rule": row["rule"] or "",
            "score": "" if row["score"] is None else row["score"],
            "added_target_id": row["target_id"] or "",
            "best_candidate_id": row["best_id"] or "",
            "alternatives": " ".join(row["alternatives"]),
        }
        for row in plan
        if not (row["status"] == "matched" and row["decision"] == "auto")
    ]


def write_report(ctx: JobContext, plan: list[dict[str, Any]], target: str) -> Path:
    """Write the report CSV (to ``params.report_dir`` or ``<data_dir>/reports``)."""
    folder = Path(ctx.params.get("report_dir") or ctx.runtime.settings.data_dir / "reports")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"migrate-{target}-{ctx.job_id[:12]}.csv"
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(report_rows(plan))
    partial.replace(path)
    return path
