"""Server-side OAuth ``state``: one per attempt, stored hashed, accepted once.

The plaintext state goes only into the authorize URL; the table keeps its
SHA-256, the user, the provider, the redirect URI, the expiry and the PKCE
code verifier (encrypted, bound to the state's hash).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from engine.auth.crypto import Binding, KeyRing
from engine.errors import OAuthStateError
from engine.store.models import OAuthState

STATE_TTL = timedelta(minutes=10)
"""How long a user has to approve in the browser."""

PURGE_AFTER = timedelta(days=1)
"""Expired or used states are deleted this long after they expire."""


@dataclass(frozen=True)
class AcceptedState:
    user_id: int
    provider: str
    redirect_uri: str
    code_verifier: str | None = field(repr=False)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def verifier_binding(state_hash: str, provider: str) -> Binding:
    return Binding("oauth_states", state_hash, provider, "code_verifier_enc")


def create_state(
    session: Session,
    ring: KeyRing,
    *,
    user_id: int,
    provider: str,
    redirect_uri: str,
    code_verifier: str | None,
    now: datetime | None = None,
    ttl: timedelta = STATE_TTL,
) -> str:
    """Store a new attempt and return its plaintext state (for the URL only)."""
    now = now or datetime.now(UTC)
    session.execute(delete(OAuthState).where(OAuthState.expires_at < now - PURGE_AFTER))
    state = secrets.token_urlsafe(32)
    state_hash = hash_state(state)
    verifier_enc = (
        ring.encrypt(code_verifier, verifier_binding(state_hash, provider))
        if code_verifier
        else None
    )
    session.add(
        OAuthState(
            state_hash=state_hash,
            user_id=user_id,
            provider=provider,
            code_verifier_enc=verifier_enc,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return state


def accept_state(
    session: Session,
    ring: KeyRing,
    *,
    user_id: int,
    provider: str,
    state: str | None,
    now: datetime | None = None,
) -> AcceptedState:
    """Mark the attempt used and return it; OAuthStateError on a missing,
    unknown, foreign, replayed or expired state. Commit before using the code."""
    now = now or datetime.now(UTC)
    if not state:
        raise OAuthStateError(f"{provider}: the callback carries no state; start again")
    state_hash = hash_state(state)
    row = session.get(OAuthState, state_hash, with_for_update=True)
    if row is None or row.user_id != user_id or row.provider != provider:
        raise OAuthStateError(
            f"{provider}: the callback's state does not match any connect attempt; start again"
        )
    if row.used_at is not None:
        raise OAuthStateError(f"{provider}: this connect attempt was already used; start again")
    if as_utc(row.expires_at) <= now:
        raise OAuthStateError(f"{provider}: this connect attempt has expired; start again")
    claimed = session.execute(
        update(OAuthState)
        .where(OAuthState.state_hash == state_hash, OAuthState.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise OAuthStateError(f"{provider}: this connect attempt was already used; start again")
    verifier = (
        ring.decrypt_text(row.code_verifier_enc, verifier_binding(state_hash, provider))
        if row.code_verifier_enc
        else None
    )
    return AcceptedState(user_id, provider, row.redirect_uri, verifier)
