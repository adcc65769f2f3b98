"""The GET response cache: per user, with a TTL and ETag revalidation.

Keys are ``sha256(provider, method, URL with sorted params, user_key)``; the
``access_token`` query parameter is removed before hashing, and neither request
headers nor tokens are ever stored: the value is the status, the content type,
the ETag and the body. Entries are *fresh* for the TTL; an entry with an ETag
is kept longer so it can be revalidated with ``If-None-Match`` (a 304 makes it
fresh again). Storage is diskcache under the data dir, or Redis when configured.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from engine.http.status import SECRET_PARAMS

if TYPE_CHECKING:
    import diskcache
    from redis import Redis

ETAG_KEEP_S = 7 * 24 * 3600
"""How long an entry with an ETag stays available for revalidation after it goes stale."""


class CacheBackend(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_s: int) -> None: ...

    def close(self) -> None: ...


class DiskBackend:
    """diskcache under a directory, opened on first use (process-safe)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: diskcache.Cache | None = None
        self._lock = threading.Lock()

    def _open(self) -> diskcache.Cache:
        with self._lock:
            if self._cache is None:
                import diskcache

                self.directory.mkdir(parents=True, exist_ok=True)
                self._cache = diskcache.Cache(str(self.directory))
            return self._cache

    def get(self, key: str) -> bytes | None:
        value = self._open().get(key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self._open().set(key, value, expire=ttl_s)

    def close(self) -> None:
        with self._lock:
            if self._cache is not None:
                self._cache.close()
                self._cache = None


class RedisBackend:
    """Plain Redis strings with an expiry, shared by every worker."""

    def __init__(self, redis: Redis, prefix: str = "crossfade:http:cache") -> None:
        self._redis = redis
        self._prefix = prefix

    def get(self, key: str) -> bytes | None:
        value = self._redis.get(f"{self._prefix}:{key}")
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self._redis.set(f"{self._prefix}:{key}", value, ex=max(1, ttl_s))

    def close(self) -> None:
        """The Redis client belongs to the caller."""


@dataclass(frozen=True)
class CachedResponse:
    status: int
    content_type: str | None
    etag: str | None
    body: bytes
    fresh_until: float

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def encode(self) -> bytes:
        return json.dumps(
            {
                "status": self.status,
                "content_type": self.content_type,
                "etag": self.etag,
                "body": base64.b64encode(self.body).decode("ascii"),
                "fresh_until": self.fresh_until,
            }
        ).encode()

    @classmethod
    def decode(cls, raw: bytes) -> CachedResponse | None:
        try:
            data = json.loads(raw)
            return cls(
                status=int(data["status"]),
                content_type=data.get("content_type"),
                etag=data.get("etag"),
                body=base64.b64decode(data["body"]),
                fresh_until=float(data["fresh_until"]),
            )
        except (ValueError, KeyError, TypeError):
            return None  # unreadable entry (older format): treat as a miss


def cache_key(provider: str, method: str, url: httpx.URL, user_key: str) -> str:
    """Stable key of one user's request; secrets in the query are left out."""
    params = sorted((k, v) for k, v in url.params.multi_items() if k not in SECRET_PARAMS)
    bare = url.copy_with(query=None, fragment=None)
    canonical = json.dumps([provider, method.upper(), str(bare), params, user_key])
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """Looks up and stores GET responses through a backend."""

    def __init__(self, backend: CacheBackend, ttl_s: int) -> None:
        self.backend = backend
        self.ttl_s = ttl_s

    def get(self, key: str) -> CachedResponse | None:
        raw = self.backend.get(key)
        return None if raw is None else CachedResponse.decode(raw)

    def store(self, key: str, response: httpx.Response, now: float) -> None:
        """Keep a successful response; only its status, type, ETag and body."""
        entry = CachedResponse(
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            body=response.content,
            fresh_until=now + self.ttl_s,
        )
        self._put(key, entry)

    def refresh(self, key: str, entry: CachedResponse, now: float) -> CachedResponse:
        """After a 304: the same body, fresh for another TTL."""
        renewed = CachedResponse(
            entry.status, entry.content_type, entry.etag, entry.body, now + self.ttl_s
        )
        self._put(key, renewed)
        return renewed

    def _put(self, key: str, entry: CachedResponse) -> None:
        keep = self.ttl_s + (ETAG_KEEP_S if entry.etag else 0)
        self.backend.set(key, entry.encode(), keep)

    def close(self) -> None:
        self.backend.close()
