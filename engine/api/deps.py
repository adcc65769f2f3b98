"""Request dependencies: the runtime, a database session, the caller (by API
token) and feature-flag guards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from engine import flags
from engine.errors import AuthError
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


def require_flag(name: str) -> Callable[[Runtime], None]:
    """A dependency that answers 503 (problem document) while ``name`` is off."""

    def check(runtime: Runtime = Depends(get_runtime)) -> None:
        flags.require(runtime, runtime.settings, name)

    return check
