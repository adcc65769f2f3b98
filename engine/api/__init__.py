"""The HTTP API (FastAPI): ``create_app(runtime)``; served by ``crossfade api``.

See docs/api.md for the endpoints, authentication and error contract.
"""

from engine.api.app import create_app

__all__ = ["create_app"]
