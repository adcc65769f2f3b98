"""What a reader is given besides the bytes: where they came from, the limits it
must keep, and the channel its repairs and dropped lines are reported through.

Readers are forgiving but never silent: every repair is a :class:`ReadWarning`
naming the file and the line (or JSON pointer) and why. In strict mode the first
warning is raised as a :class:`~engine.errors.FormatError` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.errors import FormatError

if TYPE_CHECKING:
    from engine.settings import Settings


@dataclass(frozen=True)
class ReadWarning:
    """One repair or dropped line: ``file:line: reason`` (``pointer`` for JSON)."""

    file: str
    line: int | None
    reason: str
    pointer: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer is not None:
            where += f" at {self.pointer or '/'}"
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "pointer": self.pointer,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ReadLimits:
    """Bounds every reader keeps (``Settings.read_*`` set them; these are the defaults)."""

    max_file_bytes: int = 512 * 1024 * 1024
    """Files larger than this are refused before reading."""
    max_rows: int = 5_000_000
    """Files with more tracks than this are refused."""
    max_field_chars: int = 10_000
    """Longer text fields are cut to this many characters, with a warning."""
    max_json_depth: int = 64
    """JSON (and XML) nested deeper than this is refused before it is parsed."""
    max_columns: int = 1024
    """CSV files with more header columns than this are refused (no track has a
    thousand fields; a header that wide is a damaged file)."""
    max_warnings: int = 200
    """Warnings kept per file; further ones are counted in one summary warning."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(
            max_file_bytes=settings.read_max_file_mb * 1024 * 1024,
            max_rows=settings.read_max_rows,
            max_field_chars=settings.read_max_field_chars,
            max_json_depth=settings.read_max_json_depth,
        )


@dataclass
class ReadContext:
    """The source name, limits, strictness and collected warnings of one read."""

    source: str
    limits: ReadLimits = field(default_factory=ReadLimits)
    strict: bool = False
    warnings: list[ReadWarning] = field(default_factory=list)
    variant: str | None = None
    """Set by readers that know several layouts of their format (``exportify-2024``)."""
    suppressed: int = 0
    declared_empty: bool = False
    """Set by a reader that found an explicit, empty track list (a legitimately
    empty playlist); otherwise a non-empty file without tracks is an error."""

    def warn(self, reason: str, *, line: int | None = None, pointer: str | None = None) -> None:
        """Record a repair or dropped line; raise it instead in strict mode."""
        if self.strict:
            raise FormatError(
                self.source, f"{reason} (--strict: warnings are errors)", line=line, pointer=pointer
            )
        if len(self.warnings) >= self.limits.max_warnings:
            self.suppressed += 1
            return
        self.warnings.append(ReadWarning(self.source, line, reason, pointer))

    def warn_lines(self, reason: str, lines: list[int | None]) -> None:
        """The same reason for many lines: one warning each (up to the cap)."""
        for line in lines:
            self.warn(reason, line=line)

    def all_warnings(self) -> list[ReadWarning]:
        """The warnings, plus one saying how many more were not kept."""
        if not self.suppressed:
            return list(self.warnings)
        more = ReadWarning(self.source, None, f"{self.suppressed} more warning(s) not shown")
        return [*self.warnings, more]
