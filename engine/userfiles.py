"""Each user's upload and export areas under the data directory.

Jobs submitted over the API or the app read only files their user uploaded
(named by upload id) and write only into that user's export area; everything
written there is recorded as an export and served by ``/exports/{id}/download``.
A path is inside an area only when it is after resolving every symlink, so
neither ``..`` nor a link can lead out. Anything that fails these checks looks
exactly like a missing upload or export: no answer tells which server files exist.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import CrossfadeError, DataError, NotFoundError
from engine.store import repo
from engine.store.db import session_scope

if TYPE_CHECKING:
    from engine.formats import ReadWarning
    from engine.runtime import Runtime
    from engine.settings import Settings

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""The largest playlist file accepted as an upload."""

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def upload_dir(settings: Settings, user_id: int) -> Path:
    return settings.data_dir.resolve() / "uploads" / f"user-{user_id}"


def export_dir(settings: Settings, user_id: int) -> Path:
    return settings.data_dir.resolve() / "exports" / f"user-{user_id}"


def job_export_dir(settings: Settings, user_id: int, job_id: str) -> Path:
    """Where one job writes its files (re-runs rewrite the same files)."""
    return export_dir(settings, user_id) / f"job-{_SAFE.sub('_', job_id)[:36]}"


def inside(path: Path, root: Path) -> bool:
    """True when ``path``, every symlink resolved, lies within ``root``."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


def safe_name(filename: str, fallback: str = "upload") -> str:
    """A file name without folders or odd characters."""
    return _SAFE.sub("_", Path(filename or fallback).name).strip("._")[:120] or fallback


@dataclass(frozen=True)
class StoredUpload:
    id: int
    filename: str
    format: str
    size_bytes: int
    tracks: int
    warnings: list[ReadWarning] = field(default_factory=list)
    """What the reader repaired or dropped, naming the upload's own name and line."""


def save_upload(runtime: Runtime, user_id: int, filename: str, data: bytes) -> StoredUpload:
    """Keep an uploaded playlist file in the user's upload area, check that it
    reads, and record it. Errors name the uploaded file, never the server path."""
    from engine import formats

    if len(data) > MAX_UPLOAD_BYTES:
        raise DataError(f"{filename}: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    name = safe_name(filename)
    folder = upload_dir(runtime.settings, user_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}-{name}"
    path.write_bytes(data)
    try:
        fmt = formats.detect_format(path, data)
        limits = formats.ReadLimits.from_settings(runtime.settings)
        read = formats.load(path, fmt, limits=limits, source=name)
        frame = read.frame()
    except CrossfadeError as exc:
        path.unlink(missing_ok=True)
        exc.message = str(exc).replace(str(path), name)
        raise
    except Exception:
        path.unlink(missing_ok=True)
        raise
    with session_scope(runtime.engine) as session:
        row = repo.record_upload(
            session, user_id, filename=name, path=str(path), format=fmt, size_bytes=len(data)
        )
        return StoredUpload(
            row.id, row.filename, row.format, row.size_bytes, frame.height, read.warnings
        )


def upload_path(runtime: Runtime, user_id: int, upload_id: int) -> tuple[Path, str]:
    """(path, file name) of one of the user's uploads. NotFoundError, the same
    for every reason (no such id, another user's, file gone or led elsewhere)."""
    with session_scope(runtime.engine) as session:
        row = repo.get_upload(session, user_id, upload_id)
        path, filename = Path(row.path), row.filename
    root = upload_dir(runtime.settings, user_id)
    if path.is_symlink() or not inside(path, root) or not path.is_file():
        raise NotFoundError(f"upload {upload_id} does not exist")
    return path, filename


def export_path(settings: Settings, user_id: int, export_id: int, path: str) -> Path:
    """The file of one of the user's exports, when it is in their export area."""
    candidate = Path(path)
    root = export_dir(settings, user_id)
    if candidate.is_symlink() or not inside(candidate, root) or not candidate.is_file():
        raise NotFoundError(f"export {export_id}: its file is not available")
    return candidate
