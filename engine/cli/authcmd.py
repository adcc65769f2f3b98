"""``crossfade connect|disconnect|accounts``, ``crossfade apps set`` and
``crossfade keys rotate|generate``: connecting provider accounts and managing
the keys that encrypt their tokens (see docs/connecting.md)."""

from __future__ import annotations

import webbrowser
from urllib.parse import parse_qsl, urlsplit

import typer
from sqlalchemy import select

from engine.auth.crypto import generate_key, load_key_ring
from engine.auth.keys import DEFAULT_BATCH, rotate_keys
from engine.auth.loopback import (
    DEFAULT_PATH,
    DEFAULT_PORT,
    connect_with_loopback,
    loopback_target,
    saved_redirect_uri,
)
from engine.auth.oauth import disconnect, list_account_info
from engine.auth.redact import install_log_redaction
from engine.auth.specs import SPECS
from engine.auth.tokens import save_app_credentials
from engine.cli._common import CliState, state
from engine.errors import UsageError
from engine.store.db import session_scope
from engine.store.models import ProviderApp
from engine.store.users import local_user

apps_app = typer.Typer(
    help="The installation's app credentials for each provider (set by the operator).",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Keys that encrypt tokens at rest.", no_args_is_help=True)


def _provider(name: str) -> str:
    name = name.strip().lower()
    if name not in SPECS:
        raise UsageError(f"unknown provider {name!r}; choose one of {', '.join(sorted(SPECS))}")
    return name


def _user_id(cli: CliState) -> int:
    with session_scope(cli.runtime.engine) as session:
        return local_user(session).id


def connect_command(
    ctx: typer.Context,
    provider: str = typer.Argument(..., help="spotify, deezer, tidal or youtube."),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Print the authorize URL instead of opening a browser."
    ),
    port: int | None = typer.Option(
        None,
        help=f"Loopback port to listen on; default: the saved redirect URI's, else {DEFAULT_PORT}.",
    ),
    timeout: float = typer.Option(300.0, help="Seconds to wait for the browser's redirect."),
) -> None:
    """Connect a provider account: approve in the browser, tokens stored encrypted."""
    install_log_redaction()
    cli = state(ctx)
    name = _provider(provider)
    user_id = _user_id(cli)

    def open_url(url: str) -> None:
        typer.echo(f"Open this URL to connect {name}:\n{url}")
        if not no_browser:
            webbrowser.open(url)
        redirect = dict(parse_qsl(urlsplit(url).query)).get("redirect_uri", "")
        typer.echo(f"Waiting up to {timeout:.0f} s for the redirect to {redirect} ...")

    target = loopback_target(saved_redirect_uri(cli.runtime, user_id, name), port)
    account_id = connect_with_loopback(
        cli.runtime, user_id, name, open_url, target=target, timeout=timeout
    )
    typer.echo(f"Connected {name} (account {account_id}).")


def disconnect_command(
    ctx: typer.Context,
    provider: str = typer.Argument(..., help="spotify, deezer, tidal or youtube."),
) -> None:
    """Revoke (where the provider allows it) and delete the stored tokens."""
    install_log_redaction()
    cli = state(ctx)
    name = _provider(provider)
    if disconnect(cli.runtime, _user_id(cli), name):
        typer.echo(f"Disconnected {name}; its tokens are deleted.")
    else:
        typer.echo(f"No {name} account is connected.")


def accounts_command(ctx: typer.Context) -> None:
    """List connected accounts (never their tokens)."""
    cli = state(ctx)
    infos = list_account_info(cli.runtime, _user_id(cli))
    if not infos:
        typer.echo("No accounts connected. Run `crossfade connect PROVIDER`.")
        return
    for info in infos:
        who = info.display_name or info.external_user_id or "?"
        expiry = info.expires_at.strftime("%Y-%m-%d %H:%M UTC") if info.expires_at else "never"
        line = f"{info.provider:8} {info.status:16} {who}  (account {info.id}, expires {expiry})"
        if info.status_reason and info.status != "connected":
            line += f"\n{'':8} {info.status_reason}"
        typer.echo(line)


@apps_app.command("set")
def apps_set_command(
    ctx: typer.Context,
    provider: str = typer.Argument(..., help="spotify, deezer, tidal or youtube."),
    client_id: str = typer.Option(..., "--client-id", help="Client id (Deezer: application id)."),
    client_secret: str = typer.Option(
        "",
        "--client-secret",
        prompt="Client secret (empty for none)",
        hide_input=True,
        help="Client secret; prompted for (hidden) when not given.",
    ),
    redirect_uri: str | None = typer.Option(
        None, "--redirect-uri", help=f"Default http://127.0.0.1:{DEFAULT_PORT}{DEFAULT_PATH}."
    ),
) -> None:
    """Save this installation's app credentials for a provider, used by every
    user's connect (the secret is encrypted)."""
    cli = state(ctx)
    name = _provider(provider)
    ring = load_key_ring(cli.settings)
    with session_scope(cli.runtime.engine) as session:
        save_app_credentials(
            session,
            ring,
            user_id=local_user(session).id,
            provider=name,
            client_id=client_id,
            client_secret=client_secret or None,
            redirect_uri=redirect_uri,
        )
    typer.echo(f"Saved {name} app credentials (client id {client_id}).")


@apps_app.command("list")
def apps_list_command(ctx: typer.Context) -> None:
    """List saved app credentials (client id, redirect URI; never the secret)."""
    cli = state(ctx)
    with session_scope(cli.runtime.engine) as session:
        apps = session.scalars(select(ProviderApp).order_by(ProviderApp.provider)).all()
        rows = [
            (a.provider, a.client_id, a.client_secret_enc is not None, a.redirect_uri) for a in apps
        ]
    if not rows:
        typer.echo("No app credentials saved. Run `crossfade apps set PROVIDER --client-id ID`.")
    for provider, client_id, has_secret, redirect in rows:
        secret = "secret set" if has_secret else "no secret"
        typer.echo(f"{provider:8} {client_id}  ({secret}; redirect {redirect or 'default'})")


@keys_app.command("generate")
def keys_generate_command(
    key_id: str | None = typer.Option(None, "--id", help="Key id; default k<timestamp>."),
) -> None:
    """Print a new key entry; put it FIRST in CROSSFADE_TOKEN_KEYS, then rotate."""
    typer.echo(generate_key(key_id))


@keys_app.command("rotate")
def keys_rotate_command(
    ctx: typer.Context,
    batch_size: int = typer.Option(DEFAULT_BATCH, min=1, help="Rows per committed batch."),
) -> None:
    """Re-encrypt every stored token and secret under the newest key (resumable)."""
    cli = state(ctx)
    report = rotate_keys(
        cli.runtime,
        batch_size=batch_size,
        on_batch=lambda table, done: (
            typer.echo(f"{table}: {done} rows re-encrypted") if done else None
        ),
    )
    typer.echo(
        f"Rotation done: {report.total_rewrapped} values now under key {report.primary_key_id!r}"
        f" ({sum(report.current.values())} already were)."
    )
    if report.skipped_changed:
        typer.echo(f"{report.skipped_changed} rows changed meanwhile (already under the new key).")


def register(app: typer.Typer) -> None:
    """Add the account and key commands to the root app."""
    app.command("connect")(connect_command)
    app.command("disconnect")(disconnect_command)
    app.command("accounts")(accounts_command)
    app.add_typer(apps_app, name="apps")
    app.add_typer(keys_app, name="keys")
