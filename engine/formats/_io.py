"""File edges: decoding text the way playlist files are really encoded, and
atomic writes (temp file in the same directory, then rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.errors import FormatError

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Refuse files larger than this: no playlist is half a gigabyte."""


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a FormatError naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(path, f"file is {size} bytes", expected=f"at most {MAX_FILE_BYTES}")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FormatError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(path, "is a directory", expected="a playlist file") from exc
    except PermissionError as exc:
        raise FormatError(path, "permission denied") from exc


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM, also UTF-16 with BOM), else Windows-1252, else Latin-1.

    Universal newlines are applied, so CRLF and CR files read like LF ones.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
