"""The unmatched-and-review report of a migrate: one CSV row per source track
that was not added as an automatic match (review, not available, duplicate,
rejected by the target), with the reason where one is known (a failed search,
the position a duplicate repeats, the target's refusal)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.formats.cells import neutralise_row
from engine.jobs.runner import JobContext
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import Export

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
    "queries",
    "reason",
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
            # the query ladder's trail: each rung's query, its hits and the outcome
            "queries": row.get("queries") or "",
            "reason": row.get("reason") or "",
        }
        for row in plan
        if not (row["status"] == "matched" and row["decision"] == "auto")
    ]


def write_report(ctx: JobContext, plan: list[dict[str, Any]], target: str) -> Path:
    """Write the report CSV and record it as one of the owner's exports.

    It goes to ``params.report_dir`` (CLI only), else to the job's folder in
    the owner's export area (``engine.userfiles``), downloadable from
    ``/exports/{id}/download``; a job without a user writes ``<data_dir>/reports``.
    """
    from engine.userfiles import job_export_dir

    if ctx.params.get("report_dir"):
        folder = Path(str(ctx.params["report_dir"]))
    elif ctx.user_id is not None:
        folder = job_export_dir(ctx.runtime.settings, ctx.user_id, ctx.job_id)
    else:
        folder = ctx.runtime.settings.data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"migrate-{target}-{ctx.job_id[:12]}.csv"
    partial = path.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(neutralise_row(row) for row in report_rows(plan))
    partial.replace(path)
    _record(ctx, path)
    return path


def _record(ctx: JobContext, path: Path) -> None:
    """One export row per report file (a resumed job rewrites, never re-records)."""
    if ctx.user_id is None:
        return
    with session_scope(ctx.runtime.engine) as session:
        known = session.scalar(
            select(Export.id).where(Export.job_id == ctx.job_id, Export.path == str(path))
        )
        if known is None:
            repo.record_export(
                session,
                ctx.user_id,
                format="report",
                path=str(path),
                job_id=ctx.job_id,
                size_bytes=path.stat().st_size,
            )
