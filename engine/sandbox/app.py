"""The sandbox as one pure handler: ``httpx.Request -> httpx.Response``."""

from __future__ import annotations

import httpx

from engine.sandbox.urls import PREFIXES


class Sandbox:
    """All four emulated APIs behind one request handler."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the emulated provider would."""
        path = request.url.path
        for paths in PREFIXES.values():
            if any(path.startswith(p) for p in paths.values()):
                break
        return httpx.Response(404, json={"error": "not found"})

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this sandbox, in-process."""
        return httpx.MockTransport(self.handle)
