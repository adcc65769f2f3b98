"""Uploads: playlist files the caller hands over, so jobs can name them by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from engine.api.deps import Caller, get_caller, get_runtime, get_session
from engine.api.problems import problem_responses
from engine.api.schemas import FileWarning, Limit, Offset, Page, Upload
from engine.runtime import Runtime
from engine.store import repo
from engine.userfiles import MAX_UPLOAD_BYTES, save_upload

router = APIRouter(prefix="/uploads", tags=["uploads"])

UploadId = Annotated[int, Path(ge=1, le=2**53)]


@router.post("", status_code=201, response_model=Upload, responses=problem_responses(401, 422))
async def create_upload(
    file: Annotated[UploadFile, File(description="A playlist file (PIF, CSV, M3U, XSPF...).")],
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
) -> Upload:
    """Keep a playlist file for later jobs: a migrate names it as
    ``{"source": {"upload_id": id}}``. The file is read once here; a file that
    does not read is refused (422) and not kept."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)  # one byte more: too large is refused
    stored = await run_in_threadpool(
        save_upload, runtime, caller.user_id, file.filename or "upload", data
    )
    with_time = await run_in_threadpool(_read, runtime, caller.user_id, stored.id)
    warnings = [FileWarning.model_validate(w.as_dict()) for w in stored.warnings]
    return with_time.model_copy(update={"tracks": stored.tracks, "warnings": warnings})


def _read(runtime: Runtime, user_id: int, upload_id: int) -> Upload:
    from engine.store.db import session_scope

    with session_scope(runtime.engine) as session:
        return Upload.model_validate(repo.get_upload(session, user_id, upload_id))


@router.get("", response_model=Page[Upload], responses=problem_responses(401, 422))
def list_uploads(
    offset: Offset = 0,
    limit: Limit = 50,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Page[Upload]:
    """The caller's uploads, newest first."""
    rows = repo.list_uploads(session, caller.user_id, offset=offset, limit=limit)
    return Page[Upload](
        items=[Upload.model_validate(row) for row in rows],
        total=repo.count_uploads(session, caller.user_id),
        offset=offset,
        limit=limit,
    )


@router.get("/{upload_id}", response_model=Upload, responses=problem_responses(401, 404, 422))
def get_upload(
    upload_id: UploadId,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Upload:
    return Upload.model_validate(repo.get_upload(session, caller.user_id, upload_id))
