"""The shared cell normalisations (``_common`` and ``durations``) over whole
columns: Polars expressions for the bulk, and the Python function only for the
distinct values no expression covers (durations like ``3m 36sec``, links to
providers other than Spotify). ``tests/formats/test_formats_vector.py`` checks
each against its one-cell version."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pyarrow as pa

from engine.formats._common import _COMMA_NAMES, parse_track_link
from engine.formats._common import split_artists as split_artists_cell
from engine.formats.durations import MS_THRESHOLD, UNKNOWN_MARKERS, parse_duration

_TRUE = ["true", "yes", "y", "1", "explicit", "e", "t"]
_FALSE = ["false", "no", "n", "0", "clean", "f"]
_ISRC = r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"
_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
"""What Python's ``str.strip()`` and ``\\s`` mean (wider than Polars' default)."""
_S = f"[{_WHITESPACE}]"
_WEAK = f"(?i){_S}*,{_S}*|{_S}+(?:feat\\.?|ft\\.?|featuring|with){_S}+"
_GUARD = "\x1e"  # stands in for a comma inside a protected artist name
_SPLIT = "\x1f"


def _escape(text: str) -> str:
    return "".join("\\" + c if c in r"\.+*?()|[]{}^$#&-~" else c for c in text)


def _protect_pattern(name: str) -> tuple[str, str]:
    pieces = name.split(",")
    pattern = "(?i)" + ",".join(f"({_escape(p)})" for p in pieces)
    replacement = _GUARD.join(f"${{{i + 1}}}" for i in range(len(pieces)))
    return pattern, replacement


_PROTECT = [_protect_pattern(n) for n in _COMMA_NAMES]
_ANY_PROTECTED = "(?i)" + "|".join(_escape(n) for n in _COMMA_NAMES)


def clean(expr: pl.Expr) -> pl.Expr:
    """Stripped text, null for missing or blank (``clean_text``)."""
    text = expr.str.strip_chars(_WHITESPACE)
    return pl.when(text.str.len_bytes() > 0).then(text)


def _drop_empty(expr: pl.Expr) -> pl.Expr:
    return expr.list.eval(pl.element().str.strip_chars(_WHITESPACE)).list.eval(
        pl.element().filter(pl.element().str.len_bytes() > 0)
    )


def split_artists(series: pl.Series) -> pl.Series:
    """``split_artists`` for a column: ``;``/``|`` always split, ``,`` and ``feat.``
    unless inside a known comma name; a null cell gives an empty list. Cells holding
    the marker characters the expression uses go through the Python version."""
    frame = pl.DataFrame({"v": series})
    needs_split = frame.select(
        pl.col("v").str.contains(_MAY_SPLIT).fill_null(False)
        | pl.col("v").str.contains(f"^{_S}|{_S}$").fill_null(False)
    )["v"]
    plain = frame.select(
        pl.when(pl.col("v").str.len_bytes() > 0)
        .then(pl.col("v").str.split(_SPLIT))  # [v]: cells holding _SPLIT are redone below
        .otherwise(pl.lit([], dtype=pl.List(pl.Utf8)))
    )["v"]
    split = _on_rows(plain, series, needs_split, _split_series)
    odd = series.str.contains(f"[{_GUARD}{_SPLIT}]").fill_null(False)
    if not odd.any():
        return split
    by_python = _python_map(series, odd, split_artists_cell, pl.List(pl.Utf8()))
    return pl.DataFrame({"a": split, "b": by_python, "odd": odd}).select(
        pl.when("odd").then("b").otherwise("a")
    )["b"]


_MAY_SPLIT = f"(?i)[,;|]|{_S}(?:feat|ft|featuring|with)"


def _on_rows(
    base: pl.Series, source: pl.Series, mask: pl.Series, function: Callable[[pl.Series], pl.Series]
) -> pl.Series:
    """``base`` with the rows in ``mask`` replaced by ``function`` of those rows of
    ``source`` (the slow path runs only where it is needed)."""
    if not mask.any():
        return base
    if mask.all():
        return function(source)
    done = function(source.filter(mask))
    position = (mask.cast(pl.Int64).cum_sum() - 1).clip(0)
    return base.zip_with(~mask, done.gather(position))


def _protect(series: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"v": series})
    protected = pl.col("v")
    for pattern, replacement in _PROTECT:
        protected = protected.str.replace_all(pattern, replacement)
    return frame.select(protected)["v"]


def _split_series(series: pl.Series) -> pl.Series:
    text = series.str.strip_chars(_WHITESPACE)
    has_name = text.str.contains(_ANY_PROTECTED).fill_null(False)
    protected = _on_rows(text, text, has_name, _protect)
    frame = pl.DataFrame({"text": text, "protected": protected})
    strong = _drop_empty(
        pl.col("text").str.replace_all(f"{_S}*[;|]{_S}*", _SPLIT).str.split(_SPLIT)
    )
    weak = (
        pl.col("protected")
        .str.replace_all(_WEAK, _SPLIT)
        .str.replace_all(_GUARD, ",", literal=True)
        .str.split(_SPLIT)
    )
    split = pl.when(pl.col("text").str.contains(r"[;|]")).then(strong).otherwise(_drop_empty(weak))
    return frame.select(split.fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))["text"]


def split_plain(expr: pl.Expr, separator: str = ",") -> pl.Expr:
    """Split on ``separator`` only, stripped, empty parts dropped."""
    return _drop_empty(expr.str.split(separator)).fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))


def isrc(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(normalised ISRC or null, the text when it is not one) — ``put_isrc``."""
    frame = pl.DataFrame({"v": series})
    text = frame.select(clean(pl.col("v")))["v"]
    canonical = text.str.contains(_ISRC).fill_null(False)
    normal = _on_rows(
        text,
        text,
        ~canonical & text.is_not_null(),
        lambda t: t.str.replace_all(f"[{_WHITESPACE}-]", "").str.to_uppercase(),
    )
    valid = normal.str.contains(_ISRC).fill_null(False)
    out = pl.DataFrame({"text": text, "normal": normal, "valid": valid}).select(
        isrc=pl.when("valid").then("normal"),
        invalid=pl.when(pl.col("text").is_not_null() & ~pl.col("valid")).then("text"),
    )
    return out["isrc"], out["invalid"]


def explicit(expr: pl.Expr) -> pl.Expr:
    """``parse_bool`` for a column."""
    text = expr.str.strip_chars(_WHITESPACE).str.to_lowercase()
    return pl.when(text.is_in(_TRUE)).then(True).when(text.is_in(_FALSE)).then(False)


def position(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars(_WHITESPACE)
    return pl.when(text.str.contains(r"^[0-9]+$")).then(text.cast(pl.Int64, strict=False))


def _python_map(
    series: pl.Series, mask: pl.Series, function: object, dtype: pl.DataType
) -> pl.Series:
    values = series.filter(mask).unique().drop_nulls().to_list()
    if not values:
        return pl.Series(series.name, [None] * len(series), dtype=dtype)
    mapped = [function(v) for v in values]  # type: ignore[operator]
    return series.replace_strict(values, mapped, default=None, return_dtype=dtype)


def bounded(ms: int | None) -> int | None:
    """A duration that fits the frame's Int64 column, else unknown."""
    return ms if ms is None or ms < 2**62 else None


def durations(raw: pl.Series, unit: str | None) -> tuple[pl.Series, pl.Series]:
    """(milliseconds, the text when unreadable) — ``put_duration`` for a column."""
    frame = pl.DataFrame({"t": raw.str.strip_chars(_WHITESPACE)})
    t = pl.col("t")
    number = t.cast(pl.Int64, strict=False)
    if unit == "ms":
        from_int = number
    elif unit == "s":
        from_int = number * 1000
    else:
        from_int = pl.when(number >= MS_THRESHOLD).then(number).otherwise(number * 1000)
    flags = frame.select(
        unknown=t.is_null() | t.str.to_lowercase().is_in(sorted(UNKNOWN_MARKERS)),
        is_int=t.str.contains(r"^[0-9]{1,15}$").fill_null(False),
        from_int=from_int,
    )
    rest = ~flags["unknown"] & ~flags["is_int"]
    by_python = _python_map(
        frame["t"], rest, lambda v: bounded(parse_duration(v, unit=unit)), pl.Int64()
    )
    out = flags.with_columns(python=by_python).select(
        ms=pl.when("is_int").then("from_int").when(~pl.col("unknown")).then("python")
    )["ms"]
    invalid = frame.select(pl.when(out.is_null() & ~flags["unknown"]).then(t))["t"]
    return out.alias("duration_ms"), invalid


_SPOTIFY_URI = r"^spotify:track:([A-Za-z0-9]{22})$"
_SPOTIFY_WEB = (
    r"^(?i:https?)://(?i:open\.spotify\.com)(?:/[^?#]*)?/(?:intl-[a-z-]+/)?track/"
    r"([A-Za-z0-9]{22})(?:[/?#].*)?$"
)
_OTHER_LINK = r"(?i)^[a-z][a-z0-9+.-]*://.*(?:spotify|deezer|tidal|youtu)"


def track_links(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(provider, provider id) for each cell — ``parse_track_link`` for a column."""
    frame = pl.DataFrame({"t": raw.str.strip_chars(_WHITESPACE)})
    t = pl.col("t")
    fast = frame.select(
        spotify=pl.coalesce(t.str.extract(_SPOTIFY_URI), t.str.extract(_SPOTIFY_WEB))
    )
    other = frame["t"].str.contains(_OTHER_LINK).fill_null(False) & fast["spotify"].is_null()

    def link(value: str) -> str | None:
        found = parse_track_link(value)
        return None if found is None else f"{found[0]}\x1f{found[1]}"

    slow = _python_map(frame["t"], other, link, pl.Utf8()).str.split_exact(_SPLIT, 1)
    result = pl.DataFrame({"fast": fast["spotify"], "slow": slow}).select(
        provider=pl.when(pl.col("fast").is_not_null())
        .then(pl.lit("spotify"))
        .otherwise(pl.col("slow").struct.field("field_0")),
        provider_id=pl.coalesce("fast", pl.col("slow").struct.field("field_1")),
    )
    return result["provider"], result["provider_id"]


_EXTRAS = pl.List(pl.Struct({"key": pl.Utf8, "value": pl.Utf8}))


def extras(frame: pl.DataFrame, pairs: list[tuple[str, pl.Expr]]) -> pl.Series:
    """The extras column from ``(key, value)`` columns, skipping null and empty values.

    Built as one fixed-width array per row (fast), then, where some rows lack
    values, re-cut from the valid elements and per-row counts through Arrow list
    offsets: no per-row list operations, which are slow on structs.
    """
    values = frame.select(
        [
            pl.when(v.cast(pl.Utf8) != "").then(v.cast(pl.Utf8)).alias(f"v{i}")
            for i, (_, v) in enumerate(pairs)
        ]
    )
    kept = [
        (key, f"v{i}")
        for i, (key, _) in enumerate(pairs)
        if values[f"v{i}"].null_count() < len(values)
    ]
    if not kept:
        return pl.repeat(pl.lit([], dtype=_EXTRAS), frame.height, eager=True).alias("extras")
    structs = [
        pl.struct(pl.lit(key, dtype=pl.Utf8).alias("key"), pl.col(name).alias("value"))
        for key, name in kept
    ]
    listed = values.select(pl.concat_arr(structs).alias("extras"))["extras"].arr.to_list()
    counts = values.select(pl.sum_horizontal([pl.col(n).is_not_null() for _, n in kept]))
    count = counts.to_series().cast(pl.Int64)
    if (count == len(kept)).all():
        return listed
    flat = listed.explode()
    valid = flat.filter(flat.struct.field("value").is_not_null())
    offsets = pl.concat([pl.Series([0], dtype=pl.Int64), count.cum_sum()]).to_arrow()
    arrow = pa.LargeListArray.from_arrays(offsets, valid.to_arrow())
    rebuilt = pl.from_arrow(arrow)
    assert isinstance(rebuilt, pl.Series)
    return rebuilt.cast(_EXTRAS).alias("extras")
