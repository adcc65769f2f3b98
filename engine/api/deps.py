"""Request dependencies: the runtime, a database session, the caller (by API
token) and feature-flag guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from engine import flags
from engine.errors import AuthError, InvalidParamsError
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope

bearer = HTTPBearer(
    auto_error=False, description="A Crossfade API token (`crossfade tokens create`)."
)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(runtime: Runtime = Depends(get_runtime)) -> Iterator[Session]:
    """One transaction per request: committed on success, rolled back on error."""
    with session_scope(runtime.engine) as session:
        yield session


@dataclass(frozen=True)
class Caller:
    """The user an API token belongs to."""

    user_id: int
    external_id: str


def get_caller(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    runtime: Runtime = Depends(get_runtime),
) -> Caller:
    """The token's owner; 401 problem when the token is missing, unknown or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(
            "missing API token: send 'Authorization: Bearer <token>'", kind="unauthorized"
        )
    with session_scope(runtime.engine) as session:
        user = repo.user_for_token(session, credentials.credentials)
        if user is None:
            raise AuthError("invalid or revoked API token", kind="unauthorized")
        return Caller(user.id, user.external_id)


def _needs_caller(dependant: Any) -> bool:
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is get_caller:
            return True
        pending.extend(current.dependencies)
    return False


def reject_unknown_query(request: Request) -> None:
    """A 422 problem for query parameters the operation does not define (a
    misspelt ``limt=5`` is not silently ignored) or gives more than once.
    An operation that needs a token checks it first: without one the answer
    is 401, whatever the query."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known: set[str] = set()
    pending = [dependant]
    while pending:  # the operation's own query parameters and its dependencies'
        current = pending.pop()
        known.update(param.alias for param in current.query_params)
        pending.extend(current.dependencies)
    unknown = sorted(set(request.query_params) - known)
    # no operation takes a list in its query: a repeated name would silently
    # keep only its last value
    repeated = sorted(
        k for k in set(request.query_params) if len(request.query_params.getlist(k)) > 1
    )
    if not unknown and not repeated:
        return
    if _needs_caller(dependant):
        get_caller(_credentials(request), request.app.state.runtime)
    errors: list[dict[str, object]] = [
        {"loc": ["query", name], "msg": "unknown query parameter", "type": "extra_forbidden"}
        for name in unknown
    ]
    errors += [
        {"loc": ["query", name], "msg": "given more than once", "type": "repeated"}
        for name in repeated
    ]
    if unknown:
        message = f"unknown query parameter(s): {', '.join(unknown)}"
    else:
        message = f"query parameter(s) given more than once: {', '.join(repeated)}"
    raise InvalidParamsError(message, errors)


def _credentials(request: Request) -> HTTPAuthorizationCredentials | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if not scheme or not value.strip():
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=value.strip())


def require_flag(name: str) -> Callable[[Runtime], None]:
    """A dependency that answers 503 (problem document) while ``name`` is off."""

    def check(runtime: Runtime = Depends(get_runtime)) -> None:
        flags.require(runtime, runtime.settings, name)

    return check
