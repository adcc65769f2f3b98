"""The interactive API documentation (Swagger UI), served from installed files.

FastAPI's default ``/docs`` page loads Swagger UI's script, stylesheet and
favicon from public hosts, so on a machine without internet it stays blank.
Here they come from the ``swagger-ui-py`` package's copy of the Swagger UI
distribution (FastAPI's "self-hosting the docs assets" recipe), and Swagger UI's
one outside call, the validator badge, is switched off.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def swagger_ui_dir() -> Path:
    """The Swagger UI distribution files shipped by ``swagger-ui-py``."""
    return Path(str(files("swagger_ui") / "static"))


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` with Swagger UI from this machine (no outside request)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_dir()), name="docs-assets")
    redirect = f"{DOCS_PATH}/oauth2-redirect"

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - docs",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=f"{root}{redirect}",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
