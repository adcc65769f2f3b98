"""Checks every read gets after its reader: the row limit, over-long fields cut,
NUL characters removed (never stored), and "a non-empty file with no track is an
error". Vectorised over the frame, so they cost little on large files."""

from __future__ import annotations

import polars as pl

from engine.errors import FormatError
from engine.formats._context import ReadContext
from engine.formats._model import Playlist

_TEXT_COLUMNS = ("id", "title", "album", "isrc", "release_date", "provider_id", "url", "playlist")


def _where(playlist: Playlist, index: int) -> dict[str, int | str | None]:
    if playlist.lines is not None and index < len(playlist.lines):
        return {"line": playlist.lines[index] or None}
    return {"line": None}


def _bad_text(expr: pl.Expr, limit: int) -> pl.Expr:
    # bytes >= characters: a cheap first look; the warning path counts characters
    return (expr.str.len_bytes() > limit) | expr.str.contains("\x00", literal=True)


def _fix_text(expr: pl.Expr, limit: int) -> pl.Expr:
    return expr.str.replace_all("\x00", "", literal=True).str.slice(0, limit)


def _really_bad(expr: pl.Expr, limit: int) -> pl.Expr:
    return (expr.str.len_chars() > limit) | expr.str.contains("\x00", literal=True)


def _column_checks(frame: pl.DataFrame, limit: int) -> dict[str, bool]:
    """Which columns may hold text over the limit or NUL (flat scans, no list ops)."""
    suspects: dict[str, bool] = {}
    for column in _TEXT_COLUMNS:
        if column in frame.columns:
            suspects[column] = bool(frame.select(_bad_text(pl.col(column), limit).any()).item())
    artists = frame["artists"].explode()
    suspects["artists"] = bool(pl.select(_bad_text(pl.lit(artists), limit).any()).item())
    items = frame["extras"].explode().struct.unnest() if frame["extras"].list.len().sum() else None
    suspects["extras"] = items is not None and bool(
        items.select(
            (_bad_text(pl.col("key"), limit) | _bad_text(pl.col("value"), limit)).any()
        ).item()
    )
    return suspects


def _row_flags(frame: pl.DataFrame, column: str, limit: int) -> pl.Series:
    if column == "artists":
        expr = pl.col("artists").list.eval(_really_bad(pl.element(), limit)).list.any()
    elif column == "extras":
        value = pl.element().struct.field("value")
        key = pl.element().struct.field("key")
        expr = (
            pl.col("extras")
            .list.eval(_really_bad(value, limit) | _really_bad(key, limit))
            .list.any()
        )
    else:
        expr = _really_bad(pl.col(column), limit)
    return frame.select(expr.fill_null(False))[column]


def limit_fields(playlist: Playlist, ctx: ReadContext) -> Playlist:
    """Cut text longer than the limit and drop NUL characters, warning for each row."""
    frame = playlist.tracks
    if frame.height == 0:
        return playlist
    limit = ctx.limits.max_field_chars
    suspects = [c for c, flagged in _column_checks(frame, limit).items() if flagged]
    flags = {c: _row_flags(frame, c, limit) for c in suspects}
    bad_columns = [c for c in suspects if flags[c].any()]
    if not bad_columns:
        return playlist
    for column in bad_columns:
        rows = flags[column].arg_true().to_list()
        for row in rows[: ctx.limits.max_warnings]:
            ctx.warn(
                f"track {row + 1}: {column} longer than {limit} characters or holding NUL; "
                f"cut to {limit} (setting CROSSFADE_READ_MAX_FIELD_CHARS), NUL removed",
                line=_where(playlist, row)["line"],  # type: ignore[arg-type]
            )
    fixes: list[pl.Expr] = []
    for column in bad_columns:
        if column == "artists":
            fixes.append(pl.col("artists").list.eval(_fix_text(pl.element(), limit)))
        elif column == "extras":
            fixes.append(
                pl.col("extras").list.eval(
                    pl.struct(
                        _fix_text(pl.element().struct.field("key"), limit).alias("key"),
                        _fix_text(pl.element().struct.field("value"), limit).alias("value"),
                    )
                )
            )
        else:
            fixes.append(_fix_text(pl.col(column), limit))
    fixed = frame.with_columns(fixes).select(frame.columns).cast(frame.schema)
    return Playlist(playlist.name, fixed, playlist.description, playlist.extras, playlist.lines)


def check_rows(playlists: list[Playlist], ctx: ReadContext) -> None:
    """Refuse files with more tracks than the limit."""
    total = sum(p.tracks.height for p in playlists)
    if total > ctx.limits.max_rows:
        raise FormatError(
            ctx.source,
            f"{total} tracks",
            expected=f"at most {ctx.limits.max_rows} (setting CROSSFADE_READ_MAX_ROWS)",
        )


def check_not_empty(data: bytes, playlists: list[Playlist], ctx: ReadContext) -> None:
    """A file with content but no track, and no explicitly empty track list, is an error."""
    if any(p.tracks.height for p in playlists) or ctx.declared_empty:
        return
    if not data.strip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00"):
        raise FormatError(ctx.source, "empty file", expected="a playlist")
    dropped = f" ({len(ctx.warnings)} warning(s): {ctx.warnings[0].reason})" if ctx.warnings else ""
    raise FormatError(
        ctx.source,
        f"no tracks found in a non-empty file{dropped}",
        expected="at least one track",
    )
