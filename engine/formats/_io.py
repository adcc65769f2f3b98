"""File edges: reading bytes within the size limit, decoding text the way playlist
files are really encoded (reporting every repair), and atomic writes (temp file in
the same directory, then rename)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from engine.errors import FormatError
from engine.formats._context import ReadContext, ReadLimits

MAX_FILE_BYTES = ReadLimits().max_file_bytes
"""Default size limit (``Settings.read_max_file_mb``): no playlist is half a gigabyte."""

_UTF8_BOM = b"\xef\xbb\xbf"


def read_bytes(path: Path, limits: ReadLimits | None = None) -> bytes:
    """The file's bytes, or a FormatError naming it (also when it is over the limit)."""
    limit = (limits or ReadLimits()).max_file_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise FormatError(
                path,
                f"file is {size} bytes",
                expected=f"at most {limit} (setting CROSSFADE_READ_MAX_FILE_MB)",
            )
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FormatError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(path, "is a directory", expected="a playlist file") from exc
    except PermissionError as exc:
        raise FormatError(path, "permission denied") from exc


def line_of(text: str | bytes, offset: int) -> int:
    """1-based line number of ``offset`` in ``text``."""
    newline = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(newline, 0, offset) + 1  # type: ignore[arg-type]


def _guess_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` for BOM-less UTF-16 text (every other byte NUL)."""
    sample = data[:2000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes, ctx: ReadContext | None) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            if ctx:
                ctx.warn(
                    "invalid UTF-16 bytes replaced by U+FFFD",
                    line=line_of(data[: exc.start].decode("utf-16", "replace"), exc.start),
                )
            return data.decode("utf-16", errors="replace")
    guessed = _guess_utf16(data)
    if guessed:
        if ctx:
            ctx.warn(f"no byte-order mark; read as {guessed.upper()} (guessed encoding)", line=1)
        return data.decode(guessed, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_of(data, exc.start)
        for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if ctx:
                ctx.warn(
                    f"not valid UTF-8 (first bad byte 0x{data[exc.start]:02x}); "
                    f"read as {label} (guessed encoding)",
                    line=line,
                )
            return text
        raise AssertionError("latin-1 decodes every byte") from exc  # pragma: no cover


_NUL_LINES_SHOWN = 20


def _warn_nul_lines(text: str, ctx: ReadContext) -> None:
    lines: list[int] = []
    line, offset, more = 1, 0, 0
    for match in re.finditer("\x00+", text):
        line += text.count("\n", offset, match.start())
        offset = match.start()
        if lines and lines[-1] == line:
            continue
        if len(lines) < _NUL_LINES_SHOWN:
            lines.append(line)
        else:
            more += 1
    for found in lines:
        ctx.warn("NUL character(s) removed", line=found)
    if more:
        ctx.warn(f"NUL characters also removed on {more} more line(s)")


def decode_text(data: bytes, ctx: ReadContext | None = None) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with BOM, or guessed), else Windows-1252,
    else Latin-1; every repair is a warning in ``ctx``.

    Byte-order marks (also doubled ones) are removed, NUL characters dropped, and
    universal newlines applied, so CRLF and CR files read like LF ones.
    """
    boms = 0
    while data.startswith(_UTF8_BOM):
        data = data[3:]
        boms += 1
    text = _decode(data, ctx)
    stripped = text.lstrip("\ufeff")
    boms += len(text) - len(stripped)
    text = stripped
    if boms > 1 and ctx:
        ctx.warn(f"{boms} byte-order marks at the start; removed", line=1)
    if "\r" in text:
        if "\n" not in text and ctx:
            ctx.warn("lines end in CR only (classic Mac); read as line breaks", line=1)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        if ctx:
            _warn_nul_lines(text, ctx)
        text = text.replace("\x00", "")
    return text


def _file_mode(path: Path) -> int:
    """Keep an existing file's mode; new files get the usual 0666 minus umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FormatError(path, "directory does not exist", expected="an existing directory")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp_name, _file_mode(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
