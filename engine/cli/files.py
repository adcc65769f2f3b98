"""Playlist file commands: ``convert``, ``validate`` and ``inspect``."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from engine import formats
from engine.errors import DataError, FormatError

MAX_PROBLEMS_SHOWN = 20
"""``inspect`` lists this many problems; ``validate`` lists them all."""

_NAMES = ", ".join(sorted(formats.FORMATS))


def _slug(name: str | None, index: int) -> str:
    slug = re.sub(r"[^\w.-]+", "-", name or "", flags=re.UNICODE).strip("-._")
    return slug or f"playlist-{index + 1}"


def split_targets(target: Path, playlists: list[formats.Playlist], fmt: str) -> list[Path]:
    """One file per playlist beside ``target``: ``<stem>-<playlist><ext>``."""
    ext = next((e for e in formats.by_name(fmt).extensions if target.name.endswith(e)), "")
    stem = target.name[: len(target.name) - len(ext)] if ext else target.stem
    ext = ext or target.suffix
    seen: set[str] = set()
    paths = []
    for index, playlist in enumerate(playlists):
        slug = _slug(playlist.name, index)
        if slug in seen:
            slug = f"{slug}-{index + 1}"
        seen.add(slug)
        paths.append(target.with_name(f"{stem}-{slug}{ext}"))
    return paths


def convert(
    source: Path = typer.Argument(..., help="Playlist file to read."),
    target: Path = typer.Argument(..., help="File to write."),
    from_format: str | None = typer.Option(
        None, "--from", help=f"Input format ({_NAMES}; default: sniffed)."
    ),
    to_format: str | None = typer.Option(
        None, "--to", help=f"Output format ({_NAMES}; default: from the extension)."
    ),
    merge: bool = typer.Option(
        False,
        "--merge",
        help="Several playlists into a one-playlist format: merge them into "
        "one file instead of writing one file per playlist.",
    ),
    raw: bool = typer.Option(
        False,
        "--raw",
        help="CSV cells exactly as they are, for programs (default: cells starting "
        "with = + - @ tab or CR get a leading ' so spreadsheets do not run them).",
    ),
) -> None:
    """Convert a playlist file to another format."""
    playlists = formats.read_playlists(source, from_format)
    fmt = formats.format_for_writing(target, to_format)
    tracks = sum(p.tracks.height for p in playlists)
    if len(playlists) > 1 and not fmt.multi and not merge:
        for playlist, path in zip(
            playlists, split_targets(target, playlists, fmt.name), strict=True
        ):
            formats.write_playlists([playlist], path, fmt.name, raw=raw)
            typer.echo(f"wrote {playlist.tracks.height} tracks ({playlist.name}) to {path}")
        return
    formats.write_playlists(playlists, target, fmt.name, raw=raw)
    typer.echo(f"wrote {tracks} tracks in {len(playlists)} playlist(s) to {target}")


def validate(
    file: Path = typer.Argument(..., help="Playlist file to check."),
    from_format: str | None = typer.Option(None, "--from", help="Format (default: sniffed)."),
) -> None:
    """Report every problem in FILE at once (exit 1 if there are any)."""
    problems = formats.validate(file, from_format)
    for problem in problems:
        typer.echo(f"{file}: {problem}")
    if problems:
        raise DataError(f"{file}: {len(problems)} problem(s) found")
    typer.echo(f"{file}: valid")


def summary(playlists: list[formats.Playlist]) -> list[tuple[str, int, int, int]]:
    """``(playlist, tracks, with ISRC, with duration)`` for each playlist."""
    rows = []
    for playlist in playlists:
        frame = playlist.tracks
        rows.append(
            (
                playlist.name or "(unnamed)",
                frame.height,
                frame["isrc"].drop_nulls().len(),
                frame["duration_ms"].drop_nulls().len(),
            )
        )
    return rows


def inspect(
    file: Path = typer.Argument(..., help="Playlist file to summarise."),
    from_format: str | None = typer.Option(None, "--from", help="Format (default: sniffed)."),
) -> None:
    """Summary table: tracks, with ISRC, with duration, problems found."""
    fmt = from_format or formats.detect_format(file)
    problems = formats.validate(file, fmt)
    console = Console(width=100)
    try:
        playlists = formats.read_playlists(file, fmt)
    except FormatError:
        playlists = None
    if playlists is not None:
        table = Table(title=f"{file} ({fmt})")
        for column in ("playlist", "tracks", "with ISRC", "with duration"):
            table.add_column(column, justify="left" if column == "playlist" else "right")
        for name, tracks, with_isrc, with_duration in summary(playlists):
            table.add_row(name, str(tracks), str(with_isrc), str(with_duration))
        console.print(table)
    console.print(f"problems found: {len(problems)}")
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"  {problem}", markup=False)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        console.print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (crossfade validate)")
    if playlists is None:
        raise DataError(f"{file}: cannot be read as {fmt} ({len(problems)} problem(s))")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("convert")(convert)
    app.command("validate")(validate)
    app.command("inspect")(inspect)
