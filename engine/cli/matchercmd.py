"""``crossfade matcher``: the learned scorer's model: retrain it from curator
decisions, show which model is in use."""

from __future__ import annotations

from pathlib import Path

import typer

from engine.cli._common import state
from engine.errors import UsageError

matcher_app = typer.Typer(
    help="The matcher's model: retrain from curator decisions, status.", no_args_is_help=True
)


def _user_id(ctx: typer.Context) -> int:
    from engine.store import repo
    from engine.store.db import session_scope

    with session_scope(state(ctx).runtime.engine) as session:
        return int(repo.local_user(session).id)


@matcher_app.command("retrain")
def retrain_command(
    ctx: typer.Context,
    valid: list[Path] = typer.Option(
        [],
        "--valid",
        help="Labelled pair file (iTunes-Amazon layout) the new model must not do worse on; "
        "repeatable.",
    ),
    seed: int = typer.Option(14, "--seed", help="Seed of the held-back split and the trees."),
) -> None:
    """Fold your curator decisions into a local model; refuse it if it is worse."""
    from engine.app_support.matcher_model import retrain_matcher

    for path in valid:
        if not path.is_file():
            raise UsageError(f"--valid: {path} does not exist")
    outcome = retrain_matcher(state(ctx).runtime, _user_id(ctx), valid, seed)
    typer.echo(
        f"{outcome.decisions} curator decisions ({outcome.pairs} pairs), {outcome.seconds:.1f} s"
    )
    for name, after in outcome.after.items():
        before = outcome.before.get(name) or {}
        if after:
            typer.echo(f"  {name}: F1 of auto {before.get('f1', 0.0):.3f} -> {after['f1']:.3f}")
    typer.echo(outcome.reason)
    if not outcome.accepted:
        raise typer.Exit(1)


@matcher_app.command("status")
def status_command(ctx: typer.Context) -> None:
    """Which model matches for you, and what its last retraining did."""
    from engine.app_support.matcher_model import model_info

    info = model_info(state(ctx).runtime, _user_id(ctx))
    if info.get("path"):
        typer.echo(f"local model {info['path']}, learned from {info.get('decisions', 0)} decisions")
    else:
        typer.echo("the shipped model (engine/matching/models/matcher-v1.json)")
    if info.get("reason"):
        typer.echo(f"last retraining: {info['reason']}")


def register(app: typer.Typer) -> None:
    """Add ``crossfade matcher`` to the root app."""
    app.add_typer(matcher_app, name="matcher")
