"""The FastAPI application: ``create_app(runtime)`` wires routers, auth and errors."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from engine.api import (
    problems,
    routes_connect,
    routes_exports,
    routes_groups,
    routes_jobs,
    routes_library,
    routes_reviews,
    routes_uploads,
)
from engine.api.deps import reject_unknown_query, require_flag
from engine.api.docs import install_docs
from engine.auth.endpoint import SessionFactory
from engine.runtime import Runtime

DESCRIPTION = """
Start Crossfade jobs and follow them, read playlists as they are shown, review
matches and download exports, from any program.

Every request but `/health` needs `Authorization: Bearer <token>` (create one
with `crossfade tokens create NAME`). Every error is an RFC 9457 problem
document (`application/problem+json`). A switched-off feature answers 503.
"""


def create_app(
    runtime: Runtime,
    *,
    start_jobs: bool = True,
    progress_poll_s: float = 0.5,
    http_factory: SessionFactory | None = None,
) -> FastAPI:
    """The API over ``runtime``. ``start_jobs=False`` leaves submitted jobs
    queued for a worker (``crossfade worker``) instead of running them here;
    ``http_factory`` is the outbound HTTP used by OAuth callbacks (default: one
    built from settings per call; tests pass one over the sandbox).
    Nothing connects until the first request."""
    app = FastAPI(
        title="Crossfade API",
        version="1",
        description=DESCRIPTION,
        docs_url=None,  # served from installed files: engine.api.docs
        redoc_url=None,
        dependencies=[Depends(require_flag("feature.api")), Depends(reject_unknown_query)],
    )
    app.state.runtime = runtime
    app.state.start_jobs = start_jobs
    app.state.progress_poll_s = progress_poll_s
    app.state.http_factory = http_factory
    problems.install(app)
    install_docs(app)
    for module in (
        routes_library,
        routes_connect,
        routes_jobs,
        routes_uploads,
        routes_reviews,
        routes_exports,
        routes_groups,
    ):
        # any operation may get a malformed body (400), invalid input (422)
        # or find the API switched off (503)
        app.include_router(module.router, responses=problems.problem_responses(400, 422, 503))
    _document_job_kinds(app)
    return app


def _document_job_kinds(app: FastAPI) -> None:
    """List the installed job kinds and export formats as enums in the OpenAPI
    document (both are registered at run time, so the models cannot name them)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            models = schema["components"]["schemas"]
            for model, field, values in (
                ("JobRequest", "kind", routes_jobs.available_kinds()),
                ("ExportRequest", "format", routes_exports.export_formats()),
            ):
                prop = models[model]["properties"][field]
                prop["enum"] = values
                prop.pop("pattern", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
