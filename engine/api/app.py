"""The FastAPI application: ``create_app(runtime)`` wires routers, auth and errors."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from engine.api import problems, routes_exports, routes_jobs, routes_library, routes_reviews
from engine.api.deps import require_flag
from engine.runtime import Runtime

DESCRIPTION = """
Start Crossfade jobs and follow them, read playlists as they are shown, review
matches and download exports, from any program.

Every request but `/health` needs `Authorization: Bearer <token>` (create one
with `crossfade tokens create NAME`). Every error is an RFC 9457 problem
document (`application/problem+json`). A switched-off feature answers 503.
"""


def create_app(
    runtime: Runtime, *, start_jobs: bool = True, progress_poll_s: float = 0.5
) -> FastAPI:
    """The API over ``runtime``. ``start_jobs=False`` leaves submitted jobs
    queued for a worker (``crossfade worker``) instead of running them here.
    Nothing connects until the first request."""
    app = FastAPI(
        title="Crossfade API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        dependencies=[Depends(require_flag("feature.api"))],
    )
    app.state.runtime = runtime
    app.state.start_jobs = start_jobs
    app.state.progress_poll_s = progress_poll_s
    problems.install(app)
    for module in (routes_library, routes_jobs, routes_reviews, routes_exports):
        app.include_router(module.router)
    return app
