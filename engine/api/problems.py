"""RFC 9457 problem details: the one error contract of the HTTP API.

Every failure, ours (``engine.errors``), a validation error or an unknown
route, is rendered here and only here as ``application/problem+json`` with
``type``, ``title``, ``status`` and ``detail``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import AuthError, CrossfadeError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://crossfade.invalid/problems/"
"""Problem ``type`` URIs are this base plus the error's stable ``kind`` slug."""

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time.")
    instance: str | None = Field(None, description="The request path.")
    errors: list[dict[str, Any]] | None = Field(
        None, description="Each invalid input, for validation problems."
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    request: Request,
    status: int,
    kind: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_TYPE_BASE + kind,
        title=_title(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


async def _crossfade_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrossfadeError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthError) else None
    if exc.status >= 500 and exc.status != 503:
        log.error("request %s failed: %s", request.url.path, exc)
    errors = getattr(exc, "errors", None)
    if errors is None and exc.kind == "validation":
        errors = [{"loc": [], "msg": str(exc), "type": "validation"}]
    return problem_response(request, exc.status, exc.kind, str(exc), errors=errors, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return problem_response(request, 422, "validation", detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
    return problem_response(
        request, exc.status_code, kind, str(exc.detail), headers=getattr(exc, "headers", None)
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return problem_response(request, 500, "internal", "an unexpected error occurred")


def install(app: FastAPI) -> None:
    """Render every error of ``app`` as a problem document."""
    app.add_exception_handler(CrossfadeError, _crossfade_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem documents."""
    return {
        status: {
            "model": Problem,
            "description": _title(status),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
