"""Users, their provider accounts and their API tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError, UsageError
from engine.store.models import ApiToken, ProviderAccount, User, utcnow
from engine.store.owned import get_owned

LOCAL_USER = "local"
"""``external_id`` of the single user of single-user (non-OIDC) mode."""

TOKEN_PREFIX = "cf_"


def user_by_external_id(session: Session, external_id: str) -> User | None:
    """The user with this OIDC subject (or ``"local"``), or None."""
    return session.scalars(select(User).where(User.external_id == external_id)).one_or_none()


def ensure_user(
    session: Session,
    external_id: str,
    *,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """The user with ``external_id``, created on first sight."""
    if not external_id.strip():
        raise UsageError("a user needs a non-empty external id")
    user = user_by_external_id(session, external_id)
    if user is None:
        user = User(external_id=external_id, display_name=display_name, email=email)
        session.add(user)
        session.flush()
    return user


def local_user(session: Session) -> User:
    """The user of single-user mode (external id ``"local"``), created on first use."""
    return ensure_user(session, LOCAL_USER, display_name="Local user")


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return user


def find_account(session: Session, user_id: int, provider: str) -> ProviderAccount | None:
    """The user's account for ``provider`` (at most one), if there is one."""
    query = select(ProviderAccount).where(
        ProviderAccount.user_id == user_id, ProviderAccount.provider == provider
    )
    return session.scalars(query).one_or_none()


def list_accounts(session: Session, user_id: int) -> Sequence[ProviderAccount]:
    """The user's connected provider accounts, by provider name."""
    query = (
        select(ProviderAccount)
        .where(ProviderAccount.user_id == user_id)
        .order_by(ProviderAccount.provider)
    )
    return session.scalars(query).all()


def hash_token(token: str) -> str:
    """SHA-256 hex of an API token: the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(session: Session, user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new API token for the user: returns the row and the plaintext, which is
    shown once and never stored."""
    if not name.strip():
        raise UsageError("an API token needs a name")
    get_user(session, user_id)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name.strip()[:100], token_hash=hash_token(plaintext))
    session.add(row)
    session.flush()
    return row, plaintext


def user_for_token(session: Session, token: str) -> User | None:
    """The owner of a live (not revoked) API token, or None; records its last use."""
    if not token:
        return None
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return session.get(User, row.user_id)


def revoke_api_token(session: Session, user_id: int, token_id: int) -> None:
    """Revoke one of the user's tokens (another user's token is "not found")."""
    missing = f"API token {token_id} does not exist"
    row = get_owned(session, ApiToken, token_id, user_id=user_id, missing=missing)
    row.revoked_at = utcnow()


def list_api_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    return session.scalars(query).all()
