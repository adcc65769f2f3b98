"""Keep tokens out of logs: a redaction function, a logging filter, and a
process-wide hook installed at the edges (CLI, worker, app, API).

Redacted: values of token-like parameters and JSON fields (``access_token``,
``refresh_token``, ``code``, ``code_verifier``, ``client_secret``, ``secret``,
``id_token``, ``password``), ``Bearer``/``Basic`` credentials, and any long
random-looking string (32+ characters of a token alphabet mixing letters and
digits). Exception text attached to a record is redacted too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

_SECRET_NAMES = (
    r"access_token|refresh_token|id_token|code_verifier|client_secret|secret|code|password"
    r"|token|api_key|key"
)
_FORM_PAIR = re.compile(rf"(?i)\b({_SECRET_NAMES})=([^&\s\"',;]+)")
_JSON_PAIR = re.compile(rf"(?i)([\"']({_SECRET_NAMES})[\"']\s*:\s*[\"'])([^\"']+)([\"'])")
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9._~+=-])[A-Za-z0-9._~+=-]{32,}(?![A-Za-z0-9._~+=-])")


def _long_token(match: re.Match[str]) -> str:
    text = match.group(0)
    has_letters = any(c.isalpha() for c in text)
    has_digits = any(c.isdigit() for c in text)
    return REDACTED if has_letters and has_digits else text


def redact(text: str) -> str:
    """``text`` with anything token-like replaced by ``[redacted]``.

    >>> redact("POST /token?code=abc&x=1 -> {'access_token': 'zzz'}")
    "POST /token?code=[redacted]&x=1 -> {'access_token': '[redacted]'}"
    """
    text = _FORM_PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _JSON_PAIR.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(4)}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _LONG_TOKEN.sub(_long_token, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _redact_arg(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def _redact_message(record: logging.LogRecord) -> None:
    """Redact the record's message, keeping ``msg`` and ``args`` apart when
    that suffices: formatters that read ``args`` themselves (uvicorn's access
    formatter unpacks five) keep working. Only a secret that redacting each
    argument cannot remove collapses the record to its redacted text."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not break logging; keep the template
        record.msg, record.args = redact(str(record.msg)), ()
        return
    if redact(message) == message:
        return  # nothing secret: leave the record exactly as it was made
    if record.args and isinstance(record.msg, str):
        args = record.args
        if isinstance(args, Mapping):
            candidate: Any = {key: _redact_arg(value) for key, value in args.items()}
        else:
            candidate = tuple(_redact_arg(value) for value in args)
        template = redact(record.msg)
        try:
            text = template % candidate
        except (TypeError, ValueError, KeyError):  # redacting the template broke it
            text = None
        if text is not None and redact(text) == text:
            record.msg, record.args = template, candidate
            return
    record.msg, record.args = redact(message), ()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_crossfade_redacted", False):
        return record
    _redact_message(record)
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._crossfade_redacted = True
    return record


_installed: dict[str, Any] = {}


def install_log_redaction() -> None:
    """Redact every log record of this process as it is created (idempotent).

    Works for records of every logger and handler, including third-party
    libraries (httpx logs request URLs, oauthlib logs token bodies at DEBUG).
    """
    if "factory" in _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    _installed["factory"] = factory
    _installed["previous"] = previous
    logging.setLogRecordFactory(factory)


def uninstall_log_redaction() -> None:
    """Undo :func:`install_log_redaction` (tests)."""
    if "factory" in _installed and logging.getLogRecordFactory() is _installed["factory"]:
        logging.setLogRecordFactory(_installed["previous"])
    _installed.clear()
