"""Connecting and disconnecting accounts, and building a provider for one.

    url = start_connect(runtime, user_id, "spotify", "http://127.0.0.1:8765/callback")
    # ... the browser comes back to the redirect URI with ?code=...&state=...
    account_id = finish_connect(runtime, user_id, "spotify", query_params)
    provider = account_session(runtime, account_id, http_factory)

Authorization code + PKCE (S256) for Spotify, TIDAL and Google (YouTube, with
``access_type=offline`` and ``prompt=consent``); Deezer's own flow (``app_id``,
``perms``, the token returned as form text). The ``state`` is made per attempt,
kept hashed server-side and accepted once (see ``states.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oauthlib.common import add_params_to_uri
from sqlalchemy import select

from engine.auth.crypto import KeyRing, load_key_ring
from engine.auth.endpoint import AppCredentials, SessionFactory, TokenEndpoint, TokenPair, pkce_pair
from engine.auth.redact import install_log_redaction
from engine.auth.specs import OAuthSpec, oauth_spec
from engine.auth.states import accept_state, as_utc, create_state
from engine.auth.tokens import (
    DISCONNECTED,
    AccountTokenSource,
    decrypt_pair,
    load_app_credentials,
    require_connected,
    save_account,
)
from engine.errors import AuthError, CrossfadeError, NotFoundError, UsageError
from engine.http.types import StaticToken
from engine.runtime import Runtime
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import ProviderAccount, utcnow

if TYPE_CHECKING:
    from engine.providers.base import Provider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountInfo:
    """What may be shown about a connected account (no tokens)."""

    id: int
    provider: str
    status: str
    status_reason: str | None
    display_name: str | None
    external_user_id: str | None
    expires_at: datetime | None
    key_id: str | None
    scopes: str | None


def authorize_url(
    spec: OAuthSpec, app: AppCredentials, redirect_uri: str, state: str, challenge: str | None
) -> str:
    """The provider's authorize URL for one attempt."""
    if spec.flow == "deezer":
        params: dict[str, str] = {
            "app_id": app.client_id,
            "redirect_uri": redirect_uri,
            "perms": spec.scope_separator.join(spec.scopes),
            "state": state,
        }
    else:
        params = {
            "client_id": app.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": spec.scope_separator.join(spec.scopes),
            "state": state,
            "code_challenge_method": "S256",
            "code_challenge": challenge or "",
            **spec.extra_authorize,
        }
    url: str = add_params_to_uri(spec.authorize_url, list(params.items()))
    return url


def start_connect(
    runtime: Runtime,
    user_id: int,
    provider: str,
    redirect_uri: str | None = None,
    *,
    ring: KeyRing | None = None,
) -> str:
    """Record a new attempt and return the URL to send the user's browser to.

    ``redirect_uri`` defaults to the one saved with the app credentials.
    """
    spec = oauth_spec(provider, runtime.settings)
    ring = ring or load_key_ring(runtime.settings)
    with session_scope(runtime.engine) as session:
        app = load_app_credentials(session, ring, user_id=user_id, provider=provider)
        redirect = redirect_uri or app.redirect_uri
        if not redirect:
            raise UsageError(
                f"{provider}: no redirect URI; pass one or save it with "
                f"`crossfade apps set {provider} --redirect-uri URI`"
            )
        verifier, challenge = pkce_pair() if spec.flow == "pkce" else (None, None)
        state = create_state(
            session,
            ring,
            user_id=user_id,
            provider=provider,
            redirect_uri=redirect,
            code_verifier=verifier,
        )
    return authorize_url(spec, app, redirect, state, challenge)


DECLINED = ("access_denied", "user_denied")
"""Callback ``error`` / Deezer ``error_reason`` values meaning the person said no."""


def finish_connect(
    runtime: Runtime,
    user_id: int,
    provider: str,
    callback_params: Mapping[str, str],
    *,
    http_factory: SessionFactory | None = None,
    ring: KeyRing | None = None,
) -> int:
    """Check the callback's state (once), trade the code for tokens, store them
    encrypted and return the account id. Nothing is stored on any failure."""
    install_log_redaction()  # the callback carries a code; tokens come back
    spec = oauth_spec(provider, runtime.settings)
    ring = ring or load_key_ring(runtime.settings)
    with session_scope(runtime.engine) as session:  # committed: the state is spent
        accepted = accept_state(
            session, ring, user_id=user_id, provider=provider, state=callback_params.get("state")
        )
        app = load_app_credentials(session, ring, user_id=user_id, provider=provider)
    error = callback_params.get("error") or callback_params.get("error_reason")
    if error in DECLINED:
        raise AuthError(
            f"you declined access on {provider}, so it is not connected; "
            f"connect again and allow access to use it ({error})",
            kind="declined",
        )
    if error:
        raise AuthError(f"{provider}: authorization was not granted ({error})")
    code = callback_params.get("code")
    if not code:
        raise AuthError(f"{provider}: the callback carries no authorization code")
    factory = _factory(runtime, http_factory)
    endpoint = TokenEndpoint(spec, app, factory)
    pair = endpoint.exchange_code(code, accepted.redirect_uri, accepted.code_verifier)
    identity = _identify(runtime, provider, pair, factory)
    with session_scope(runtime.engine) as session:
        return save_account(
            session,
            ring,
            user_id=user_id,
            provider=provider,
            pair=pair,
            external_user_id=identity[0],
            display_name=identity[1],
        )


def account_session(runtime: Runtime, account_id: int, http_factory: SessionFactory) -> Provider:
    """The provider client of one connected account (tokens decrypted only in its
    token source). NeedsReconnectError, with the stored reason, when unusable."""
    from engine.providers import build_provider, provider_http_config

    install_log_redaction()  # tokens are decrypted from here on: never let one reach a log
    account = _account(runtime, account_id)
    require_connected(account)
    tokens = AccountTokenSource(runtime, account_id, http_factory)
    config = provider_http_config(account.provider, runtime.settings)
    http = http_factory.session(config, user_key=f"account-{account_id}", token=tokens)
    provider: Provider = build_provider(account.provider, http)
    return provider


def disconnect(
    runtime: Runtime,
    user_id: int,
    provider: str,
    *,
    http_factory: SessionFactory | None = None,
    ring: KeyRing | None = None,
) -> bool:
    """Revoke at the provider where it can be done, then wipe the stored tokens.
    False when there was no account."""
    ring = ring or load_key_ring(runtime.settings)
    with session_scope(runtime.engine) as session:
        account = repo.find_account(session, user_id, provider)
        if account is None:
            return False
        try:
            _revoke(runtime, session, ring, account, http_factory)
        except CrossfadeError as exc:  # the local wipe must still happen
            log.warning(
                "%s: revoking at the provider failed (%s); tokens wiped locally", provider, exc
            )
        account.access_token_enc = None
        account.refresh_token_enc = None
        account.token_key_id = None
        account.expires_at = None
        account.status = DISCONNECTED
        account.status_reason = "disconnected by the user"
        account.updated_at = utcnow()
    return True


def list_account_info(runtime: Runtime, user_id: int) -> list[AccountInfo]:
    """The user's accounts as they may be displayed."""
    with session_scope(runtime.engine) as session:
        rows = repo.list_accounts(session, user_id)
        return [
            AccountInfo(
                id=row.id,
                provider=row.provider,
                status=row.status,
                status_reason=row.status_reason,
                display_name=row.display_name,
                external_user_id=row.external_user_id,
                expires_at=as_utc(row.expires_at) if row.expires_at else None,
                key_id=row.token_key_id,
                scopes=row.scopes,
            )
            for row in rows
        ]


# -- internals -----------------------------------------------------------------------


def _factory(runtime: Runtime, given: SessionFactory | None) -> SessionFactory:
    """The given factory, else the process's one (``runtime.http``, closed by
    the Runtime), so token calls share its breaker, limiter and counters."""
    return given if given is not None else runtime.http


def _account(runtime: Runtime, account_id: int) -> Any:
    with runtime.engine.connect() as conn:
        row = conn.execute(
            select(ProviderAccount.__table__).where(ProviderAccount.id == account_id)
        ).one_or_none()
    if row is None:
        raise NotFoundError(f"provider account {account_id} does not exist")
    return row


def _identify(
    runtime: Runtime, provider: str, pair: TokenPair, factory: SessionFactory
) -> tuple[str | None, str | None]:
    """(provider user id, display name) of the new account, asked of the API."""
    from engine.providers import build_provider, provider_http_config

    config = provider_http_config(provider, runtime.settings)
    http = factory.session(config, user_key="connect", token=StaticToken(pair.access_token))
    try:
        user = build_provider(provider, http).current_user()
    except CrossfadeError as exc:
        log.warning("%s: connected, but reading the user's profile failed (%s)", provider, exc)
        return pair.provider_user_id, None
    return user.id, user.display_name


def _revoke(
    runtime: Runtime,
    session: Any,
    ring: KeyRing,
    account: ProviderAccount,
    http_factory: SessionFactory | None,
) -> None:
    spec = oauth_spec(account.provider, runtime.settings)
    if not spec.revoke_url or account.access_token_enc is None:
        return
    pair = decrypt_pair(ring, account)
    app = load_app_credentials(session, ring, user_id=account.user_id, provider=account.provider)
    factory = _factory(runtime, http_factory)
    TokenEndpoint(spec, app, factory).revoke(pair.refresh_token or pair.access_token)
