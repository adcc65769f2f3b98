"""The evidence a pending review carries: each candidate's metadata, score,
tier, rule and named part scores, recorded by ``migrate``/``sync`` when a
match waits for a curator, so the Review page shows it without asking the
target provider again.

One candidate entry (``MatchDecision.candidates``)::

    {"id", "title", "artists", "album", "duration_ms", "isrc", "explicit", "release_date", "url",
     "score", "decision", "rule",
     "parts": {"title", "artists", "album", "duration", "version", "explicit"}}
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from engine.formats._common import track_link
from engine.frame import tracks_frame
from engine.matching import PART_COLUMNS, MatchConfig, score_pairs

MAX_CANDIDATES = 4
"""Candidates kept per pending review: the best and up to three alternatives."""

_SCORED_FIELDS = ("title", "artists", "album", "duration_ms", "isrc", "explicit", "release_date")


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)


def _options(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The best candidate and its alternatives, each once, best first."""
    options = [
        {"id": row["catalog_id"], "score": row["score"], "decision": row["decision"]}
        | {"rule": row["rule"]}
    ]
    options += [
        {"id": a["catalog_id"], "score": a["score"], "decision": a["decision"], "rule": a["rule"]}
        for a in row.get("alternatives") or []
    ]
    seen: set[str] = set()
    kept = []
    for option in options:
        if option["id"] in (None, "") or str(option["id"]) in seen:
            continue
        seen.add(str(option["id"]))
        kept.append(option | {"id": str(option["id"])})
    return kept[:MAX_CANDIDATES]


def review_evidence(
    source: pl.DataFrame,
    candidates: pl.DataFrame,
    decided: pl.DataFrame,
    provider: str,
    config: MatchConfig,
) -> dict[str, list[dict[str, Any]]]:
    """Source id -> candidate entries for every ``pending`` row of ``decided``
    (``match`` output with ``status``). ``candidates`` is the target catalogue
    the job matched against (``id`` = provider id); part scores are computed for
    all pending pairs in one :func:`score_pairs` call."""
    pending = decided.filter(pl.col("status") == "pending")
    if not pending.height:
        return {}
    by_id = {str(r["id"]): r for r in candidates.iter_rows(named=True)}
    sources = {str(r["id"]): r for r in source.iter_rows(named=True)}
    evidence: dict[str, list[dict[str, Any]]] = {str(s): [] for s in pending["source_id"]}
    pairs: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    unknown: list[tuple[str, dict[str, Any]]] = []
    for row in pending.iter_rows(named=True):
        for option in _options(row):
            found = by_id.get(option["id"])
            if found is not None and str(row["source_id"]) in sources:
                pairs.append((str(row["source_id"]), option, found))
            else:  # not among the gathered candidates: kept by id (the page looks it up)
                option["score"] = _number(option["score"])
                unknown.append((str(row["source_id"]), option))
    if pairs:
        _add_scored(evidence, pairs, sources, provider, config)
    for source_id, option in unknown:
        evidence[source_id].append(option)
    return evidence


def _add_scored(
    evidence: dict[str, list[dict[str, Any]]],
    pairs: list[tuple[str, dict[str, Any], dict[str, Any]]],
    sources: dict[str, dict[str, Any]],
    provider: str,
    config: MatchConfig,
) -> None:
    left = tracks_frame([{k: sources[s].get(k) for k in _SCORED_FIELDS} for s, _, _ in pairs])
    right = tracks_frame([{k: found.get(k) for k in _SCORED_FIELDS} for _, _, found in pairs])
    scored = score_pairs(left, right, config)
    for (source_id, option, found), parts in zip(
        pairs, scored.select(PART_COLUMNS).iter_rows(named=True), strict=True
    ):
        evidence[source_id].append(
            {
                "id": option["id"],
                "title": found.get("title"),
                "artists": list(found.get("artists") or []),
                "album": found.get("album"),
                "duration_ms": found.get("duration_ms"),
                "isrc": found.get("isrc"),
                "explicit": found.get("explicit"),
                "release_date": found.get("release_date"),
                "url": found.get("url") or track_link(provider, option["id"]),
                "score": _number(option["score"]),
                "decision": option["decision"],
                "rule": option["rule"],
                "parts": {c.removeprefix("part_"): _number(v) for c, v in parts.items()},
            }
        )
