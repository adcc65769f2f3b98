"""Wiring: one place that turns Settings into live resources.

Like dagster's ``get_local_resources``/``get_prod_resources``: the embedded
default (SQLite, in-process jobs, local caches) and the scaled set-up (Postgres,
Redis, RQ) are chosen here from the settings alone, and every surface (CLI,
app, worker, API) builds its resources through :class:`Runtime`.
Nothing connects until a property is first read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from engine.settings import Settings
from engine.store.db import make_engine, migrate

if TYPE_CHECKING:
    import httpx
    from redis import Redis

    from engine.http.factory import HttpFactory


@dataclass
class Runtime:
    settings: Settings
    _migrated: bool = field(default=False, init=False)
    http_transport: httpx.BaseTransport | None = field(default=None, kw_only=True, repr=False)
    """Where :attr:`http` sends requests (tests: the sandbox's transport); None = the network."""
    background: list[threading.Thread] = field(default_factory=list, init=False, repr=False)
    """In-process job threads using this runtime; :meth:`close` waits for them."""

    @cached_property
    def engine(self) -> Engine:
        """The store, migrated to the newest schema on first use."""
        engine = make_engine(self.settings)
        migrate(engine)
        return engine

    @cached_property
    def redis(self) -> Redis | None:
        """A Redis client when REDIS_URL is set, else None (embedded default)."""
        if not self.settings.redis_url:
            return None
        from redis import Redis

        return Redis.from_url(self.settings.redis_url)

    @cached_property
    def http(self) -> HttpFactory:
        """The process's one HTTP stack: every session made from it shares the
        rate limiter, breaker, cache and counters (through Redis when set)."""
        from engine.http.factory import HttpFactory

        return HttpFactory(self.settings, redis=self.redis, transport=self.http_transport)

    def close(self) -> None:
        # A job thread still finishing (announce, final state) would otherwise
        # open fresh connections on the disposed engine that nobody closes.
        for thread in self.background:
            if thread is not threading.current_thread():
                thread.join()
        self.background.clear()
        if "http" in self.__dict__:
            self.http.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__ and self.redis is not None:
            self.redis.close()
