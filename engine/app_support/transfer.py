"""Transfer: choose a source and a target account, preview the match by tier
(a dry run that writes nothing), then start a ``migrate`` job.

A source is the same dict the ``migrate`` job takes: ``{"playlist_id": ..}``,
``{"snapshot_id": ..}``, ``{"upload_id": .., "name": ..}`` (``{"file": path}``
only in single-user mode) or
``{"account_id": .., "provider_playlist_id": ..}`` (``"liked"`` for liked tracks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import formats, jobs, userfiles
from engine.errors import NotFoundError, UsageError
from engine.jobs.connect import open_account
from engine.jobs.plan import REVIEW_POLICIES
from engine.jobs.search_ladder import Ladder, MemoryStore, budget_for
from engine.matching import PART_COLUMNS, MatchConfig, match
from engine.providers.base import PlaylistInfo, Provider
from engine.runtime import Runtime
from engine.store import repo
from engine.store.models import MatchDecision, ProviderAccount, Snapshot
from engine.userfiles import StoredUpload

DRY_RUN_MAX_TRACKS = 500
"""A dry run searches the target for each track; beyond this many it previews the
first ones only (the job itself handles any size)."""

TIERS = ("auto", "review", "none")
PREVIEW_COLUMNS = [
    "position",
    "title",
    "artists",
    "tier",
    "rule",
    "score",
    "target_title",
    "target_artists",
    "target_album",
    "target_length",
    *(c.removeprefix("part_") + " match" for c in PART_COLUMNS),
    "target_id",
]


@dataclass(frozen=True)
class DryRun:
    """What a transfer would do: one row per previewed source track."""

    rows: pl.DataFrame
    source_tracks: int
    previewed: int
    target_provider: str

    def counts(self) -> dict[str, int]:
        """Tracks per tier: ``auto`` (matched), ``review`` (asks a curator), ``none``."""
        found = dict(self.rows.group_by("tier").len().iter_rows()) if self.rows.height else {}
        return {tier: int(found.get(tier, 0)) for tier in TIERS}


def connected_accounts(runtime: Runtime, user_id: int) -> list[ProviderAccount]:
    """The user's accounts that jobs can use (connected, not needing reconnect)."""
    with Session(runtime.engine) as session:
        rows = session.scalars(
            select(ProviderAccount)
            .where(ProviderAccount.user_id == user_id, ProviderAccount.status == "connected")
            .order_by(ProviderAccount.provider)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def provider_playlists(runtime: Runtime, user_id: int, account_id: int) -> list[PlaylistInfo]:
    """The playlists of one of the user's connected accounts, read live."""
    with open_account(runtime, account_id, user_id=user_id) as provider:
        return provider.playlists()


def save_upload(runtime: Runtime, user_id: int, filename: str, data: bytes) -> StoredUpload:
    """Keep an uploaded playlist file as one of the user's uploads (checked to
    read; FormatError naming the file and line when it does not); a transfer
    names it ``{"upload_id": id}``."""
    return userfiles.save_upload(runtime, user_id, filename, data)


@dataclass(frozen=True)
class UploadPreview:
    """What an uploaded file holds, shown before any dry run."""

    format: str
    variant: str | None
    playlists: int
    tracks: int
    warnings: list[str]


def preview_upload(runtime: Runtime, user_id: int, upload_id: int, name: str) -> UploadPreview:
    """Read one of the user's uploads (messages name ``name``, not the server
    path): detected format and layout variant, counts, every warning."""
    path, _ = userfiles.upload_path(runtime, user_id, int(upload_id))
    result = formats.load(path, source=name)
    return UploadPreview(
        format=result.format,
        variant=result.variant,
        playlists=len(result.playlists),
        tracks=result.tracks,
        warnings=[str(w) for w in result.warnings],
    )


def source_frame(runtime: Runtime, user_id: int, source: dict[str, Any]) -> pl.DataFrame:
    """The source's tracks as a canonical frame with unique ``id`` values."""
    if "playlist_id" in source:
        with Session(runtime.engine) as session:
            repo.get_playlist(session, int(source["playlist_id"]), user_id=user_id)
        frame = repo.effective_items(runtime.engine, int(source["playlist_id"]))
    elif "snapshot_id" in source:
        with Session(runtime.engine) as session:
            snapshot = session.get(Snapshot, int(source["snapshot_id"]))
            if snapshot is None:
                raise NotFoundError(f"snapshot {source['snapshot_id']} does not exist")
            repo.get_playlist(session, snapshot.playlist_id, user_id=user_id)
        frame = repo.snapshot_frame(runtime.engine, int(source["snapshot_id"]))
    elif "upload_id" in source:
        path, _ = userfiles.upload_path(runtime, user_id, int(source["upload_id"]))
        frame = formats.read(path)
    elif "file" in source and not runtime.settings.oidc_enabled:
        frame = formats.read(Path(str(source["file"])))
    elif "account_id" in source:
        wanted = str(source.get("provider_playlist_id") or "liked")
        with open_account(runtime, int(source["account_id"]), user_id=user_id) as provider:
            frame = (
                provider.liked_tracks() if wanted == "liked" else provider.playlist_items(wanted)
            )
    else:
        raise UsageError("choose a source: a playlist, a snapshot, a file or a provider playlist")
    numbered = frame.with_row_index("_cf_row")
    return numbered.with_columns(
        pl.col("_cf_row").cast(pl.Utf8).alias("id"),
        pl.col("_cf_row").cast(pl.Int64).alias("position"),
    ).drop("_cf_row")


def _candidates(
    runtime: Runtime, provider: Provider, source: pl.DataFrame, config: MatchConfig
) -> pl.DataFrame:
    """The candidates a migration would gather: the same query ladder, kept in memory."""
    ladder = Ladder(
        provider, MemoryStore(), config=config, budget=budget_for(provider, runtime.settings)
    )
    return ladder.run(source)[0]


def _rules(
    runtime: Runtime, user_id: int, provider: str, source: pl.DataFrame
) -> pl.DataFrame | None:
    if "track_id" not in source.columns:
        return None
    by_track = {int(t): sid for sid, t in source.select("id", "track_id").iter_rows() if t}
    if not by_track:
        return None
    with Session(runtime.engine) as session:
        rows = session.execute(
            select(
                MatchDecision.source_track_id, MatchDecision.status, MatchDecision.target_track_id
            )
            .where(
                MatchDecision.user_id == user_id,
                MatchDecision.target_provider == provider,
                MatchDecision.decided_by == "curator",
                MatchDecision.undone_at.is_(None),
                MatchDecision.source_track_id.in_(list(by_track)),
            )
            .order_by(MatchDecision.decided_at, MatchDecision.id)
        ).all()
    latest = {r.source_track_id: r for r in rows}
    records = [
        {
            "source_id": by_track[track_id],
            "catalog_id": r.target_track_id if r.status == "matched" else "not available",
            "provider": provider,
        }
        for track_id, r in latest.items()
        if r.status in ("matched", "not_available")
    ]
    return pl.DataFrame(records) if records else None


def dry_run(
    runtime: Runtime,
    user_id: int,
    source: dict[str, Any],
    target_account_id: int,
    *,
    config: MatchConfig | None = None,
    max_tracks: int = DRY_RUN_MAX_TRACKS,
) -> DryRun:
    """Match the source against the target account's catalogue and report what
    would happen, by tier; nothing is written anywhere."""
    frame = source_frame(runtime, user_id, source)
    preview = frame.head(max_tracks)
    config = config or MatchConfig()
    with open_account(runtime, target_account_id, user_id=user_id) as target:
        candidates = _candidates(runtime, target, preview, config)
        name = target.name
    rules = _rules(runtime, user_id, name, preview)
    result = match(preview, candidates, config=config, rules=rules)
    return DryRun(preview_rows(preview, result, candidates), frame.height, preview.height, name)


def preview_rows(
    preview: pl.DataFrame, result: pl.DataFrame, candidates: pl.DataFrame
) -> pl.DataFrame:
    """One row per source track: the source beside the chosen target (title,
    artists, album, length) and the named parts of the score; ``target_id``
    stays for reference."""
    parts = [c for c in PART_COLUMNS if c in result.columns]
    targets = (
        candidates.select(
            pl.col("id").cast(pl.Utf8).alias("catalog_id"),
            pl.col("title").alias("target_title"),
            pl.col("artists").list.join(", ").alias("target_artists"),
            pl.col("album").alias("target_album"),
            pl.col("duration_ms").alias("target_ms"),
        ).unique("catalog_id", keep="first")
        if candidates.height and "id" in candidates.columns
        else pl.DataFrame(
            schema={
                "catalog_id": pl.Utf8,
                "target_title": pl.Utf8,
                "target_artists": pl.Utf8,
                "target_album": pl.Utf8,
                "target_ms": pl.Int64,
            }
        )
    )
    seconds = (pl.col("target_ms") / 1000).round(0).cast(pl.Int64)
    length = pl.format("{}:{}", seconds // 60, (seconds % 60).cast(pl.Utf8).str.zfill(2))
    return (
        preview.select(
            "id", "position", "title", pl.col("artists").list.join(", "), "album", "duration_ms"
        )
        .join(result.rename({"source_id": "id"}), on="id", how="left")
        .join(targets, on="catalog_id", how="left")
        .select(
            "position",
            "title",
            "artists",
            pl.col("decision").fill_null("none").alias("tier"),
            "rule",
            pl.col("score").fill_nan(None).round(3),
            "target_title",
            "target_artists",
            "target_album",
            pl.when(pl.col("target_ms").is_not_null()).then(length).alias("target_length"),
            *[
                pl.col(c).fill_nan(None).round(2).alias(c.removeprefix("part_") + " match")
                for c in parts
            ],
            pl.col("catalog_id").alias("target_id"),
        )
        .sort("position")
    )


def start_transfer(
    runtime: Runtime,
    user_id: int,
    source: dict[str, Any],
    target_account_id: int,
    *,
    name: str | None = None,
    review_policy: str = "wait",
    nonce: str | None = None,
) -> str:
    """Submit the ``migrate`` job (idempotent: the same request returns the same job).

    ``nonce`` names the Transfer form the request came from (the page renews it
    once a job has started): the idempotency key is derived from the parameters
    plus the nonce, so a double click follows one job while a deliberate re-run
    of the same transfer from a fresh form starts a new one. Without a nonce the
    key is derived from the parameters only."""
    if review_policy not in REVIEW_POLICIES:
        raise UsageError(f"review policy must be one of {REVIEW_POLICIES}, not {review_policy!r}")
    with Session(runtime.engine) as session:
        account = session.get(ProviderAccount, target_account_id)
        if account is None or account.user_id != user_id:
            raise NotFoundError(f"no provider account {target_account_id}")
    params: dict[str, Any] = {
        "source": source,
        "target_account_id": target_account_id,
        "review_policy": review_policy,
    }
    if name and name.strip():
        params["name"] = name.strip()
    key = None
    if nonce is not None:
        if not nonce.strip():
            raise UsageError("the transfer form's nonce is empty")
        key = jobs.derive_key(user_id, "migrate", {"params": params, "form": nonce})
    return jobs.submit(
        runtime,
        "migrate",
        params,
        user_id=user_id,
        idempotency_key=key,
        local=not runtime.settings.oidc_enabled,  # multi-user: ids and uploads only
    )
