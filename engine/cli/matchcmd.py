"""``crossfade match SOURCE CATALOG --out OUT``: match two track files, write the result."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import polars as pl
import typer

from engine import formats
from engine.errors import DataError, UsageError
from engine.matching import RULES, MatchConfig, match

OUTPUT_FORMATS = ("csv", "parquet")


def _load(path: Path, fmt: str | None, name: str) -> pl.DataFrame:
    """Read a track file; ids are made unique (row numbers) if the file repeats them."""
    if not path.exists():
        raise UsageError(f"{name}: {path} does not exist")
    frame = formats.read(path, fmt)
    if frame["id"].null_count() or frame["id"].n_unique() != frame.height:
        frame = frame.with_columns(pl.int_range(pl.len()).cast(pl.Utf8).alias("id"))
    return frame


def _load_rules(path: Path | None) -> pl.DataFrame | None:
    """Curator decisions from a CSV with ``source_id`` and ``catalog_id`` columns."""
    if path is None:
        return None
    if not path.exists():
        raise UsageError(f"--rules: {path} does not exist")
    try:
        rules = pl.read_csv(path, infer_schema_length=0)
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"{path}: cannot read curator rules as CSV: {exc}") from exc
    missing = {"source_id", "catalog_id"} - set(rules.columns)
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return rules


def output_format(out: Path, fmt: str | None) -> str:
    """``csv`` or ``parquet``, from ``--format`` or the file extension."""
    chosen = (fmt or out.suffix.lstrip(".") or "csv").lower()
    if chosen == "pq":
        chosen = "parquet"
    if chosen not in OUTPUT_FORMATS:
        raise UsageError(f"--out {out}: output format must be csv or parquet, not {chosen!r}")
    return chosen


def for_csv(result: pl.DataFrame) -> pl.DataFrame:
    """The result with ``alternatives`` as JSON text (CSV holds no nested values)."""
    as_json = [json.dumps(alts, ensure_ascii=False) for alts in result["alternatives"].to_list()]
    return result.with_columns(alternatives=pl.Series(as_json, dtype=pl.Utf8))


def write_result(result: pl.DataFrame, out: Path, fmt: str) -> None:
    """Write atomically: a partial file never replaces a good one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(handle)
    try:
        if fmt == "parquet":
            result.write_parquet(tmp)
        else:
            for_csv(result).write_csv(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def summary_lines(result: pl.DataFrame) -> list[str]:
    """Counts per tier and per ladder rule, as printed after a match."""
    total = max(result.height, 1)
    lines = [f"matched {result.height} source tracks"]
    for decision in ("auto", "review", "none"):
        n = int((result["decision"] == decision).sum())
        lines.append(f"  {decision:<7}{n:>8}  {n / total:6.1%}")
    by_rule = ", ".join(
        f"{rule} {int((result['rule'] == rule).sum())}"
        for rule in RULES
        if (result["rule"] == rule).any()
    )
    lines.append(f"  rules: {by_rule}")
    return lines


def match_command(
    source: Path = typer.Argument(..., help="Tracks to match (any supported file format)."),
    catalog: Path = typer.Argument(..., help="Catalogue to match against (any format)."),
    out: Path = typer.Option(..., "--out", "-o", help="Result file (.csv or .parquet)."),
    out_format: str | None = typer.Option(None, "--format", help="csv or parquet."),
    top_k: int = typer.Option(5, "--top-k", min=0, help="Alternatives kept per track."),
    one_to_one: bool = typer.Option(
        False, "--one-to-one", help="Use each catalogue track at most once."
    ),
    rules: Path | None = typer.Option(
        None, "--rules", help="CSV of curator decisions: source_id,catalog_id."
    ),
    source_format: str | None = typer.Option(None, "--source-format", help="Default: sniffed."),
    catalog_format: str | None = typer.Option(None, "--catalog-format", help="Default: sniffed."),
    model: Path | None = typer.Option(
        None, "--model", help="Matcher model file (default: the shipped one; see matcher retrain)."
    ),
) -> None:
    """Match SOURCE against CATALOG and write one row per source track to --out."""
    fmt = output_format(out, out_format)
    if model is not None and not model.is_file():
        raise UsageError(f"--model: {model} does not exist")
    result = match(
        _load(source, source_format, "SOURCE"),
        _load(catalog, catalog_format, "CATALOG"),
        top_k=top_k,
        config=MatchConfig(model_path=str(model) if model else ""),
        rules=_load_rules(rules),
        one_to_one=one_to_one,
    )
    write_result(result, out, fmt)
    for line in summary_lines(result):
        typer.echo(line)
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("match")(match_command)
