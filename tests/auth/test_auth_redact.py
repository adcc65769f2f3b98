"""Redaction of tokens in log records, reprs and messages."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from engine.auth.endpoint import AppCredentials, TokenPair
from engine.auth.redact import (
    REDACTED,
    RedactingFilter,
    install_log_redaction,
    redact,
    uninstall_log_redaction,
)

TOKEN = "BQDk3f9s8Jd72hFq0PzLm4nX1aTg6uVy5cRw"


@pytest.mark.parametrize(
    "text",
    [
        f"GET https://api.deezer.com/user/me?access_token={TOKEN}&index=0",
        f'{{"access_token": "{TOKEN}", "token_type": "Bearer"}}',
        f"{{'refresh_token': '{TOKEN}'}}",
        f"Authorization: Bearer {TOKEN}",
        f"grant_type=refresh_token&refresh_token={TOKEN}&client_id=abc",
        f"opaque {TOKEN} in a sentence",
        "code=shortcode1&state=xyz",
    ],
)
def test_redact_removes_token_like_values(text: str) -> None:
    out = redact(text)
    assert TOKEN not in out and "shortcode1" not in out
    assert REDACTED in out


@pytest.mark.parametrize(
    "text",
    [
        "spotify: 412 tracks added to playlist 37i9dQZF1DXcBWIGoYBM5M in 3 batches",
        "GET http://sandbox.local/tidal/v2/playlists/276425834/relationships/items?include=items",
    ],
)
def test_redact_keeps_ordinary_text(text: str) -> None:
    assert redact(text) == text


def test_filter_redacts_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact.filter")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("token is %s", TOKEN)
            try:
                raise ValueError(f"bad url ?access_token={TOKEN}")
            except ValueError:
                logger.exception("failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert TOKEN not in caplog.text
    assert "token is" in caplog.text  # redacted, not dropped
    assert "failed" in caplog.text and "ValueError" in caplog.text


@pytest.fixture
def installed() -> Iterator[None]:
    install_log_redaction()
    install_log_redaction()  # idempotent
    yield
    uninstall_log_redaction()


def test_record_factory_redacts_every_logger(
    installed: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("oauthlib.some.module").debug(
            "Obtained token %s.", {"access_token": TOKEN}
        )
        logging.getLogger("httpx").info('HTTP Request: GET https://x/?access_token=%s "200"', TOKEN)
    assert TOKEN not in caplog.text
    assert caplog.text.count(REDACTED) == 2


def test_reprs_hide_secrets() -> None:
    pair = TokenPair(TOKEN, TOKEN + "r")
    app = AppCredentials("client", TOKEN)
    assert TOKEN not in repr(pair) and TOKEN not in str(pair)
    assert TOKEN not in repr(app)
