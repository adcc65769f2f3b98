"""Connections page support: account status per provider, app credentials
(never their secrets), the app's redirect URI, and which provider an OAuth
callback belongs to (the browser comes back in a new session)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from engine.auth import AccountInfo, list_account_info
from engine.auth.states import hash_state
from engine.auth.tokens import installation_app
from engine.providers import PROVIDERS
from engine.runtime import Runtime
from engine.store.models import OAuthState

CONNECTIONS_PATH = "connections"
"""URL path of the Connections page: the redirect URI providers send users back to."""


@dataclass(frozen=True)
class AppInfo:
    """A provider app registration as it may be shown (no secret)."""

    provider: str
    client_id: str
    has_secret: bool
    redirect_uri: str | None


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    account: AccountInfo | None
    app: AppInfo | None

    @property
    def status(self) -> str:
        """not connected | connected | needs_reconnect | disconnected"""
        return self.account.status if self.account else "not connected"


def provider_statuses(runtime: Runtime, user_id: int) -> list[ProviderStatus]:
    """One entry per known provider, connected or not."""
    accounts = {a.provider: a for a in list_account_info(runtime, user_id)}
    apps: dict[str, AppInfo] = {}
    with runtime.engine.connect() as conn:  # the installation's, the same for every user
        for provider in sorted(PROVIDERS):
            row = installation_app(conn, provider)
            if row is not None:
                apps[provider] = AppInfo(
                    provider, row.client_id, row.client_secret_enc is not None, row.redirect_uri
                )
    return [ProviderStatus(p, accounts.get(p), apps.get(p)) for p in sorted(PROVIDERS)]


def redirect_uri_for(page_url: str | None, saved: str | None = None) -> str:
    """The redirect URI for OAuth: the saved one if any, else this app's
    Connections page (from the URL the browser is on)."""
    if saved:
        return saved
    if not page_url:
        return f"http://localhost:8501/{CONNECTIONS_PATH}"
    parts = urlsplit(page_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{CONNECTIONS_PATH}", "", ""))


def callback_provider(runtime: Runtime, user_id: int, params: Mapping[str, str]) -> str | None:
    """The provider whose OAuth callback these query parameters are, if they
    carry a ``state`` this user started; None otherwise."""
    state = params.get("state")
    # Deezer reports a refusal as ``error_reason`` (the others as ``error``)
    if not state or not ("code" in params or "error" in params or "error_reason" in params):
        return None
    with Session(runtime.engine) as session:
        row = session.get(OAuthState, hash_state(state))
        if row is None or row.user_id != user_id:
            return None
        return row.provider
