"""``crossfade db``: schema migration and seed data."""

from __future__ import annotations

import typer

from engine.cli._common import state
from engine.store.db import migrate, session_scope
from engine.store.seed import seed

db_app = typer.Typer(help="The store: migrate the schema, seed demo data.", no_args_is_help=True)


@db_app.command("migrate")
def migrate_command(ctx: typer.Context) -> None:
    """Bring the schema (tables and views) up to date."""
    runtime = state(ctx).runtime
    migrate(runtime.engine)  # idempotent: the engine is already migrated on first use
    typer.echo(f"schema up to date: {runtime.engine.url.render_as_string(hide_password=True)}")


@db_app.command("seed")
def seed_command(ctx: typer.Context) -> None:
    """Insert demo data: a local user, playlists with several snapshots, decisions."""
    runtime = state(ctx).runtime
    with session_scope(runtime.engine) as session:
        report = seed(session)
    if report.created:
        typer.echo(
            f"seeded user {report.user_id}: {report.playlists} playlists, "
            f"{report.tracks} tracks, {report.decisions} match decisions"
        )
    else:
        typer.echo(f"seed data already present for user {report.user_id}; nothing changed")


def register(app: typer.Typer) -> None:
    """Add ``crossfade db`` to the root app."""
    app.add_typer(db_app, name="db")
