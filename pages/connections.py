"""Connections: connect and disconnect each provider through OAuth, see each
account's status (including "needs reconnect"), and manage the provider app
credentials. The provider sends the browser back to this page with ``code``
and ``state`` in the query string; the page finishes the connection.

Session-state keys: ``cf_conn_url_<provider>`` (authorize URL just created),
``cf_conn_notice``, and the app-credential form fields ``cf_app_<provider>_*``.
"""

from __future__ import annotations

import streamlit as st

from engine.app_support import connections
from engine.app_support.people import CurrentUser
from engine.auth import (
    disconnect,
    finish_connect,
    load_key_ring,
    save_app_credentials,
    start_connect,
)
from engine.errors import CrossfadeError, UsageError
from engine.runtime import Runtime
from engine.store.db import session_scope
from pages import _ui

NAMES = {"spotify": "Spotify", "deezer": "Deezer", "tidal": "TIDAL", "youtube": "YouTube"}

BADGES = {
    "connected": ":green-badge[connected]",
    "needs_reconnect": ":orange-badge[needs reconnect]",
    "disconnected": ":gray-badge[disconnected]",
    "not connected": ":gray-badge[not connected]",
}

OPERATOR_SETS_APPS = (
    "App credentials are set once for everyone by the operator "
    "(`crossfade apps set PROVIDER --client-id ID`)."
)


def _notice() -> None:
    notice = st.session_state.pop("cf_conn_notice", None)
    if isinstance(notice, CrossfadeError):
        _ui.show_error(notice)
    elif notice:
        st.success(notice)


def handle_callback(rt: Runtime, user: CurrentUser) -> None:
    """Finish an OAuth connection when the provider redirected back here."""
    params = {key: st.query_params[key] for key in st.query_params}
    provider = connections.callback_provider(rt, user.id, params)
    if provider is None:
        if "state" in params:
            st.query_params.clear()
            st.warning("That sign-in link has expired or was already used. Connect again.")
        return
    st.query_params.clear()
    try:
        finish_connect(rt, user.id, provider, params)
    except CrossfadeError as exc:
        st.session_state["cf_conn_notice"] = exc
    else:
        st.session_state["cf_conn_notice"] = f"{provider} connected."


def _start(rt: Runtime, user: CurrentUser, provider: str, redirect: str) -> None:
    try:
        url = start_connect(rt, user.id, provider, redirect)
    except CrossfadeError as exc:
        st.session_state["cf_conn_notice"] = exc
    else:
        st.session_state[f"cf_conn_url_{provider}"] = url


def _disconnect(rt: Runtime, user: CurrentUser, provider: str) -> None:
    try:
        disconnect(rt, user.id, provider)
    except CrossfadeError as exc:
        st.session_state["cf_conn_notice"] = exc
    else:
        st.session_state.pop(f"cf_conn_url_{provider}", None)
        st.session_state["cf_conn_notice"] = f"{provider} disconnected; its tokens are deleted."


def _save_app(rt: Runtime, user: CurrentUser, provider: str) -> None:
    prefix = f"cf_app_{provider}_"
    if rt.settings.oidc_enabled:  # multi-user: the installation's, set by the operator
        st.session_state["cf_conn_notice"] = UsageError(OPERATOR_SETS_APPS)
        return
    _store_app(
        rt,
        user,
        provider,
        client_id=str(st.session_state.get(prefix + "client_id") or ""),
        client_secret=str(st.session_state.get(prefix + "secret") or "") or None,
        redirect_uri=str(st.session_state.get(prefix + "redirect") or "") or None,
        saved=f"{provider} app credentials saved.",
    )


def _store_app(
    rt: Runtime,
    user: CurrentUser,
    provider: str,
    *,
    client_id: str,
    client_secret: str | None,
    redirect_uri: str | None,
    saved: str,
) -> None:
    """Save this provider's app credentials; the outcome becomes the page's notice."""
    try:
        ring = load_key_ring(rt.settings)
        with session_scope(rt.engine) as session:
            save_app_credentials(
                session,
                ring,
                user_id=user.id,
                provider=provider,
                client_id=client_id,
                client_secret=client_secret,
                redirect_uri=redirect_uri,
            )
    except CrossfadeError as exc:
        st.session_state["cf_conn_notice"] = exc
    else:
        st.session_state["cf_conn_notice"] = saved


def _use_sandbox_app(rt: Runtime, user: CurrentUser, provider: str) -> None:
    """Save the sandbox's registered test app as this provider's app."""
    from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    _store_app(
        rt,
        user,
        provider,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        redirect_uri=None,
        saved=f"{provider}: the sandbox's test app is saved.",
    )


def _sandbox_client_id() -> str:
    from engine.sandbox.oauth import DEFAULT_CLIENT_ID

    return str(DEFAULT_CLIENT_ID)


def sandbox_notice(rt: Runtime) -> None:
    """Say plainly when every provider is the sandbox, not the real service."""
    if rt.settings.sandbox_url:
        st.info(
            f"This app runs against the **provider sandbox** ({rt.settings.sandbox_url}): "
            "no real Spotify, Deezer, TIDAL or YouTube account is touched. Each provider "
            "below offers the sandbox's registered test app, so you can connect and try "
            "everything without registering an app of your own.",
            icon=":material/science:",
        )


def provider_card(rt: Runtime, user: CurrentUser, item: connections.ProviderStatus) -> None:
    provider = item.provider
    redirect = connections.redirect_uri_for(
        st.context.url, item.app.redirect_uri if item.app else None
    )
    with st.container(border=True):
        name = NAMES.get(provider, provider.capitalize())
        st.markdown(f"#### {name} {BADGES.get(item.status, item.status)}")
        account = item.account
        if account:
            who = account.display_name or account.external_user_id or "unknown account"
            st.caption(f"Account: {who}")
            if account.status_reason and account.status != "connected":
                st.caption(f"Why: {account.status_reason}")
            if account.expires_at:
                expires = f"{account.expires_at:%Y-%m-%d %H:%M} UTC"
                st.caption(f"Access token renews automatically (expires {expires})")
        cols = st.columns(2)
        label = "Reconnect" if account and account.status != "connected" else "Connect"
        if account and account.status == "connected":
            label = "Connect again"
        cols[0].button(
            label,
            key=f"cf_conn_start_{provider}",
            on_click=_start,
            args=(rt, user, provider, redirect),
            disabled=item.app is None,
            type="primary" if label != "Connect again" else "secondary",
        )
        if account and account.status != "disconnected":
            cols[1].button(
                "Disconnect",
                key=f"cf_conn_drop_{provider}",
                on_click=_disconnect,
                args=(rt, user, provider),
            )
        url = st.session_state.get(f"cf_conn_url_{provider}")
        if url:
            st.link_button(f"Continue to {name} to sign in ↗", url, type="primary")
        if rt.settings.oidc_enabled:  # app credentials belong to the installation
            if item.app is None:
                st.caption(OPERATOR_SETS_APPS)
            return
        if rt.settings.sandbox_url and (
            item.app is None or item.app.client_id != _sandbox_client_id()
        ):
            st.button(
                "Use the sandbox's test app",
                key=f"cf_app_sandbox_{provider}",
                on_click=_use_sandbox_app,
                args=(rt, user, provider),
                help="Saves the sandbox's registered client id and secret for this provider.",
            )
        if item.app is None:
            st.caption("Add your app's credentials below first.")
        with st.expander(
            "App credentials" + (f" · client id {item.app.client_id}" if item.app else "")
        ):
            prefix = f"cf_app_{provider}_"
            with st.form(f"cf_app_form_{provider}", border=False):
                st.text_input(
                    "Client id",
                    value=item.app.client_id if item.app else "",
                    key=prefix + "client_id",
                )
                st.text_input(
                    "Client secret"
                    + (
                        " (saved; leave empty to remove)"
                        if item.app and item.app.has_secret
                        else ""
                    ),
                    type="password",
                    key=prefix + "secret",
                )
                st.text_input("Redirect URI to register", value=redirect, key=prefix + "redirect")
                st.form_submit_button(
                    "Save",
                    on_click=_save_app,
                    args=(rt, user, provider),
                    key=f"cf_app_save_{provider}",
                )


def main() -> None:
    context = _ui.page_context()
    if context is None:
        return
    rt, user = context
    _ui.sidebar_user(user, rt.settings.oidc_enabled)
    st.title("Connections")
    st.caption(
        "Crossfade signs in with your own app registration per provider "
        "(see docs/connecting.md). Tokens are stored encrypted and never shown."
    )
    sandbox_notice(rt)
    with _ui.guarded():
        handle_callback(rt, user)
    _notice()
    with _ui.guarded():
        items = connections.provider_statuses(rt, user.id)
        columns = st.columns(2)
        for index, item in enumerate(items):
            with columns[index % 2]:
                provider_card(rt, user, item)


main()
