"""Redaction keeps uvicorn's own formatters working (issue 16, item 4).

uvicorn's access formatter unpacks five values from ``record.args``; a filter
that collapsed every record to ``args = ()`` turned each access line into a
``--- Logging error ---`` traceback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter, DefaultFormatter

from engine.auth.redact import REDACTED, install_log_redaction, uninstall_log_redaction

CODE = "AQDk3f9s8Jd72hFq0PzLm4nX1aTg6uVy5cRw"


@pytest.fixture
def uvicorn_logs() -> Iterator[io.StringIO]:
    """uvicorn's access and error loggers with uvicorn's own formatters, into a buffer."""
    out = io.StringIO()
    formats = LOGGING_CONFIG["formatters"]
    handlers = []
    for name, formatter in (
        ("uvicorn.access", AccessFormatter(formats["access"]["fmt"], use_colors=False)),
        ("uvicorn.error", DefaultFormatter(formats["default"]["fmt"], use_colors=False)),
    ):
        handler = logging.StreamHandler(out)
        handler.setFormatter(formatter)
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        handlers.append((logger, handler))
    install_log_redaction()
    raise_exceptions = logging.raiseExceptions
    logging.raiseExceptions = True
    try:
        yield out
    finally:
        logging.raiseExceptions = raise_exceptions
        uninstall_log_redaction()
        for logger, handler in handlers:
            logger.removeHandler(handler)


def _access(path: str, status: int = 200) -> None:
    # exactly how uvicorn's h11/httptools protocols log a request
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:50312", "GET", path, "1.1", status
    )


def test_access_lines_survive_redaction(
    uvicorn_logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        _access("/health")
    _access(f"/oauth/spotify/callback?code={CODE}&state=s1", 302)
    _access(f"/playlists?access_token={CODE}")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 4242)
    logging.getLogger("uvicorn.error").info("token %s leaked", CODE)
    text = uvicorn_logs.getvalue()
    assert "Logging error" not in capsys.readouterr().err
    lines = text.splitlines()
    assert lines[:3] == ['INFO:     127.0.0.1:50312 - "GET /health HTTP/1.1" 200 OK'] * 3
    assert lines[3] == (
        f'INFO:     127.0.0.1:50312 - "GET /oauth/spotify/callback?code={REDACTED}&state=s1 '
        'HTTP/1.1" 302 Found'
    )
    assert lines[4].endswith(f'"GET /playlists?access_token={REDACTED} HTTP/1.1" 200 OK')
    assert lines[5] == "INFO:     Started server process [4242]"
    assert lines[6] == f"INFO:     token {REDACTED} leaked"
    assert CODE not in text


def test_records_without_secrets_are_left_as_made(uvicorn_logs: io.StringIO) -> None:
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s"', ("a", "b"), None
    )
    assert record.msg == '%s - "%s"' and record.args == ("a", "b")
