"""Request parsing and routing shared by the emulated APIs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx


class ApiError(Exception):
    """Raised inside a handler; the provider module renders it in its own shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str | None = None,
        code: int | None = None,
        headers: dict[str, str] | None = None,
        parameter: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
        self.headers = headers or {}
        self.parameter = parameter


@dataclass
class SandboxRequest:
    """One request, relative to the provider's base path."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: httpx.Headers
    body: bytes
    url: httpx.URL
    base_url: str
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters captured by the route."""

    @classmethod
    def from_httpx(cls, request: httpx.Request, prefix: str) -> SandboxRequest:
        body = request.content if hasattr(request, "_content") else request.read()
        url = request.url
        root = str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
        return cls(
            method=request.method.upper(),
            path=url.path[len(prefix) :] or "/",
            query=parse_qsl(url.query.decode(), keep_blank_values=True),
            headers=request.headers,
            body=body,
            url=url,
            base_url=root + prefix,
        )

    def arg(self, name: str) -> str | None:
        """Last value of a query parameter."""
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None

    def args(self, name: str) -> list[str]:
        """All values of a query parameter, comma lists split."""
        return [part for k, v in self.query if k == name for part in v.split(",") if part.strip()]

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, "Error parsing JSON.") from exc

    def form(self) -> dict[str, str]:
        """Form body merged under the query string (form wins)."""
        values = dict(self.query)
        ctype = self.headers.get("content-type", "")
        if self.body and "application/x-www-form-urlencoded" in ctype:
            values.update(parse_qsl(self.body.decode(), keep_blank_values=True))
        return values

    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def int_arg(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ApiError(400, f"Invalid {name} value", parameter=name) from exc
        if value < low or (high is not None and value > high):
            raise ApiError(400, f"Invalid {name} value: {value}", parameter=name)
        return value


Handler = Callable[[SandboxRequest], httpx.Response]


class Router:
    """Method + path pattern -> handler; ``{name}`` captures one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, tuple[str, ...]]] = []

    def add(
        self, method: str, pattern: str, handler: Handler, scopes: tuple[str, ...] = ()
    ) -> None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"
        self._routes.append((method.upper(), re.compile(regex), handler, scopes))

    def match(self, request: SandboxRequest) -> tuple[Handler, tuple[str, ...]] | None:
        """The handler and its required scopes; raise 405 when only the method is wrong."""
        path_matched = False
        for method, regex, handler, scopes in self._routes:
            found = regex.match(request.path)
            if found:
                path_matched = True
                if method == request.method:
                    request.params = found.groupdict()
                    return handler, scopes
        if path_matched:
            raise ApiError(405, "Method not allowed")
        return None


def json_response(
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    *,
    media_type: str = "application/json; charset=utf-8",
) -> httpx.Response:
    """A JSON response with a stable serialisation."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    all_headers = {"content-type": media_type, **(headers or {})}
    return httpx.Response(status, content=content, headers=all_headers)


def iso(timestamp: float) -> str:
    """ISO 8601 UTC with seconds, as the APIs write it."""
    import datetime as _dt

    return _dt.datetime.fromtimestamp(timestamp, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
