"""``crossfade sync-group create | list | pause | resume | delete | run | schedule``.

A member is ``ACCOUNT:PLAYLIST_ID`` (a provider playlist), ``ACCOUNT:liked``
(the account's liked tracks) or ``file:PATH`` (a playlist file you own), in
precedence order: a later member decides a track two members moved.
``run`` is a dry run unless ``--apply``; a group's first applying run shows
its plan and asks before it writes.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from engine.cli._common import state
from engine.cli.jobscmd import _user_id, watch
from engine.errors import JobError, UsageError
from engine.jobs import job_row, run_job
from engine.jobs.group_runs import submit_run
from engine.jobs.group_schedule import parse_schedule, schedule_group
from engine.runtime import Runtime
from engine.store import sync_groups
from engine.store.db import session_scope

group_app = typer.Typer(help="Keep one playlist the same on several members.", no_args_is_help=True)
SHOWN = 5
"""Changes listed per member and kind in the text output (--json has all)."""


def parse_member(text: str) -> dict[str, Any]:
    """``3:37i9dQ...`` / ``3:liked`` / ``file:road-trip.m3u8`` -> a member spec."""
    head, sep, rest = text.partition(":")
    if not sep or not rest:
        raise UsageError(
            f"--member {text!r}: expected ACCOUNT:PLAYLIST_ID, ACCOUNT:liked or file:PATH"
        )
    if head == "file":
        return {"kind": "file", "path": str(Path(rest).expanduser().resolve())}
    if not head.isdigit():
        raise UsageError(
            f"--member {text!r}: the account must be an id (see `crossfade auth list`)"
        )
    if rest == "liked":
        return {"kind": "liked", "account_id": int(head)}
    return {"kind": "playlist", "account_id": int(head), "playlist_id": rest}


@group_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The group's name."),
    member: list[str] = typer.Option(
        ..., "--member", help="ACCOUNT:PLAYLIST_ID, ACCOUNT:liked or file:PATH"
    ),
    max_removal_share: float = typer.Option(
        sync_groups.DEFAULT_REMOVAL_SHARE, "--max-removal-share", help="Removal guard (0..1)."
    ),
) -> None:
    """Create a group (nothing is read or written until `run`)."""
    runtime = state(ctx).runtime
    specs = [parse_member(m) for m in member]
    with session_scope(runtime.engine) as session:
        group = sync_groups.create_group(
            session, _user_id(runtime), name, specs, max_removal_share=max_removal_share
        )
        typer.echo(json.dumps(sync_groups.describe(group), indent=2))


@group_app.command("list")
def list_command(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """Your groups, their members and schedules."""
    runtime = state(ctx).runtime
    with session_scope(runtime.engine) as session:
        groups = [
            sync_groups.describe(g) for g in sync_groups.list_groups(session, _user_id(runtime))
        ]
    if as_json:
        typer.echo(json.dumps(groups, indent=2))
        return
    table = Table(
        "id", "name", "status", "members", "tracks", "schedule", "next run", "last synced"
    )
    for g in groups:
        members = ", ".join(
            f"{m['kind']}:{m['path'] or m['playlist_id'] or ''}@{m['account_id'] or '-'}"
            for m in g["members"]
        )
        table.add_row(
            str(g["id"]),
            g["name"],
            g["status"],
            members,
            str(g["tracks"]),
            g["schedule"] or "",
            g["next_run_at"] or "",
            g["last_synced_at"] or "never",
        )
    Console().print(table)


def _set_status(ctx: typer.Context, group: str, status: str) -> None:
    runtime = state(ctx).runtime
    with session_scope(runtime.engine) as session:
        found = sync_groups.set_status(session, _user_id(runtime), group, status)
        typer.echo(f"sync group {found.id} ({found.name}) is {status}")


@group_app.command("pause")
def pause(ctx: typer.Context, group: str = typer.Argument(..., help="Group id or name.")) -> None:
    """Pause a group: its schedule skips its slots until `resume`."""
    _set_status(ctx, group, "paused")


@group_app.command("resume")
def resume(ctx: typer.Context, group: str = typer.Argument(..., help="Group id or name.")) -> None:
    """Resume a paused group."""
    _set_status(ctx, group, "active")


@group_app.command("delete")
def delete(
    ctx: typer.Context,
    group: str = typer.Argument(..., help="Group id or name."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask."),
) -> None:
    """Delete a group (the members' playlists are left as they are)."""
    runtime = state(ctx).runtime
    if not yes:
        typer.confirm(f"delete sync group {group}?", abort=True)
    with session_scope(runtime.engine) as session:
        gone = sync_groups.delete_group(session, _user_id(runtime), group)
    typer.echo(f"deleted sync group {gone}")


def _wait(runtime: Runtime, job_id: str) -> dict[str, Any]:
    worker = None
    if runtime.redis is None:
        worker = threading.Thread(target=run_job, args=(runtime, job_id), daemon=True)
        worker.start()
    row = watch(runtime, job_id)
    if worker is not None:
        worker.join()
        row = job_row(runtime, job_id)
    if row["state"] != "succeeded":
        raise JobError(f"job {job_id} {row['state']}: {row['error']}")
    return dict(row["result"])


def show_plan(result: dict[str, Any]) -> None:
    """Per member: counts, then the first changes of each kind with their reason."""
    out = Console()
    what = "would change" if result.get("dry_run") else "changed"
    out.print(f"[bold]sync group {result['group_id']}[/]: {result['tracks']} tracks; {what}:")
    for member in result["members"]:
        guard = member["guard"]
        out.print(
            f"  {member['label']}: {member['before']} -> {member['after']} tracks, "
            f"+{len(member['add'])} -{len(member['remove'])} ~{len(member['move'])}"
            + (" [red]REMOVAL GUARD[/]" if guard["blocked"] else "")
        )
        for kind, sign in (("add", "+"), ("remove", "-"), ("move", "~")):
            for change in member[kind][:SHOWN]:
                out.print(
                    f"      {sign} {change['track']}  ({change['why'] or 'to match the group'})"
                )
            if len(member[kind]) > SHOWN:
                out.print(f"      ... {len(member[kind]) - SHOWN} more (--json shows all)")
        for item in member["missing"][:SHOWN]:
            out.print(f"      ! not on this service: {item}")
        for item in member["review"][:SHOWN]:
            out.print(f"      ? {item['track']}: {item['why']}")
    for conflict in result["conflicts"][: SHOWN * 2]:
        out.print(f"  conflict: {conflict['track']}: {conflict['rule']}")


@group_app.command("run")
def run(
    ctx: typer.Context,
    group: str = typer.Argument(..., help="Group id or name."),
    apply: bool = typer.Option(False, "--apply", help="Write the changes (default: dry run)."),
    confirm_removals: bool = typer.Option(
        False, "--confirm-removals", help="Go past the removal guard (check the dry run first)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Apply a first run without asking."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole plan as JSON."),
    detach: bool = typer.Option(False, "--detach", help="Submit and return."),
) -> None:
    """Read every member, merge, and show (or with --apply, make) the changes."""
    runtime = state(ctx).runtime
    user_id = _user_id(runtime)
    with session_scope(runtime.engine) as session:
        found = sync_groups.get_group(session, user_id, group)
        group_id, previewed = int(found.id), found.previewed_at is not None
    if apply and not previewed:
        typer.echo("first run of this group: here is what it would do", err=True)
        shown = _wait(
            runtime, submit_run(runtime, user_id, group_id, start=runtime.redis is not None)
        )
        show_plan(shown)
        if not yes:
            typer.confirm("apply these changes?", abort=True)
    job_id = submit_run(
        runtime,
        user_id,
        group_id,
        apply=apply,
        confirm_removals=confirm_removals,
        start=runtime.redis is not None,
    )
    typer.echo(f"job {job_id} (sync_group)", err=True)
    if detach:
        if runtime.redis is None:
            typer.echo("no Redis: run it with `crossfade worker --burst`", err=True)
        return
    result = _wait(runtime, job_id)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        show_plan(result)


@group_app.command("schedule")
def schedule(
    ctx: typer.Context,
    group: str = typer.Argument(..., help="Group id or name."),
    every: str | None = typer.Option(None, "--every", help="An interval: 6h, 30m, 1d."),
    cron: str | None = typer.Option(None, "--cron", help="A cron expression: '0 */6 * * *'."),
    off: bool = typer.Option(False, "--off", help="Remove the schedule."),
) -> None:
    """Run a group on a schedule (`crossfade worker` runs the slots)."""
    runtime = state(ctx).runtime
    text = None if off else parse_schedule(every, cron)
    done = schedule_group(runtime, _user_id(runtime), group, text)
    typer.echo(json.dumps(done))


library_app = typer.Typer(
    help="Whole libraries: liked tracks into liked tracks.", no_args_is_help=True
)


@library_app.command("migrate")
def library_migrate(
    ctx: typer.Context,
    source: int = typer.Option(..., "--from", help="Source provider account id."),
    target: int = typer.Option(..., "--to", help="Target provider account id."),
    apply: bool = typer.Option(False, "--apply", help="Save them (default: dry run, counts only)."),
) -> None:
    """Liked tracks into the target's liked library (a playlist where the provider has none)."""
    from engine.jobs import submit

    runtime = state(ctx).runtime
    params = {"source_account_id": source, "target_account_id": target, "dry_run": not apply}
    job_id = submit(
        runtime, "library", params, user_id=_user_id(runtime), start=runtime.redis is not None
    )
    typer.echo(f"job {job_id} (library)", err=True)
    typer.echo(json.dumps(_wait(runtime, job_id), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(group_app, name="sync-group")
    app.add_typer(library_app, name="library")
