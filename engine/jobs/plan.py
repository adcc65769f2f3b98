"""Where a migrate or sync starts: the source tracks, and the match plan on the target.

The source is named by id or path only (``{"playlist_id": 7}``, ``{"snapshot_id":
12}``, ``{"upload_id": 3}`` or, from the CLI, ``{"file": "road-trip.m3u8"}``);
a file is first imported into the
store as a playlist with one complete snapshot, so every later step (reports,
decisions, sync) refers to stored tracks.

The plan is made once per job and kept in its checkpoint: candidates from the
target found by the query ladder (``engine.jobs.search_ladder``: ISRC lookups,
batched as the provider allows, then fielded, normalised, title-only and
album queries, each rung only for the tracks still unmatched), decided by
``engine.matching.match`` with the curator's standing decisions as rules, the
job owner's saved matcher settings (``engine.store.preferences``, the ones the
Settings page edits), and the review policy applied.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import UsageError
from engine.jobs.duplicates import mark_duplicates, source_key
from engine.jobs.evidence import review_evidence
from engine.jobs.isolation import search_failure, track_errors
from engine.jobs.known_ids import known_target_ids
from engine.jobs.runner import JobContext
from engine.jobs.search_ladder import (
    SEARCH_LIMIT,
    Ladder,
    budget_for,
    candidate_rows,
    candidates_frame,
    trail_text,
)
from engine.matching import MatchConfig
from engine.providers.base import Provider
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import Job, JobRecord, MatchDecision
from engine.store.preferences import load_match_config

if TYPE_CHECKING:
    from engine.runtime import Runtime

REVIEW_POLICIES = ("wait", "skip", "best")
"""What a review-tier match does: ``wait`` records it for a curator and leaves it
out for now; ``skip`` leaves it out; ``best`` takes the best candidate."""

__all__ = ["REVIEW_POLICIES", "SEARCH_LIMIT", "gather_candidates", "make_plan", "search_query"]


def load_source(ctx: JobContext, source: dict[str, Any]) -> tuple[pl.DataFrame, str, int | None]:
    """The source tracks (canonical frame with ``track_id``), a name, and the
    stored playlist id (None for a bare snapshot)."""
    user_id = ctx.user_id
    if "upload_id" in source:
        playlist_id = ctx.checkpoint.get("source_playlist_id")
        if playlist_id is None:
            playlist_id = import_upload(ctx, int(source["upload_id"]), source.get("name"))
            ctx.save_checkpoint(source_playlist_id=playlist_id)
        source = {"playlist_id": playlist_id}
    if "file" in source:
        playlist_id = ctx.checkpoint.get("source_playlist_id")
        if playlist_id is None:
            playlist_id = import_file(ctx, Path(str(source["file"])), source.get("name"))
            ctx.save_checkpoint(source_playlist_id=playlist_id)
        source = {"playlist_id": playlist_id}
    if "account_id" in source:
        playlist_id = ctx.checkpoint.get("source_playlist_id")
        if playlist_id is None:
            playlist_id = pull_source(ctx, source)
            ctx.save_checkpoint(source_playlist_id=playlist_id)
        source = {"playlist_id": playlist_id}
    if "playlist_id" in source:
        with Session(ctx.runtime.engine) as session:
            playlist = repo.get_playlist(session, int(source["playlist_id"]), user_id=user_id)
            name = playlist.name
        frame = repo.effective_items(ctx.runtime.engine, playlist.id)
        return frame, name, playlist.id
    if "snapshot_id" in source:
        with Session(ctx.runtime.engine) as session:
            from engine.store.models import Snapshot

            snapshot = session.get(Snapshot, int(source["snapshot_id"]))
            if snapshot is None:
                raise UsageError(f"snapshot {source['snapshot_id']} does not exist")
            playlist = repo.get_playlist(session, snapshot.playlist_id, user_id=user_id)
        return repo.snapshot_frame(ctx.runtime.engine, snapshot.id), playlist.name, playlist.id
    raise UsageError(
        "source must name a playlist_id, a snapshot_id, an upload_id, a file, or an account_id "
        "with a provider_playlist_id"
    )


def pull_source(ctx: JobContext, source: dict[str, Any]) -> int:
    """Snapshot a provider playlist (or, with ``"liked"``, the liked tracks) into
    the store and return the stored playlist id."""
    from engine.jobs.connect import open_account
    from engine.jobs.pull import LIKED_ID, capture
    from engine.providers.base import PlaylistInfo

    account_id = int(source["account_id"])
    wanted = str(source.get("provider_playlist_id") or "liked")
    with open_account(ctx.runtime, account_id, user_id=ctx.user_id) as provider:
        ctx.progress.phase("reading source")
        if wanted in ("liked", LIKED_ID):
            info, kind = PlaylistInfo(id=LIKED_ID, name="Liked tracks"), "liked"
        else:
            found = [p for p in provider.playlists() if p.id == wanted]
            if not found:
                raise UsageError(f"{provider.name} playlist {wanted} not found in account")
            info, kind = found[0], "playlist"
        return int(capture(ctx, provider, account_id, info, kind)["playlist_id"])


def import_upload(ctx: JobContext, upload_id: int, name: str | None = None) -> int:
    """Store one of the job owner's uploads as a playlist (``import_file``)."""
    from engine.userfiles import upload_path

    if ctx.user_id is None:
        raise UsageError("importing an upload needs a user")
    path, filename = upload_path(ctx.runtime, ctx.user_id, upload_id)
    return import_file(ctx, path, name or Path(filename).stem.split(".")[0] or filename)


def import_file(ctx: JobContext, path: Path, name: str | None = None) -> int:
    """Store a playlist file as a playlist with one complete snapshot."""
    from engine import formats

    if ctx.user_id is None:
        raise UsageError("importing a file needs a user")
    limits = formats.ReadLimits.from_settings(ctx.runtime.settings)
    read = formats.load(path, limits=limits, source=path.name)
    frame = read.frame()
    if read.warnings:
        ctx.save_checkpoint(read_warnings=[w.as_dict() for w in read.warnings])
        ctx.progress.note(
            f"{len(read.warnings)} warning(s) reading {path.name}: {read.warnings[0]}"
        )
    ctx.progress.phase("importing", total=frame.height)
    with session_scope(ctx.runtime.engine) as session:
        playlist = repo.create_playlist(
            session,
            ctx.user_id,
            name or path.stem,
            source="file",
            file_path=str(path),
        )
        snapshot = repo.begin_snapshot(session, playlist.id, job_id=ctx.job_id)
        track_ids = repo.upsert_tracks(session, frame)
        repo.add_snapshot_items(session, snapshot.id, track_ids)
        repo.complete_snapshot(session, snapshot.id)
        playlist_id = int(playlist.id)
    ctx.progress.advance(frame.height)
    return playlist_id


def search_query(title: str | None, artists: list[str] | None) -> str:
    """The text query for a track: its first artist and its title."""
    artist = (artists or [""])[0] or ""
    return f"{artist} {title or ''}".strip()


class CandidateLog:
    """Candidates gathered so far, one ``job_records`` row per lookup or search
    (with its rung and query), written as soon as it returns: a resumed run
    (after a crash, or the next day after a spent quota) skips the lookups and
    searches already made. A :class:`~engine.jobs.search_ladder.CandidateStore`."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.isrcs_done: set[str] = set()
        self.results: dict[str, list[dict[str, Any]]] = {}
        self._seq = 0
        with ctx.runtime.engine.connect() as conn:
            records = conn.execute(
                select(JobRecord.seq, JobRecord.data)
                .where(JobRecord.job_id == ctx.job_id, JobRecord.kind == "candidates")
                .order_by(JobRecord.seq)
            ).all()
        for record in records:
            rows = record.data.get("rows") or []
            self.rows.extend(rows)
            self.isrcs_done.update(record.data.get("isrcs") or [])
            if record.data.get("query"):
                self.results[record.data["query"]] = rows
            self._seq = record.seq + 1

    @property
    def searched(self) -> set[str]:
        """The text queries already asked."""
        return set(self.results)

    def add(
        self,
        frame: pl.DataFrame,
        *,
        isrcs: list[str] | None = None,
        query: str | None = None,
        rung: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        rows = candidate_rows(frame)
        data: dict[str, Any] = {"rows": rows}
        if rung is not None:
            data["rung"] = rung
        if errors:  # a per-track 404/400: the track is reported, the job goes on
            data["errors"] = errors
        if isrcs is not None:
            data["isrcs"] = isrcs
            self.isrcs_done.update(isrcs)
        if query is not None:
            data["query"] = query
            self.results[query] = rows
        with self.ctx.runtime.engine.begin() as conn:
            conn.execute(
                insert(JobRecord).values(
                    job_id=self.ctx.job_id, kind="candidates", seq=self._seq, data=data
                )
            )
        self._seq += 1
        self.rows.extend(rows)

    def frame(self) -> pl.DataFrame:
        return candidates_frame(self.rows)


def gather_candidates(
    ctx: JobContext, provider: Provider, source: pl.DataFrame, config: MatchConfig | None = None
) -> tuple[pl.DataFrame, dict[str, list[dict[str, Any]]]]:
    """Target catalogue tracks that may match (``id`` = the provider id), found
    by the query ladder (``engine.jobs.search_ladder``), and each source track's
    trail of queries by source id."""
    ladder = Ladder(
        provider,
        CandidateLog(ctx),
        config=config or load_match_config(ctx.runtime.engine, ctx.user_id),
        budget=budget_for(provider, ctx.runtime.settings),
        phase=lambda name, total, done: ctx.progress.phase(name, total=total, done=done),
        advance=ctx.progress.advance,
    )
    return ladder.run(source)


def curator_rules(
    ctx: JobContext, track_ids: list[int], target_provider: str, source_ids: pl.DataFrame
) -> pl.DataFrame | None:
    """Curator decisions as ``match`` rules (source_id -> catalog_id or "not available")."""
    if ctx.user_id is None or not track_ids:
        return None
    with Session(ctx.runtime.engine) as session:
        rows = session.execute(
            select(
                MatchDecision.source_track_id, MatchDecision.status, MatchDecision.target_track_id
            )
            .where(
                MatchDecision.user_id == ctx.user_id,
                MatchDecision.target_provider == target_provider,
                MatchDecision.decided_by == "curator",
                MatchDecision.undone_at.is_(None),
                MatchDecision.source_track_id.in_(track_ids),
            )
            .order_by(MatchDecision.decided_at, MatchDecision.id)
        ).all()
    latest = {r.source_track_id: r for r in rows}  # the newest decision wins
    if not latest:
        return None
    records = []
    for source_id, track_id in source_ids.iter_rows():
        rule = latest.get(track_id)
        if rule is None or rule.status not in ("matched", "not_available"):
            continue
        target = rule.target_track_id if rule.status == "matched" else "not available"
        records.append({"source_id": source_id, "catalog_id": target, "provider": target_provider})
    return pl.DataFrame(records) if records else None


def decide(matched: pl.DataFrame, policy: str) -> pl.DataFrame:
    """Add ``take`` (the target id to add, or null) and ``status`` (matched,
    pending, not_available) to ``match`` output under the review policy."""
    if policy not in REVIEW_POLICIES:
        raise UsageError(f"review_policy must be one of {REVIEW_POLICIES}, not {policy!r}")
    take_review = policy == "best"
    return matched.with_columns(
        take=pl.when(
            (pl.col("decision") == "auto") | ((pl.col("decision") == "review") & take_review)
        )
        .then(pl.col("catalog_id"))
        .otherwise(None),
        status=pl.when(pl.col("decision") == "auto")
        .then(pl.lit("matched"))
        .when(pl.col("decision") == "review")
        .then(pl.lit("matched" if take_review else "pending"))
        .otherwise(pl.lit("not_available")),
    )


def trust_known_ids(
    decided: pl.DataFrame, source: pl.DataFrame, candidates: pl.DataFrame, target: str
) -> pl.DataFrame:
    """A source row that names its target (a link, a known id) found there by id is
    that target: ``matched`` with rule ``id`` (a curator's decision still wins)."""
    available = set(candidates["id"].to_list()) if candidates.height else set()
    known = {s: t for s, t in known_target_ids(source, target).items() if t in available}
    if not known:
        return decided
    hit = pl.col("source_id").is_in(list(known)) & (pl.col("rule") != "curator")
    named = pl.col("source_id").replace_strict(known, default=None, return_dtype=pl.Utf8)
    return decided.with_columns(
        catalog_id=pl.when(hit).then(named).otherwise(pl.col("catalog_id")),
        take=pl.when(hit).then(named).otherwise(pl.col("take")),
        decision=pl.when(hit).then(pl.lit("auto")).otherwise(pl.col("decision")),
        rule=pl.when(hit).then(pl.lit("id")).otherwise(pl.col("rule")),
        status=pl.when(hit).then(pl.lit("matched")).otherwise(pl.col("status")),
    )


def make_plan(
    ctx: JobContext, provider: Provider, source: pl.DataFrame, policy: str
) -> list[dict[str, Any]]:
    """One row per source item (in source order): position, track_id, title,
    artists, isrc, decision, rule, score, target id (``take``), status. The
    decisions are recorded in the store together with the checkpoint."""
    from engine.matching import match

    config = load_match_config(ctx.runtime.engine, ctx.user_id)
    target = provider.name
    source = source.with_columns(pl.col("id").cast(pl.Utf8), _key=source_key())
    candidates, trails = gather_candidates(ctx, provider, source.drop("_key"), config)
    ctx.progress.phase("matching", total=source.height)
    # Each distinct source track is resolved once and its decision reused by every
    # identical row: two copies of a song never end up on two editions of it.
    firsts = source.unique("_key", keep="first", maintain_order=True)
    rules = curator_rules(
        ctx,
        [int(t) for t in firsts["track_id"].to_list()],
        target,
        firsts.select("id", "track_id"),
    )
    result = match(firsts.drop("_key"), candidates, config=config, rules=rules)
    decided = trust_known_ids(decide(result, policy), firsts, candidates, target)
    by_source = review_evidence(firsts.drop("_key"), candidates, decided, target, config)
    key_of = dict(firsts.select("id", "_key").iter_rows())
    by_key = {key_of[source_id]: found for source_id, found in by_source.items()}
    evidence = {  # the evidence of each pending review, by source track id
        int(track_id): by_key[key]
        for track_id, key in source.select("track_id", "_key").iter_rows()
        if key in by_key
    }
    decided = decided.with_columns(
        _key=pl.col("source_id").replace_strict(key_of, return_dtype=pl.Utf8)
    ).drop("source_id")
    errors = track_errors(ctx.runtime, ctx.job_id)
    failures = {sid: search_failure(errors, steps) for sid, steps in trails.items()}
    joined = (
        source.select("id", "position", "track_id", "title", "artists", "isrc", "_key")
        .join(decided, on="_key", how="left")
        .with_columns(
            queries=pl.col("id").replace_strict(
                {k: trail_text(v) for k, v in trails.items()}, default="", return_dtype=pl.Utf8
            )
        )
    )
    rows = joined.sort("position").to_dicts()
    plan = [
        {
            "position": int(r["position"]),
            "track_id": int(r["track_id"]),
            "title": r["title"],
            "artists": r["artists"],
            "isrc": r["isrc"],
            "decision": r["decision"],
            "rule": r["rule"],
            "score": None if r["score"] is None or math.isnan(r["score"]) else round(r["score"], 4),
            "target_id": r["take"],
            "best_id": r["catalog_id"],
            "status": r["status"],
            "alternatives": [a["catalog_id"] for a in (r.get("alternatives") or [])][:3],
            "queries": r["queries"],
            "reason": failures.get(str(r["id"])) if r["status"] == "not_available" else None,
        }
        for r in rows
    ]
    mark_duplicates(plan, candidates)
    ctx.progress.advance(source.height)
    _record(ctx, target, plan, evidence)
    return plan


def _record(
    ctx: JobContext,
    target: str,
    plan: list[dict[str, Any]],
    evidence: dict[int, list[dict[str, Any]]],
) -> None:
    """Store the decisions, the plan rows and the checkpoint in one transaction,
    so a crash never records decisions twice or leaves half a plan."""
    ctx.checkpoint["planned"] = len(plan)
    with session_scope(ctx.runtime.engine) as session:
        if ctx.user_id is not None:
            for row in plan:
                if row["rule"] == "curator" or row["status"] == "duplicate":
                    continue
                repo.record_decision(
                    session,
                    ctx.user_id,
                    row["track_id"],
                    target,
                    status=row["status"],
                    target_track_id=row["target_id"] or row["best_id"]
                    if row["status"] == "matched"
                    else None,
                    score=row["score"],
                    tier=row["decision"],
                    rule=row["rule"],
                    candidates=evidence.get(row["track_id"], [])
                    if row["status"] == "pending"
                    else [],
                    job_id=ctx.job_id,
                )
        session.execute(  # the claim log ("runner" rows) stays
            delete(JobRecord).where(
                JobRecord.job_id == ctx.job_id, JobRecord.kind.in_(("plan", "candidates"))
            )
        )
        if plan:
            session.execute(
                insert(JobRecord),
                [
                    {"job_id": ctx.job_id, "kind": "plan", "seq": i, "data": row}
                    for i, row in enumerate(plan)
                ],
            )
        session.execute(
            update(Job).where(Job.id == ctx.job_id).values(checkpoint=dict(ctx.checkpoint))
        )


def load_plan(runtime: Runtime, job_id: str) -> list[dict[str, Any]]:
    """The plan rows a job made, in source order ([] before it planned)."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(JobRecord.data)
            .where(JobRecord.job_id == job_id, JobRecord.kind == "plan")
            .order_by(JobRecord.seq)
        ).all()
    return [dict(row.data) for row in rows]
