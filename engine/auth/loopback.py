"""The CLI's side of the redirect: a one-shot HTTP listener on a loopback port.

    with CallbackListener(port=8765) as listener:
        url = start_connect(runtime, user_id, "spotify", listener.redirect_uri)
        webbrowser.open(url)
        params = listener.wait(timeout=300)

Only the first request on the callback path is taken; the page it returns
tells the user to go back to the terminal. Nothing is logged (the query
string holds the authorization code).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from engine.auth.oauth import finish_connect, start_connect
from engine.errors import AuthError, UsageError
from engine.runtime import Runtime

DEFAULT_PORT = 8765
"""Port of the redirect URI to register: ``http://127.0.0.1:8765/callback``."""

DEFAULT_PATH = "/callback"

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Crossfade</title>"
    "<p>{message}</p><p>You can close this window and return to the terminal.</p>"
)


class CallbackListener:
    """Listens on ``host:port`` for the provider's redirect (port 0: any free port)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, path: str = DEFAULT_PATH
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise UsageError(f"the callback listener only binds loopback addresses, not {host}")
        self.host = host
        self.port = port
        self.path = path
        self._params: dict[str, str] | None = None
        self._received = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def redirect_uri(self) -> str:
        if self._server is None:
            raise UsageError("the callback listener is not started")
        return f"http://{self.host}:{self._server.server_address[1]}{self.path}"

    def __enter__(self) -> CallbackListener:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != listener.path or listener._received.is_set():
                    self.send_error(404)
                    return
                listener._params = dict(parse_qsl(parts.query))
                message = (
                    "Authorization refused." if "error" in listener._params else "Crossfade got it."
                )
                body = _PAGE.format(message=message).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                listener._received.set()

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: the request line carries the authorization code."""

        try:
            self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {self.host}:{self.port} for the callback ({exc.strerror}); "
                "pass another --port (and register that redirect URI)"
            ) from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait(self, timeout: float) -> dict[str, str]:
        """The callback's query parameters; AuthError when none came in time."""
        if not self._received.wait(timeout):
            raise AuthError(f"no callback arrived within {timeout:.0f} s; run connect again")
        return dict(self._params or {})


@dataclass(frozen=True)
class LoopbackTarget:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    path: str = DEFAULT_PATH


def loopback_target(saved_redirect_uri: str | None, port: int | None = None) -> LoopbackTarget:
    """Where to listen: the app's saved redirect URI when it is a loopback one
    (so it matches the registration exactly), else the default; ``port`` overrides."""
    parts = urlsplit(saved_redirect_uri or "")
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        target = LoopbackTarget(
            parts.hostname or "127.0.0.1", parts.port or 80, parts.path or DEFAULT_PATH
        )
    else:
        target = LoopbackTarget()
    return target if port is None else LoopbackTarget(target.host, port, target.path)


def saved_redirect_uri(runtime: Runtime, user_id: int, provider: str) -> str | None:
    """The redirect URI saved with the installation's app credentials (no decryption)."""
    from engine.auth.tokens import installation_app

    del user_id  # app credentials belong to the installation
    with runtime.engine.connect() as conn:
        row = installation_app(conn, provider)
    return None if row is None else row.redirect_uri


def connect_with_loopback(
    runtime: Runtime,
    user_id: int,
    provider: str,
    open_url: Callable[[str], object],
    *,
    target: LoopbackTarget | None = None,
    timeout: float = 300.0,
    http_factory: Any = None,
) -> int:
    """The whole CLI connect: listen, hand the authorize URL to ``open_url``
    (a browser, or print it), wait for the redirect, finish; the account id."""
    if target is None:
        target = loopback_target(saved_redirect_uri(runtime, user_id, provider))
    with CallbackListener(target.host, target.port, target.path) as listener:
        url = start_connect(runtime, user_id, provider, listener.redirect_uri)
        open_url(url)
        params = listener.wait(timeout)
    return finish_connect(runtime, user_id, provider, params, http_factory=http_factory)
