"""The sandbox as a real HTTP server on loopback.

A small threaded ``http.server`` adapter around :meth:`Sandbox.handle`: it has
to misbehave on purpose (sleep past a client's timeout, close a socket without
answering), which is simplest with direct control of the connection.

>>> # with SandboxServer(sandbox, port=0) as server: httpx.get(server.url + "/_sandbox/status")
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

from engine.sandbox.app import Sandbox

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
}


def _handler_class(sandbox: Sandbox, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms stalls
        server_version = "CrossfadeSandbox/1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the sandbox keeps its own request log."""

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("host") or "127.0.0.1"
            request = httpx.Request(
                self.command,
                f"http://{host}{self.path}",
                headers=list(self.headers.items()),
                content=body,
            )
            try:
                response = sandbox.handle(request)
            except httpx.TimeoutException:
                stop.wait(sandbox.config.timeout_sleep_s)
                self.close_connection = True
                return
            except httpx.TransportError:
                self.close_connection = True
                return
            content = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    return Handler


class SandboxServer:
    """Serve ``sandbox`` on 127.0.0.1 (``port=0`` picks a free port) in a thread."""

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Root URL; pass it to ``base_urls`` or ``Settings.sandbox_url``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        self._stop.clear()
        httpd = ThreadingHTTPServer(
            (self.host, self.port), _handler_class(self.sandbox, self._stop)
        )
        httpd.daemon_threads = True
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Block until interrupted (the CLI); starts the server if needed."""
        if self._httpd is None:
            self.start()
        try:
            while self._thread and self._thread.is_alive():
                time.sleep(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
