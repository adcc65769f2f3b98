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
_STRICT_HELP = "Treat every reader warning (repair, dropped line) as an error."


def report_warnings(result: formats.ReadResult) -> None:
    """Each reader warning on stderr, then how many there were."""
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if result.warnings:
        typer.echo(f"{len(result.warnings)} warning(s) while reading", err=True)


def load(file: Path, from_format: str | None, strict: bool) -> formats.ReadResult:
    """Read ``file`` with the limits from the settings, reporting warnings on stderr."""
    from engine.settings import load_settings

    limits = formats.ReadLimits.from_settings(load_settings())
    result = formats.load(file, from_format, limits=limits, strict=strict)
    report_warnings(result)
    return result


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
    strict: bool = typer.Option(False, "--strict", help=_STRICT_HELP),
) -> None:
    """Convert a playlist file to another format."""
    result = load(source, from_format, strict)
    playlists = result.playlists
    fmt = formats.format_for_writing(target, to_format)
    tracks = sum(p.tracks.height for p in playlists)
    if len(playlists) > 1 and not fmt.multi and not merge:
        for playlist, path in zip(
            playlists, split_targets(target, playlists, fmt.name), strict=True
        ):
            formats.write_playlists([playlist], path, fmt.name, raw=raw)
            typer.echo(f"wrote {playlist.tracks.height} tracks ({playlist.name}) to {path}")
        _warning_summary(result)
        return
    formats.write_playlists(playlists, target, fmt.name, raw=raw)
    typer.echo(f"wrote {tracks} tracks in {len(playlists)} playlist(s) to {target}")
    _warning_summary(result)


def _warning_summary(result: formats.ReadResult) -> None:
    if result.warnings:
        typer.echo(f"read with {len(result.warnings)} warning(s) (see above; --strict refuses)")


def validate(
    file: Path = typer.Argument(..., help="Playlist file to check."),
    from_format: str | None = typer.Option(None, "--from", help="Format (default: sniffed)."),
) -> None:
    """Report every problem in FILE at once, reader warnings included (exit 1 if any)."""
    from engine.settings import load_settings

    limits = formats.ReadLimits.from_settings(load_settings())
    problems = formats.validate(file, from_format, limits=limits)
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
    strict: bool = typer.Option(False, "--strict", help=_STRICT_HELP),
) -> None:
    """Format and variant detected, tracks, with ISRC, with duration, warnings, problems."""
    fmt = from_format or formats.detect_format(file)
    console = Console(width=100)
    try:
        result: formats.ReadResult | None = load(file, fmt, strict)
    except FormatError as exc:
        console.print(f"cannot read: {exc}", markup=False)
        result = None
    if result is not None:
        fmt = result.format
        variant = f", {result.variant}" if result.variant else ""
        table = Table(title=f"{file} ({fmt}{variant})")
        for column in ("playlist", "tracks", "with ISRC", "with duration"):
            table.add_column(column, justify="left" if column == "playlist" else "right")
        for name, tracks, with_isrc, with_duration in summary(result.playlists):
            table.add_row(name, str(tracks), str(with_isrc), str(with_duration))
        console.print(f"format: {fmt}{variant}", markup=False)
        console.print(table)
        console.print(f"warnings: {len(result.warnings)}")
        problems = formats.frame_problems(result.playlists)
    else:
        problems = formats.validate(file, fmt)
    console.print(f"problems found: {len(problems)}")
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"  {problem}", markup=False)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        console.print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (crossfade validate)")
    if result is None:
        raise DataError(f"{file}: cannot be read as {fmt} ({len(problems)} problem(s))")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("convert")(convert)
    app.command("validate")(validate)
    app.command("inspect")(inspect)
