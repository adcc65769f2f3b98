"""Token pairs and app secrets at rest, and the one place tokens are decrypted.

``AccountTokenSource`` is the :class:`engine.http.types.TokenSource` of one
connected account: it refreshes shortly before expiry and on a 401, under a
lock on the account row (``SELECT ... FOR UPDATE`` on Postgres, ``BEGIN
IMMEDIATE`` on SQLite), so two workers refreshing at once make ONE refresh
call — the second re-reads the pair the first stored. That matters because a
Spotify PKCE refresh token is single-use. A refused refresh token marks the
account ``needs_reconnect`` and raises NeedsReconnectError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.orm import Session

from engine.auth.crypto import Binding, KeyRing, load_key_ring
from engine.auth.endpoint import AppCredentials, SessionFactory, TokenEndpoint, TokenPair
from engine.auth.redact import install_log_redaction
from engine.auth.specs import oauth_spec
from engine.auth.states import as_utc
from engine.errors import NeedsReconnectError, NotFoundError, UsageError
from engine.runtime import Runtime
from engine.store import repo
from engine.store.models import ProviderAccount, ProviderApp, utcnow

REFRESH_SKEW = timedelta(seconds=60)
"""Refresh this long before the access token expires."""

CONNECTED = "connected"
NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"


def account_binding(account_id: int, provider: str, column: str) -> Binding:
    return Binding("provider_accounts", account_id, provider, column)


def app_binding(app_id: int, provider: str) -> Binding:
    return Binding("provider_apps", app_id, provider, "client_secret_enc")


# -- app credentials -----------------------------------------------------------------


def installation_app(conn: Connection | Session, provider: str) -> Any:
    """The installation's ``provider_apps`` row for ``provider`` (the newest if
    an older store kept one per user), or None."""
    table = ProviderApp.__table__
    query = (
        select(table)
        .where(table.c.provider == provider)
        .order_by(table.c.updated_at.desc(), table.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).one_or_none()


def save_app_credentials(
    session: Session,
    ring: KeyRing,
    *,
    user_id: int,
    provider: str,
    client_id: str,
    client_secret: str | None,
    redirect_uri: str | None = None,
) -> int:
    """Create or replace the installation's app registration for ``provider``
    (app credentials belong to the installation, accounts to users); its id.
    ``user_id`` records who saved it (the operator)."""
    if not client_id.strip():
        raise UsageError(f"{provider}: the client id must not be empty")
    current = installation_app(session, provider)
    app = session.get(ProviderApp, current.id) if current is not None else None
    if app is None:
        app = ProviderApp(user_id=user_id, provider=provider, client_id=client_id.strip())
        session.add(app)
        session.flush()
    # one registration per provider: older per-user rows go
    session.execute(
        delete(ProviderApp).where(ProviderApp.provider == provider, ProviderApp.id != app.id)
    )
    app.client_id = client_id.strip()
    app.client_secret_enc = (
        ring.encrypt(client_secret, app_binding(app.id, provider)) if client_secret else None
    )
    if redirect_uri is not None:
        app.redirect_uri = redirect_uri or None
    app.updated_at = utcnow()
    session.flush()
    return app.id


def load_app_credentials(
    conn: Connection | Session, ring: KeyRing, *, user_id: int | None = None, provider: str
) -> AppCredentials:
    """The installation's app registration for ``provider`` (the same for every
    user; ``user_id`` is not needed), or UsageError saying how to add one."""
    del user_id  # app credentials belong to the installation
    app = installation_app(conn, provider)
    if app is None:
        raise UsageError(
            f"no {provider} app credentials: the operator registers an app "
            f"(see docs/connecting.md) and runs "
            f"`crossfade apps set {provider} --client-id ID --client-secret SECRET`"
        )
    secret = (
        ring.decrypt_text(app.client_secret_enc, app_binding(app.id, provider))
        if app.client_secret_enc
        else None
    )
    return AppCredentials(app.client_id, secret, app.redirect_uri)


# -- account tokens --------------------------------------------------------------------


def token_columns(ring: KeyRing, account_id: int, provider: str, pair: TokenPair) -> dict[str, Any]:
    """Column values that store ``pair`` (ciphertext only)."""
    refresh = pair.refresh_token
    return {
        "access_token_enc": ring.encrypt(
            pair.access_token, account_binding(account_id, provider, "access_token_enc")
        ),
        "refresh_token_enc": (
            ring.encrypt(refresh, account_binding(account_id, provider, "refresh_token_enc"))
            if refresh
            else None
        ),
        "token_key_id": ring.primary.id,
        "expires_at": pair.expires_at,
        "updated_at": utcnow(),
    }


def decrypt_pair(ring: KeyRing, row: Any) -> TokenPair:
    """The pair stored in a provider_accounts row (ORM object or Core row)."""
    if row.access_token_enc is None:
        raise NeedsReconnectError(f"{row.provider}: account {row.id} holds no token; reconnect it")
    access = ring.decrypt_text(
        row.access_token_enc, account_binding(row.id, row.provider, "access_token_enc")
    )
    refresh = (
        ring.decrypt_text(
            row.refresh_token_enc, account_binding(row.id, row.provider, "refresh_token_enc")
        )
        if row.refresh_token_enc
        else None
    )
    expires = as_utc(row.expires_at) if row.expires_at else None
    return TokenPair(access, refresh, expires, row.scopes)


def save_account(
    session: Session,
    ring: KeyRing,
    *,
    user_id: int,
    provider: str,
    pair: TokenPair,
    external_user_id: str | None = None,
    display_name: str | None = None,
) -> int:
    """Create or reconnect the user's account for ``provider``; its id."""
    account = repo.find_account(session, user_id, provider)
    if account is None:
        account = ProviderAccount(user_id=user_id, provider=provider)
        session.add(account)
        session.flush()
    for name, value in token_columns(ring, account.id, provider, pair).items():
        setattr(account, name, value)
    account.scopes = pair.scope
    account.status = CONNECTED
    account.status_reason = None
    account.external_user_id = external_user_id or pair.provider_user_id or account.external_user_id
    if display_name:
        account.display_name = display_name
    session.flush()
    return account.id


def mark_needs_reconnect(conn: Connection | Session, account_id: int, reason: str) -> None:
    conn.execute(
        update(ProviderAccount)
        .where(ProviderAccount.id == account_id)
        .values(status=NEEDS_RECONNECT, status_reason=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def require_connected(account: Any) -> None:
    """NeedsReconnectError (with the stored reason) unless the account is usable."""
    if account.status == CONNECTED:
        return
    reason = account.status_reason or f"the account is {account.status}"
    raise NeedsReconnectError(
        f"{account.provider} account {account.id} needs reconnecting: {reason}. "
        f"Run `crossfade connect {account.provider}`"
    )


# -- the token source --------------------------------------------------------------------


@contextmanager
def locked_row(engine: Engine) -> Iterator[Connection]:
    """A write transaction in which the caller may lock account rows.

    Postgres: an ordinary transaction; queries add ``FOR UPDATE``. SQLite has
    no row locks: ``BEGIN IMMEDIATE`` takes the database's write lock.
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")


class AccountTokenSource:
    """TokenSource for one account; decrypts only here, refreshes under a row lock."""

    def __init__(
        self,
        runtime: Runtime,
        account_id: int,
        http_factory: SessionFactory,
        *,
        ring: KeyRing | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        skew: timedelta = REFRESH_SKEW,
    ) -> None:
        self.account_id = account_id
        self._runtime = runtime
        self._factory = http_factory
        self._ring = ring
        self._now = now
        self._skew = skew
        self._pair: TokenPair | None = None
        self.refreshes = 0
        """Refresh calls this source made to the token endpoint."""

    def __repr__(self) -> str:
        return f"AccountTokenSource(account_id={self.account_id})"

    @property
    def ring(self) -> KeyRing:
        if self._ring is None:
            self._ring = load_key_ring(self._runtime.settings)
        return self._ring

    def access_token(self) -> str:
        if self._pair is None:
            self._pair = self._load()
        if self._pair.expiring(self._now(), self._skew):
            self._pair = self._refresh(stale=None)
        return self._pair.access_token

    def refresh(self) -> str:
        """Called on a 401: a new token, unless another worker already made one."""
        stale = self._pair.access_token if self._pair else None
        self._pair = self._refresh(stale=stale or "")
        return self._pair.access_token

    def _load(self) -> TokenPair:
        install_log_redaction()  # this process is about to hold a plaintext token
        with self._runtime.engine.connect() as conn:
            row = self._select(conn, lock=False)
        require_connected(row)
        return decrypt_pair(self.ring, row)

    def _select(self, conn: Connection, *, lock: bool) -> Any:
        query = select(ProviderAccount.__table__).where(ProviderAccount.id == self.account_id)
        if lock and conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundError(f"provider account {self.account_id} does not exist")
        return row

    def _refresh(self, *, stale: str | None) -> TokenPair:
        """``stale=None``: refresh only if still expiring once the lock is held;
        ``stale=token``: refresh unless the stored token is no longer ``stale``."""
        revoked: str | None = None
        with locked_row(self._runtime.engine) as conn:
            row = self._select(conn, lock=True)
            require_connected(row)
            current = decrypt_pair(self.ring, row)
            now = self._now()
            fresh = not current.expiring(now, self._skew)
            if fresh and (stale is None or current.access_token != stale):
                return current  # valid, or already refreshed by another worker
            if not current.refresh_token:
                revoked = "the access token expired or was rejected, and there is no refresh token"
            else:
                try:
                    new = self._endpoint(conn, row).refresh(current.refresh_token)
                except NeedsReconnectError as exc:
                    revoked = str(exc)
                else:
                    self.refreshes += 1
                    conn.execute(
                        update(ProviderAccount)
                        .where(ProviderAccount.id == self.account_id)
                        .values(
                            **token_columns(self.ring, row.id, row.provider, new),
                            scopes=new.scope or row.scopes,
                        )
                    )
                    return new
            mark_needs_reconnect(conn, self.account_id, revoked)
        raise NeedsReconnectError(
            f"{row.provider} account {self.account_id} needs reconnecting: {revoked}. "
            f"Run `crossfade connect {row.provider}`"
        )

    def _endpoint(self, conn: Connection, row: Any) -> TokenEndpoint:
        app = load_app_credentials(conn, self.ring, user_id=row.user_id, provider=row.provider)
        spec = oauth_spec(row.provider, self._runtime.settings)
        return TokenEndpoint(spec, app, self._factory, now=self._now)
