"""CSV into a frame of text columns through Polars' native reader.

The bytes go straight to Polars when they are clean UTF-8; anything that needs a
repair (BOM-less UTF-16, another encoding, CR-only lines, NUL) is decoded by
``decode_text`` first, which reports it. Files Polars cannot split the way
Python's ``csv`` module would (rows wider than the header, unbalanced quotes) take
the ``csv`` module path, which reports each such line. Line numbers of rows are
worked out only when a warning needs one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import polars as pl

from engine.errors import FormatError
from engine.formats._context import ReadContext
from engine.formats._io import decode_text

_EMPTY_CELLS_LINE = re.compile(rb"(?m)^[,;\t ]*[,;\t][,;\t ]*\r?$")


def sniff_delimiter(header_line: str) -> str:
    """``,``, ``;`` or tab: whichever the header line uses most outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    return max(",;\t", key=unquoted.count)


class RowLines(Sequence[int]):
    """Source line of each data row, computed on first use (only warnings need it)."""

    def __init__(self, body: bytes, delimiter: str, rows: int) -> None:
        self._body = body
        self._delimiter = delimiter
        self._rows = rows
        self._lines: list[int] | None = None

    def _computed(self) -> list[int]:
        if self._lines is None:
            text = self._body.decode("utf-8").replace("\r\n", "\n")
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter)
            lines: list[int] = []
            try:
                next(reader, None)
                start = reader.line_num + 1
                for cells in reader:
                    if any(c.strip() for c in cells):
                        lines.append(start)
                    start = reader.line_num + 1
            except csv.Error:
                lines = []  # Polars read it; the csv module cannot say where rows start
            self._lines = lines + [0] * max(self._rows - len(lines), 0)
            self._body = b""
        return self._lines

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        return self._computed()[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._computed())


@dataclass
class Table:
    """A CSV file as text: the header (trimmed), one String column per header
    cell named ``c0``, ``c1``..., and where each row came from."""

    headers: list[str]
    frame: pl.DataFrame
    lines: Sequence[int]


def _clean_bytes(data: bytes, ctx: ReadContext) -> tuple[bytes, str | None]:
    """Bytes Polars can read as they are, or repaired UTF-8 (and the decoded text)."""
    start = 0
    while data.startswith(b"\xef\xbb\xbf", start):
        start += 3
    needs_text = (
        start > 3
        or data.startswith((b"\xff\xfe", b"\xfe\xff"))
        or b"\x00" in data
        or (b"\r" in data and b"\n" not in data)
    )
    if not needs_text:
        body = data[start:]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            needs_text = True
        else:
            return body, None
    text = decode_text(data, ctx)
    return text.encode("utf-8"), text


def _header_cells(first_line: str, delimiter: str, ctx: ReadContext) -> list[str]:
    try:
        return next(csv.reader([first_line.replace("\r", "\n")], delimiter=delimiter), [])
    except csv.Error as exc:
        raise FormatError(ctx.source, f"bad CSV header: {exc}", line=1) from exc


def read_table(data: bytes, ctx: ReadContext) -> Table:
    """The CSV in ``data`` as a :class:`Table` (Polars when it can, else ``csv``)."""
    body, text = _clean_bytes(data, ctx)
    first_line = body.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    delimiter = sniff_delimiter(first_line)
    if not first_line.strip(" \t,;"):
        raise FormatError(ctx.source, "empty file", line=1, expected="a header row")
    csv.field_size_limit(2**31 - 1)  # long fields are cut later, with a warning
    header = _header_cells(first_line, delimiter, ctx)
    if len(header) > ctx.limits.max_columns:
        raise FormatError(
            ctx.source,
            f"header has {len(header)} columns",
            line=1,
            expected=f"at most {ctx.limits.max_columns}",
        )
    frame = None
    if body.count(b'"') % 2 == 0:
        frame = _polars(body, delimiter, len(header))
    if frame is None:
        return _python_table(text if text is not None else body.decode("utf-8"), delimiter, ctx)
    headers = clean_headers(header, ctx)
    cells = [pl.col(c) for c in frame.columns]
    rows = frame.height - 1
    frame = frame.slice(1)
    frame = frame.filter(_content_rows(frame))
    if frame.height < rows:  # blank lines, and rows of empty cells (those are reported)
        for match in _EMPTY_CELLS_LINE.finditer(body):
            ctx.warn("row of empty cells skipped", line=body.count(b"\n", 0, match.start()) + 1)
    if b"\r" in body and any(
        frame[c].str.contains("\r", literal=True).any() for c in frame.columns
    ):
        frame = frame.with_columns(
            [
                c.str.replace_all("\r\n", "\n", literal=True).str.replace_all("\r", "\n")
                for c in cells
            ]
        )
    return Table(headers, frame, RowLines(body, delimiter, frame.height))


def _content_rows(frame: pl.DataFrame) -> pl.Series:
    """Rows with a cell that is not blank; whitespace is looked at only in rows whose
    cells are all short (a long row costs one length read per cell)."""
    longest = frame.select(
        pl.max_horizontal([pl.col(c).str.len_bytes().fill_null(0) for c in frame.columns])
    ).to_series()
    keep = longest > 8
    short = (longest > 0) & ~keep
    if short.any():
        blank = (
            frame.filter(short)
            .select(
                pl.all_horizontal(
                    [
                        pl.col(c).str.strip_chars().str.len_bytes().fill_null(0) == 0
                        for c in frame.columns
                    ]
                )
            )
            .to_series()
        )
        keep = keep.zip_with(~short, short.clone().scatter(short.arg_true(), ~blank))
    return keep


def _polars(body: bytes, delimiter: str, width: int) -> pl.DataFrame | None:
    try:
        frame = pl.read_csv(
            body,
            has_header=False,
            separator=delimiter,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=False,
            new_columns=[f"c{i}" for i in range(width)],
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.width != width:
        return None
    return frame


def _python_table(text: str, delimiter: str, ctx: ReadContext) -> Table:
    headers, rows = read_rows(text, ctx, delimiter)
    columns = {
        f"c{i}": pl.Series(
            [cells[i] if i < len(cells) else None for _, cells in rows], dtype=pl.Utf8
        )
        for i in range(len(headers))
    }
    frame = pl.DataFrame(columns) if rows else pl.DataFrame(schema={k: pl.Utf8 for k in columns})
    return Table(headers, frame, [line for line, _ in rows])


def read_rows(
    text: str, ctx: ReadContext, delimiter: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line number, cells)`` rows via the ``csv`` module, reporting
    rows of empty cells (skipped) and rows wider than the header (cut)."""
    source = ctx.source
    delimiter = delimiter or sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise FormatError(source, "empty file", line=1, expected="a header row")
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            if not any(c.strip() for c in cells):
                if any(cells):
                    ctx.warn("row of empty cells skipped", line=start)
                start = reader.line_num + 1
                continue
            if len(cells) > len(header):
                ctx.warn(
                    f"{len(cells)} cells in a {len(header)}-column file; "
                    f"cells after column {len(header)} dropped",
                    line=start,
                )
                cells = cells[: len(header)]
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(source, f"bad CSV: {exc}", line=reader.line_num) from exc
    return clean_headers(header, ctx), rows


def clean_headers(header: list[str], ctx: ReadContext) -> list[str]:
    """Header cells without surrounding whitespace (a warning names each one trimmed)."""
    cleaned = [h.strip() for h in header]
    for raw, clean in zip(header, cleaned, strict=True):
        if raw != clean and clean:
            ctx.warn(f"header {raw!r} has surrounding whitespace; read as {clean!r}", line=1)
    return cleaned
