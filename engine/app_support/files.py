"""Files: import an uploaded playlist file into the store, export a stored
playlist in any supported format for download."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from engine import formats
from engine.app_support.transfer import save_upload
from engine.errors import NotFoundError, UsageError
from engine.frame import TRACK_SCHEMA, conform
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope
from engine.userfiles import upload_path


@dataclass(frozen=True)
class FormatChoice:
    name: str
    extension: str
    description: str


def format_choices() -> list[FormatChoice]:
    """Every format that can be written, with its preferred extension."""
    return [
        FormatChoice(f.name, f.extensions[0], f.description)
        for f in formats.FORMATS.values()
        if f.encode is not None
    ]


@dataclass(frozen=True)
class ImportOutcome:
    """The playlists an upload created, and what the reader repaired or dropped
    (each warning names the uploaded file's own name and the line)."""

    playlist_ids: list[int]
    warnings: list[formats.ReadWarning]


def import_upload(
    runtime: Runtime, user_id: int, filename: str, data: bytes, *, name: str | None = None
) -> list[int]:
    """Store each playlist of an uploaded file as a playlist with one complete
    snapshot; returns the new playlist ids. Bad files raise FormatError and
    store nothing."""
    return import_upload_reported(runtime, user_id, filename, data, name=name).playlist_ids


def import_upload_reported(
    runtime: Runtime, user_id: int, filename: str, data: bytes, *, name: str | None = None
) -> ImportOutcome:
    """:func:`import_upload` with the reader's warnings."""
    stored = save_upload(runtime, user_id, filename, data)
    path, _ = upload_path(runtime, user_id, stored.id)
    limits = formats.ReadLimits.from_settings(runtime.settings)
    shown = Path(filename or "upload").name
    result = formats.load(path, limits=limits, source=shown)
    playlists = result.playlists
    if not playlists:
        raise UsageError(f"{filename}: the file holds no playlist")
    created = []
    with session_scope(runtime.engine) as session:
        for index, playlist in enumerate(playlists):
            title = (name or "").strip() or playlist.name or Path(filename).stem or "Imported"
            if len(playlists) > 1 and name:
                title = f"{title} ({index + 1})"
            row = repo.create_playlist(session, user_id, title, source="file", file_path=str(path))
            snapshot = repo.begin_snapshot(session, row.id)
            track_ids = repo.upsert_tracks(session, formats.playlists_to_frame([playlist]))
            repo.add_snapshot_items(session, snapshot.id, track_ids)
            repo.complete_snapshot(session, snapshot.id)
            created.append(int(row.id))
    return ImportOutcome(created, result.warnings)


_SAFE = re.compile(r"[^A-Za-z0-9 ._-]+")


def export_playlist(
    runtime: Runtime, user_id: int, playlist_id: int, format_name: str
) -> tuple[str, bytes]:
    """The playlist as the product shows it, written in ``format_name``:
    (file name, content) ready for a download button."""
    fmt = formats.by_name(format_name)
    filename = export_filename(runtime, user_id, playlist_id, format_name)
    with Session(runtime.engine) as session:
        title = repo.get_playlist(session, playlist_id, user_id=user_id).name
    frame = conform(repo.effective_items(runtime.engine, playlist_id)).select(list(TRACK_SCHEMA))
    encode = formats.writable(fmt).encode
    assert encode is not None
    return filename, encode([formats.Playlist(name=title, tracks=frame)])


def export_filename(runtime: Runtime, user_id: int, playlist_id: int, format_name: str) -> str:
    """The download's file name: the playlist's name and the format's extension."""
    fmt = formats.by_name(format_name)
    with Session(runtime.engine) as session:
        title = repo.get_playlist(session, playlist_id, user_id=user_id).name
    stem = _SAFE.sub("_", title).strip() or f"playlist-{playlist_id}"
    return f"{stem}{fmt.extensions[0]}"


@dataclass(frozen=True)
class ExportFile:
    """A file an ``export`` job wrote for the user."""

    id: int
    format: str
    name: str
    size_bytes: int | None
    available: bool


def export_all(runtime: Runtime, user_id: int, format_name: str) -> str:
    """Start an ``export`` job writing each of the user's playlists in
    ``format_name`` into the user's export area; the files then appear in
    :func:`past_exports`. Returns the job id."""
    from engine import jobs

    fmt = formats.by_name(format_name)
    key = f"export-all:{secrets.token_hex(8)}"  # each click is a new export
    return jobs.submit(
        runtime, "export", {"format": fmt.name}, user_id=user_id, idempotency_key=key, local=False
    )


def past_exports(runtime: Runtime, user_id: int, *, limit: int = 50) -> list[ExportFile]:
    """The user's exported files, newest first (lakes are folders: not offered)."""
    with Session(runtime.engine) as session:
        rows = repo.list_exports(session, user_id, limit=limit)
        return [
            ExportFile(
                row.id,
                row.format,
                Path(row.path).name,
                row.size_bytes,
                row.format != "lake" and Path(row.path).is_file(),
            )
            for row in rows
        ]


def read_export(runtime: Runtime, user_id: int, export_id: int) -> tuple[str, bytes]:
    """(file name, content) of one of the user's exported files."""
    with Session(runtime.engine) as session:
        row = repo.get_export(session, user_id, export_id)
        path = Path(row.path)
    if not path.is_file():
        raise NotFoundError(f"export {export_id}: {path.name} is no longer on disk")
    return path.name, path.read_bytes()
