"""Job ``export``: playlists to a file format, or the whole library to the Parquet lake.

Parameters: ``out`` (CLI only: a file, or a folder when several playlists or
``lake``; without it, jobs write into the user's export area,
``engine.userfiles``), ``playlists`` (stored playlist ids; None = all of the
user's), ``format`` (any ``engine.formats`` writer; default from the file
name), ``lake``, ``raw`` (CSV cells as they are, no formula guard). Every
written file is recorded in ``exports``. Re-running rewrites the same files
(writes are atomic), so it is safe to run twice.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from engine.errors import UsageError
from engine.frame import COLUMNS
from engine.jobs.runner import JobContext
from engine.store import repo
from engine.store.db import session_scope
from engine.userfiles import job_export_dir


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w\- ]+", "_", name).strip() or "playlist"


def run(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    if params.get("out"):
        out = Path(str(params["out"]))
    elif ctx.user_id is not None:
        out = job_export_dir(ctx.runtime.settings, ctx.user_id, ctx.job_id)
    else:
        raise UsageError("export needs an 'out' path or a user to export for")
    if params.get("lake"):
        from engine.lake import write_lake

        ctx.progress.phase("writing lake")
        counts = write_lake(ctx.runtime.engine, out, user_id=ctx.user_id)
        _record(ctx, [(None, "lake", out)])
        return {"lake": str(out), "rows": counts}
    from engine import formats

    if ctx.user_id is None:
        raise UsageError("exporting playlists needs a user")
    with Session(ctx.runtime.engine) as session:
        ids = params.get("playlists") or [p.id for p in repo.list_playlists(session, ctx.user_id)]
        playlists = [repo.get_playlist(session, int(i), user_id=ctx.user_id) for i in ids]
        names = {p.id: p.name for p in playlists}
    if not playlists:
        raise UsageError("no playlists to export")
    fmt = params.get("format")
    ctx.progress.phase("exporting", total=len(playlists))
    written: list[tuple[int | None, str, Path]] = []
    for playlist_id, name in names.items():
        frame = repo.effective_items(ctx.runtime.engine, playlist_id)
        frame = frame.select(COLUMNS).with_columns(playlist=pl.lit(name, dtype=pl.Utf8))
        if len(names) == 1 and out.suffix:
            path = out
        else:
            extension = formats.by_name(fmt).extensions[0] if fmt else ".pif.json"
            path = out / f"{_safe_name(name)}{extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        formats.write(frame, path, format=fmt, raw=bool(params.get("raw")))
        written.append((playlist_id, fmt or formats.detect_format(path), path))
        ctx.progress.advance()
    _record(ctx, written)
    return {"files": [str(p) for _, _, p in written]}


def _record(ctx: JobContext, written: list[tuple[int | None, str, Path]]) -> None:
    if ctx.user_id is None:
        return
    with session_scope(ctx.runtime.engine) as session:
        for playlist_id, fmt, path in written:
            size = path.stat().st_size if path.is_file() else None
            repo.record_export(
                session,
                ctx.user_id,
                format=fmt,
                path=str(path),
                playlist_id=playlist_id,
                job_id=ctx.job_id,
                size_bytes=size,
            )
