"""The ``crossfade`` command line. Errors are rendered here, and only here.

Exit codes: 0 ok, 2 usage error, 1 data or runtime error (one line on stderr;
a traceback only with ``--debug``). Each command group lives in its own module
and registers itself through ``register(app)``.
"""

from __future__ import annotations

import sys
import traceback

import click
import typer
from typer._click import exceptions as _typer_click

from engine.cli import (
    _common,
    authcmd,
    dbcmd,
    files,
    groupcmd,
    jobscmd,
    matchcmd,
    matchercmd,
    sandboxcmd,
    servicecmd,
)
from engine.errors import CrossfadeError

app = typer.Typer(
    name="crossfade",
    help="Move, sync, back up and analyse music libraries across providers and files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    ctx.obj = _common.CliState(debug=debug)


for module in (
    files,
    dbcmd,
    matchcmd,
    matchercmd,
    sandboxcmd,
    authcmd,
    jobscmd,
    groupcmd,
    servicecmd,
):
    module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="crossfade", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        print("crossfade: aborted", file=sys.stderr)
        return 1
    except click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else 1
    except typer.Exit as exc:  # typer >= 0.29 vendors click: its own exception classes
        return exc.exit_code
    except typer.Abort:
        print("crossfade: aborted", file=sys.stderr)
        return 1
    except _typer_click.ClickException as exc:
        exc.show()
        return 2 if isinstance(exc, _typer_click.UsageError) else 1
    except CrossfadeError as exc:
        if debug:
            traceback.print_exc()
        print(f"crossfade: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("crossfade: interrupted", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    sys.exit(main())
