"""JSON from a playlist file, bounded: nesting depth is checked before parsing (a
document nested 200,000 deep never reaches the parser), and lone surrogates or
NUL characters in strings are replaced with a warning naming their pointer."""

from __future__ import annotations

import json
import re
from typing import Any

from engine.errors import FormatError
from engine.formats._context import ReadContext

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether the brackets of ``data`` (outside strings) nest deeper than ``limit``.

    Each pass removes the innermost bracket pairs, so ``limit`` passes empty any
    document nested at most ``limit`` deep; whatever is left is deeper (or unbalanced,
    which the parser reports with its line).
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", data))
    for _ in range(limit):
        if not brackets:
            return False
        reduced = _INNERMOST.sub(b"", brackets)
        if reduced == brackets:
            return False  # unbalanced: let the parser say where
        brackets = reduced
    return bool(_INNERMOST.search(brackets))


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _clean(value: Any, path: str, ctx: ReadContext) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            ctx.warn("NUL character removed from a string", pointer=path)
            value = value.replace("\x00", "")
        if _LONE_SURROGATE.search(value):
            ctx.warn("lone surrogate (invalid \\u escape) replaced by U+FFFD", pointer=path)
            value = _LONE_SURROGATE.sub("\ufffd", value)
        return value
    if isinstance(value, dict):
        return {
            _clean(k, path, ctx): _clean(v, f"{path}/{_escape(k)}", ctx) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_clean(v, f"{path}/{i}", ctx) for i, v in enumerate(value)]
    return value


def parse_json(data: bytes, ctx: ReadContext | str) -> Any:
    """JSON from bytes (UTF-8, BOM allowed) or a FormatError naming the line."""
    if isinstance(ctx, str):
        ctx = ReadContext(ctx)
    source = ctx.source
    limit = ctx.limits.max_json_depth
    if nesting_depth_exceeds(data, limit):
        raise FormatError(
            source,
            f"JSON nested deeper than {limit} levels",
            expected="a playlist document (setting CROSSFADE_READ_MAX_JSON_DEPTH)",
        )
    boms = 0
    while data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        boms += 1
    if boms > 1:
        ctx.warn(f"{boms} byte-order marks at the start; removed", line=1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(
            source, "not UTF-8 text", line=line, expected="a UTF-8 JSON file"
        ) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(source, f"invalid JSON: {exc.msg}", line=exc.lineno) from exc
    except RecursionError as exc:  # pragma: no cover - the depth check comes first
        raise FormatError(source, "JSON nested too deeply") from exc
    if _SUSPECT_ESCAPE.search(data):
        doc = _clean(doc, "", ctx)
    return doc
