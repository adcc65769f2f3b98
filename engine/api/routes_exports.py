"""Exports: write a playlist (as shown) to a file, then download it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Path
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from engine import formats, userfiles
from engine.api.deps import Caller, get_caller, get_runtime, get_session, require_flag
from engine.api.problems import problem_responses
from engine.api.schemas import Export, ExportRequest, Limit, Offset, Page
from engine.frame import COLUMNS
from engine.runtime import Runtime
from engine.store import repo
from engine.store.models import Export as ExportRow

router = APIRouter(prefix="/exports", tags=["exports"])

ExportId = Annotated[int, Path(ge=1, le=2**53)]

FALLBACK_EXTENSIONS = {"exportify": ".csv", "spotify": ".json"}
"""File extensions for formats recognised by content rather than by name."""


def export_formats() -> list[str]:
    """The formats the API can write (``engine.formats.writable_formats``)."""
    return formats.writable_formats()


def _extension(fmt: formats.Format) -> str:
    if fmt.extensions:
        return fmt.extensions[0]
    return FALLBACK_EXTENSIONS.get(fmt.name, f".{fmt.name}")


def _view(row: ExportRow) -> Export:
    return Export(
        id=row.id,
        playlist_id=row.playlist_id,
        job_id=row.job_id,
        format=row.format,
        size_bytes=row.size_bytes,
        created_at=row.created_at,
        download_url=f"/exports/{row.id}/download",
    )


def export_dir(runtime: Runtime, user_id: int) -> FsPath:
    """Where the API writes a user's exports (``engine.userfiles``)."""
    return userfiles.export_dir(runtime.settings, user_id)


@router.post(
    "",
    status_code=201,
    response_model=Export,
    dependencies=[Depends(require_flag("feature.export"))],
    responses=problem_responses(400, 401, 404, 422, 503),
)
def create_export(
    body: ExportRequest,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
    runtime: Runtime = Depends(get_runtime),
) -> Export:
    """Write the playlist's effective items in ``format``; download it from
    ``download_url``."""
    playlist = repo.get_playlist(session, body.playlist_id, user_id=caller.user_id)
    fmt = formats.by_name(body.format)
    frame = repo.effective_items(session, playlist.id).select(COLUMNS)
    frame = frame.with_columns(pl.lit(playlist.name, dtype=pl.Utf8).alias("playlist"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"playlist-{playlist.id}-{stamp}{_extension(fmt)}"
    target = export_dir(runtime, caller.user_id) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    formats.write(frame, target, format=fmt.name, raw=body.raw)
    row = repo.record_export(
        session,
        caller.user_id,
        format=fmt.name,
        path=str(target),
        playlist_id=playlist.id,
        size_bytes=target.stat().st_size,
    )
    return _view(row)


@router.get("", response_model=Page[Export], responses=problem_responses(401, 422))
def list_exports(
    offset: Offset = 0,
    limit: Limit = 50,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Page[Export]:
    """The caller's exports (API exports, jobs' files and migrate reports), newest first."""
    rows = repo.list_exports(session, caller.user_id, offset=offset, limit=limit)
    return Page[Export](
        items=[_view(row) for row in rows],
        total=repo.count_exports(session, caller.user_id),
        offset=offset,
        limit=limit,
    )


@router.get("/{export_id}", response_model=Export, responses=problem_responses(401, 404, 422))
def get_export(
    export_id: ExportId,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Export:
    return _view(repo.get_export(session, caller.user_id, export_id))


@router.get(
    "/{export_id}/download",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "description": "The exported file.",
        },
        **problem_responses(401, 404, 422),
    },
)
def download_export(
    export_id: ExportId,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
    runtime: Runtime = Depends(get_runtime),
) -> FileResponse:
    """The exported file itself (only ever a file in the caller's export area)."""
    row = repo.get_export(session, caller.user_id, export_id)
    path = userfiles.export_path(runtime.settings, caller.user_id, export_id, row.path)
    return FileResponse(path, filename=path.name, media_type="application/octet-stream")
