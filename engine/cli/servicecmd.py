"""``crossfade flags``, ``crossfade tokens`` and ``crossfade api``: the service surface."""

from __future__ import annotations

import typer

from engine import flags
from engine.cli._common import state
from engine.store import repo
from engine.store.db import session_scope

flags_app = typer.Typer(
    help="Feature flags: switch providers and features on or off.", no_args_is_help=True
)
tokens_app = typer.Typer(help="API tokens for the HTTP API (stored hashed).", no_args_is_help=True)


@flags_app.command("list")
def flags_list(ctx: typer.Context) -> None:
    """Every flag with its value and where the value comes from."""
    runtime = state(ctx).runtime
    for flag in flags.list_flags(runtime, runtime.settings):
        value = "on" if flag.enabled else "off"
        typer.echo(f"{flag.name:<22} {value:<4} {flag.origin:<9} {flag.description}".rstrip())


@flags_app.command("set")
def flags_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="provider.<name> or feature.<name>"),
    value: str = typer.Argument(..., help="on or off"),
) -> None:
    """Switch a flag on or off now, for every running process."""
    runtime = state(ctx).runtime
    enabled = flags.parse_switch(value)
    flags.set_flag(runtime, flags.check_name(name), enabled)
    typer.echo(f"{name} is now {'on' if enabled else 'off'}")


@flags_app.command("clear")
def flags_clear(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Forget the operator's value so settings decide again."""
    runtime = state(ctx).runtime
    had = flags.clear_flag(runtime, name)
    current = flags.flag_state(runtime, runtime.settings, name)
    prefix = "cleared; " if had else "no stored value; "
    typer.echo(f"{prefix}{name} is {'on' if current.enabled else 'off'} ({current.origin})")


def _user_id(ctx: typer.Context, external_id: str | None) -> int:
    with session_scope(state(ctx).runtime.engine) as session:
        if external_id is None:
            return repo.local_user(session).id
        return repo.ensure_user(session, external_id).id


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What the token is for, e.g. 'phone'."),
    user: str | None = typer.Option(None, help="External id of the user (default: local)."),
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    user_id = _user_id(ctx, user)
    with session_scope(state(ctx).runtime.engine) as session:
        row, plaintext = repo.create_api_token(session, user_id, name)
        token_id = row.id
    typer.echo(f"token {token_id} for user {user_id}: {plaintext}")
    typer.echo("store it now: it cannot be shown again", err=True)


@tokens_app.command("list")
def tokens_list(
    ctx: typer.Context, user: str | None = typer.Option(None, help="External id of the user.")
) -> None:
    """The user's tokens (never their values)."""
    user_id = _user_id(ctx, user)
    with session_scope(state(ctx).runtime.engine) as session:
        for token in repo.list_api_tokens(session, user_id):
            status = "revoked" if token.revoked_at else "active"
            typer.echo(f"{token.id:>5} {token.name:<20} {status}")


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token_id: int = typer.Argument(...),
    user: str | None = typer.Option(None, help="External id of the user."),
) -> None:
    """Revoke a token at once."""
    user_id = _user_id(ctx, user)
    with session_scope(state(ctx).runtime.engine) as session:
        repo.revoke_api_token(session, user_id, token_id)
    typer.echo(f"token {token_id} revoked")


def api_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port to listen on."),
    start_jobs: bool = typer.Option(
        True,
        help="Run submitted jobs here (off: leave them to `crossfade worker`; with Redis "
        "they are enqueued on RQ at once).",
    ),
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from engine.api import create_app
    from engine.auth.redact import install_log_redaction

    install_log_redaction()  # tokens and OAuth codes never reach the access log
    runtime = state(ctx).runtime
    flags.require(runtime, runtime.settings, "feature.api")
    typer.echo(f"Crossfade API on http://{host}:{port} (docs at /docs)", err=True)
    try:
        uvicorn.run(create_app(runtime, start_jobs=start_jobs), host=host, port=port)
    finally:
        runtime.close()


def register(app: typer.Typer) -> None:
    """Add ``flags``, ``tokens`` and ``api`` to the root app."""
    app.add_typer(flags_app, name="flags")
    app.add_typer(tokens_app, name="tokens")
    app.command("api")(api_command)
