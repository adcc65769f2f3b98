"""`make demo`: convert and inspect the bundled sample playlists into demo-output/.

Runs from a fresh clone with only the package installed: no database, no network.
(The jobs owner extends this with the end-to-end migration on the embedded default.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from engine import formats
from engine.samples import CATALOG, PLAYLISTS, sample_path

OUT_DIR = Path("demo-output")
TARGETS = ("pif.json", "xspf", "jspf", "m3u8", "csv")


def _key(frame: pl.DataFrame) -> pl.Series:
    """Lower-cased "title|first artist" to recognise a recording without its ISRC."""
    first = frame["artists"].list.first().fill_null("").str.to_lowercase()
    return frame["title"].fill_null("").str.to_lowercase() + "|" + first


def formats_demo(out_dir: Path, console: Console) -> int:
    """Convert every sample playlist to every format, inspect the results; returns
    the number of problems found."""
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = formats.read(sample_path(CATALOG))
    known_isrcs = set(catalog["isrc"].drop_nulls().to_list())
    known_keys = set(_key(catalog).to_list())
    table = Table(title="Sample playlists")
    for column in (
        "file",
        "format",
        "tracks",
        "with ISRC",
        "with duration",
        "in catalogue",
        "problems",
    ):
        table.add_column(column, justify="left" if column in ("file", "format") else "right")
    problems_total = 0
    for name in PLAYLISTS:
        source = sample_path(name)
        frame = formats.read(source)
        base, _, source_ext = name.partition(".")
        outputs = [out_dir / f"{base}-from-{source_ext}.{ext}" for ext in TARGETS]
        for target in outputs:
            formats.write(frame, target)
        for path in [source, *outputs]:
            tracks = formats.read(path)
            problems = formats.validate(path)
            problems_total += len(problems)
            in_catalog = tracks["isrc"].is_in(list(known_isrcs)) | _key(tracks).is_in(
                list(known_keys)
            )
            table.add_row(
                path.name if path is source else f"  -> {path.name}",
                formats.detect_format(path),
                str(tracks.height),
                str(tracks["isrc"].drop_nulls().len()),
                str(tracks["duration_ms"].drop_nulls().len()),
                str(int(in_catalog.sum())),
                str(len(problems)),
            )
    console.print(table)
    console.print(
        f"catalogue: {catalog.height} recordings, "
        f"{formats.provider_ids(catalog).height} provider ids; "
        f"outputs in {out_dir}/"
    )
    return problems_total


def main() -> int:
    console = Console(width=110)
    problems = formats_demo(OUT_DIR, console)
    # The main job end to end on the embedded default (engine.demo, jobs owner).
    from engine.demo import run_demo
    from engine.settings import Settings

    store = OUT_DIR / "store"
    settings = Settings(env="development", data_dir=store, DATABASE_URL=None, REDIS_URL=None)  # type: ignore[call-arg]
    run_demo(settings, out_dir=OUT_DIR / "migration", console=console)
    if problems:
        console.print(f"[red]{problems} problem(s) found[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
