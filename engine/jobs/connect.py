"""Opening a provider client for a stored account, from its id alone.

Jobs never see tokens: they name an account, and :func:`open_account` builds
the client through the shared HTTP stack (``engine.http``) with a token source
from ``engine.auth`` that decrypts only there. Openers are looked up by the
account's provider name in :data:`OPENERS`, so a non-HTTP provider (or a test
double) can be plugged in like a built-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from engine.errors import NeedsReconnectError
from engine.store.models import ProviderAccount
from engine.store.owned import get_owned

if TYPE_CHECKING:
    from engine.providers.base import Provider
    from engine.runtime import Runtime

Opener = Callable[["Runtime", ProviderAccount], Any]
"""(runtime, account) -> a context manager yielding a Provider."""

OPENERS: dict[str, Opener] = {}
"""Provider name -> opener; providers without one use :func:`open_over_http`."""


def register_opener(provider: str, opener: Opener) -> None:
    OPENERS[provider] = opener


def load_account(runtime: Runtime, account_id: int, *, user_id: int | None) -> ProviderAccount:
    """The account row, refusing another user's and ones that must reconnect."""
    with Session(runtime.engine) as session:
        missing = f"no provider account {account_id}"
        account = get_owned(session, ProviderAccount, account_id, user_id=user_id, missing=missing)
        session.expunge(account)
    if account.status == "needs_reconnect":
        raise NeedsReconnectError(
            f"{account.provider} account {account_id} must be reconnected: "
            f"{account.status_reason or 'refresh token revoked'}"
        )
    return account


@contextmanager
def open_over_http(runtime: Runtime, account: ProviderAccount) -> Iterator[Provider]:
    """A built-in provider client over the shared HTTP stack (or the sandbox
    when ``settings.sandbox_url`` is set)."""
    from engine.auth.tokens import AccountTokenSource
    from engine.providers import build_provider, provider_http_config

    # The process's one factory (``runtime.http``): every job shares its rate
    # limiter, breaker and counters, and the Runtime closes it.
    factory = runtime.http
    token = AccountTokenSource(runtime, account.id, factory)
    http = factory.session(
        provider_http_config(account.provider, runtime.settings),
        user_key=f"account:{account.id}",
        token=token,
    )
    yield build_provider(account.provider, http)


@contextmanager
def open_account(runtime: Runtime, account_id: int, *, user_id: int | None) -> Iterator[Provider]:
    """A provider client for ``account_id``, closed on exit."""
    from engine.flags import require_provider

    account = load_account(runtime, account_id, user_id=user_id)
    require_provider(runtime, runtime.settings, account.provider)
    opener = OPENERS.get(account.provider, open_over_http)
    with opener(runtime, account) as provider:
        yield provider
