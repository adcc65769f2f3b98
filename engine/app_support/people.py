"""Who is using the app: an OIDC subject mapped to a ``users`` row, or the
local user of single-user mode."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import AuthError
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope
from engine.store.users import LOCAL_USER


@dataclass(frozen=True)
class Identity:
    """A signed-in person as the identity provider describes them."""

    subject: str
    display_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CurrentUser:
    id: int
    external_id: str
    display_name: str | None


def resolve_user(runtime: Runtime, identity: Identity | None) -> CurrentUser:
    """The user row of ``identity`` (created on first sign-in); without OIDC
    (``settings.oidc_enabled`` false) always the local user.

    With OIDC on and nobody signed in, AuthError: pages must not fall back to
    the local user's data.
    """
    with session_scope(runtime.engine) as session:
        if not runtime.settings.oidc_enabled:
            user = repo.local_user(session)
        else:
            if identity is None or not identity.subject.strip():
                raise AuthError("sign in to use Crossfade", kind="signed_out")
            if identity.subject == LOCAL_USER:
                raise AuthError("this account cannot sign in with OIDC")
            user = repo.ensure_user(
                session,
                identity.subject,
                display_name=identity.display_name,
                email=identity.email,
            )
            if identity.display_name and user.display_name != identity.display_name:
                user.display_name = identity.display_name
        return CurrentUser(user.id, user.external_id, user.display_name)
