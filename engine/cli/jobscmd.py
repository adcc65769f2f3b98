"""``crossfade pull | migrate | sync | export | gc | diff | worker | jobs ...``.

Each job command submits idempotently, then (unless ``--detach``) follows the
job's progress channel with a progress bar until it ends. Without Redis the job
runs in this process (or, while another process holds it, this one follows it
and takes over only if that holder's lease lapses); with Redis an RQ worker
(``crossfade worker``) runs it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from engine.cli._common import state
from engine.errors import JobError, UsageError
from engine.jobs import cancel, follow, job_row, list_jobs, retry, submit
from engine.jobs.runner import run_or_follow
from engine.runtime import Runtime

jobs_app = typer.Typer(help="Batch jobs: list, status, cancel, retry.", no_args_is_help=True)
console = Console(stderr=True)


def _user_id(runtime: Runtime) -> int:
    from engine.store import repo
    from engine.store.db import session_scope

    with session_scope(runtime.engine) as session:
        return int(repo.local_user(session).id)


def watch(runtime: Runtime, job_id: str, *, quiet: bool = False) -> dict[str, Any]:
    """Show a progress bar for the job until it ends; return its final row."""
    with Progress(
        TextColumn("[bold]{task.fields[phase]}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("job", total=None, phase="queued")
        for value in follow(runtime, job_id, poll_s=0.2):
            bar.update(
                task,
                total=value.get("total"),
                completed=value.get("done") or 0,
                phase=value.get("phase", ""),
            )
    return job_row(runtime, job_id)


def launch(
    ctx: typer.Context,
    kind: str,
    params: dict[str, Any],
    *,
    key: str | None,
    detach: bool,
) -> dict[str, Any]:
    """Submit, then run/follow unless detached; print the result as JSON."""
    runtime = state(ctx).runtime
    user_id = _user_id(runtime)
    in_process = runtime.redis is None
    job_id = submit(
        runtime, kind, params, user_id=user_id, idempotency_key=key, start=not in_process
    )
    typer.echo(f"job {job_id} ({kind})", err=True)
    if not in_process:
        typer.echo("queued on Redis: a `crossfade worker` process runs it", err=True)
    if detach:
        if in_process:
            typer.echo("no Redis: run it with `crossfade worker --burst`", err=True)
        return {"id": job_id}
    return run_and_show(runtime, job_id, in_process=in_process)


def run_and_show(runtime: Runtime, job_id: str, *, in_process: bool) -> dict[str, Any]:
    """Run the job here (embedded) or let a worker run it (Redis), follow it
    with a progress bar, print its result as JSON."""
    worker = None
    if in_process:
        worker = threading.Thread(target=run_or_follow, args=(runtime, job_id), daemon=True)
        worker.start()
    row = watch(runtime, job_id)
    if worker is not None:
        worker.join()
        row = job_row(runtime, job_id)
    typer.echo(json.dumps({"id": job_id, "state": row["state"], "result": row["result"]}, indent=2))
    if row["state"] == "waiting" and row["resume_after"] is None:
        summary = (row["result"] or {}).get("summary") or "waiting for review"
        typer.echo(f"{summary}; decide them in the app's Review page", err=True)
    elif row["state"] == "waiting":
        typer.echo(f"waiting until {row['resume_after']}: {row['error']}", err=True)
    elif row["state"] != "succeeded":
        raise JobError(f"job {job_id} {row['state']}: {row['error']}")
    return row


def _source(
    playlist: int | None,
    snapshot: int | None,
    file: Path | None,
    account: int | None = None,
    provider_playlist: str | None = None,
) -> dict[str, Any]:
    given = [v for v in (playlist, snapshot, file, account) if v is not None]
    if len(given) != 1:
        raise UsageError(
            "name exactly one source: --playlist, --snapshot, --file or --from-account"
        )
    if account is not None:
        return {"account_id": account, "provider_playlist_id": provider_playlist or "liked"}
    if playlist is not None:
        return {"playlist_id": playlist}
    if snapshot is not None:
        return {"snapshot_id": snapshot}
    return {"file": str(Path(str(file)).resolve())}


KEY_OPT = typer.Option(None, "--key", help="Idempotency key (default: from the parameters).")
DETACH_OPT = typer.Option(False, "--detach", help="Submit and return without waiting.")


def migrate_command(
    ctx: typer.Context,
    to: int = typer.Option(..., "--to", help="Target provider account id."),
    playlist: int | None = typer.Option(None, "--playlist", help="Stored playlist id."),
    snapshot: int | None = typer.Option(None, "--snapshot", help="Snapshot id."),
    file: Path | None = typer.Option(None, "--file", help="A playlist file."),
    from_account: int | None = typer.Option(None, "--from-account", help="Source account id."),
    from_playlist: str | None = typer.Option(
        None, "--from-playlist", help="Its provider playlist id (default: liked tracks)."
    ),
    name: str | None = typer.Option(None, "--name", help="Target playlist name."),
    review_policy: str = typer.Option("wait", "--review", help="wait | skip | best"),
    report_dir: Path | None = typer.Option(None, "--report-dir"),
    key: str | None = KEY_OPT,
    detach: bool = DETACH_OPT,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Start nothing: print what the job needs (quota units and days on YouTube).",
    ),
) -> None:
    """Move a playlist to a provider account."""
    params: dict[str, Any] = {
        "source": _source(playlist, snapshot, file, from_account, from_playlist),
        "target_account_id": to,
        "review_policy": review_policy,
    }
    if name:
        params["name"] = name
    if report_dir:
        params["report_dir"] = str(report_dir.resolve())
    if dry_run:
        migrate_dry_run(ctx, params)
        return
    launch(ctx, "migrate", params, key=key, detach=detach)


def migrate_dry_run(ctx: typer.Context, params: dict[str, Any]) -> None:
    """Print the source size and, on a daily-quota target, the units and days the
    job needs; no job is submitted and no quota is spent."""
    from engine.app_support.transfer import source_frame
    from engine.jobs.estimate import estimate_for_account

    runtime = state(ctx).runtime
    user_id = _user_id(runtime)
    frame = source_frame(runtime, user_id, params["source"])
    estimate = estimate_for_account(runtime, user_id, int(params["target_account_id"]), frame)
    if estimate is None:
        typer.echo("the target has no daily quota: the job runs without waiting", err=True)
    else:
        typer.echo(estimate.message(), err=True)
    out = {"source_tracks": frame.height, "quota": estimate.as_dict() if estimate else None}
    typer.echo(json.dumps(out, indent=2))


def pull_command(
    ctx: typer.Context,
    account: int = typer.Argument(..., help="Provider account id."),
    playlist: list[str] = typer.Option([], "--playlist", help="Provider playlist id(s)."),
    liked: bool = typer.Option(False, "--liked", help="Also the liked tracks."),
    albums: bool = typer.Option(False, "--albums", help="Also the saved albums."),
    key: str | None = KEY_OPT,
    detach: bool = DETACH_OPT,
) -> None:
    """Snapshot a provider library (all playlists + liked) or some playlists."""
    params: dict[str, Any] = {"account_id": account, "playlists": playlist or None, "liked": liked}
    if albums:
        params["albums"] = True
    launch(ctx, "pull", params, key=key, detach=detach)


def sync_command(
    ctx: typer.Context,
    playlist: int = typer.Option(..., "--playlist", help="Stored source playlist id."),
    to: int = typer.Option(..., "--to", help="Target provider account id."),
    target_playlist: str = typer.Option(..., "--target-playlist", help="Provider playlist id."),
    apply: bool = typer.Option(False, "--apply", help="Change the target (default: dry run)."),
    max_removals: int = typer.Option(20, "--max-removals", help="Refuse to remove more."),
    key: str | None = KEY_OPT,
    detach: bool = DETACH_OPT,
) -> None:
    """One-way sync of a stored playlist to a provider playlist (dry run by default)."""
    params = {
        "source": {"playlist_id": playlist},
        "target_account_id": to,
        "target_playlist_id": target_playlist,
        "dry_run": not apply,
        "max_removals": max_removals,
    }
    launch(ctx, "sync", params, key=key, detach=detach)


def export_command(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="Output file, or a folder with --lake."),
    playlist: list[int] = typer.Option([], "--playlist", help="Stored playlist id(s)."),
    fmt: str | None = typer.Option(None, "--format", help="File format (default: from name)."),
    lake: bool = typer.Option(False, "--lake", help="Write the Parquet lake instead."),
    raw: bool = typer.Option(
        False, "--raw", help="CSV cells as they are, for round-trips (no formula guard)."
    ),
    key: str | None = KEY_OPT,
    detach: bool = DETACH_OPT,
) -> None:
    """Export playlists to a file format, or everything to a Parquet lake."""
    params: dict[str, Any] = {
        "out": str(out.resolve()),
        "playlists": playlist or None,
        "format": fmt,
        "lake": lake,
    }
    if raw:
        params["raw"] = True
    launch(ctx, "export", params, key=key, detach=detach)


def gc_command(
    ctx: typer.Context,
    playlist: int | None = typer.Option(None, "--playlist"),
    keep_last: int | None = typer.Option(
        None, "--keep-last", help="Default: your saved retention (Settings), else 10."
    ),
    keep_days: int | None = typer.Option(
        None, "--keep-days", help="Default: your saved retention (Settings), else 30."
    ),
    dry_run: bool = typer.Option(False, "--dry-run"),
    key: str | None = KEY_OPT,
    detach: bool = DETACH_OPT,
) -> None:
    """Delete old snapshots (keeps the last N and one a day for D days)."""
    params = {
        "playlist_id": playlist,
        "keep_last": keep_last,
        "keep_daily_days": keep_days,
        "dry_run": dry_run,
    }
    launch(ctx, "snapshot_gc", params, key=key, detach=detach)


def diff_command(
    ctx: typer.Context,
    old: int = typer.Argument(..., help="Old snapshot id."),
    new: int | None = typer.Argument(None, help="New snapshot id."),
    account: int | None = typer.Option(None, "--live-account", help="Compare with a live playlist"),
    live_playlist: str | None = typer.Option(None, "--live-playlist"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Added, removed and moved items between two snapshots, or a snapshot and a live playlist."""
    from engine.jobs.diffing import diff_snapshot

    runtime = state(ctx).runtime
    result = diff_snapshot(
        runtime,
        old,
        new_snapshot_id=new,
        account_id=account,
        live_playlist_id=live_playlist,
        user_id=_user_id(runtime),
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "summary": result.summary(),
                    "added": result.added.drop("artists").to_dicts(),
                    "removed": result.removed.drop("artists").to_dicts(),
                    "moved": result.moved.drop("artists").to_dicts(),
                },
                indent=2,
            )
        )
        return
    out = Console()
    for title, frame, cols in (
        ("added", result.added, ["position", "title", "artists"]),
        ("removed", result.removed, ["position", "title", "artists"]),
        ("moved", result.moved, ["old_position", "new_position", "title", "artists"]),
    ):
        table = Table(title=f"{title} ({frame.height})")
        for col in cols:
            table.add_column(col)
        for row in frame.select(cols).iter_rows():
            table.add_row(*[", ".join(v) if isinstance(v, list) else str(v) for v in row])
        out.print(table)


def worker_command(
    ctx: typer.Context,
    burst: bool = typer.Option(False, "--burst", help="Stop when no job is due."),
) -> None:
    """Run jobs: an RQ worker with Redis, else a store-polling worker."""
    from engine.jobs.control import work_embedded, work_rq

    runtime = state(ctx).runtime
    if runtime.redis is not None:
        work_rq(runtime, burst=burst)
    else:
        ran = work_embedded(runtime, burst=burst)
        typer.echo(f"ran {ran} job(s)", err=True)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    state_filter: str | None = typer.Option(None, "--state"),
    kind: str | None = typer.Option(None, "--kind"),
    limit: int = typer.Option(20, "--limit"),
) -> None:
    """The newest jobs."""
    runtime = state(ctx).runtime
    table = Table("id", "kind", "state", "progress", "created", "error")
    for job in list_jobs(
        runtime, user_id=_user_id(runtime), state=state_filter, kind=kind, limit=limit
    ):
        progress = job["progress"] or {}
        done = f"{progress.get('phase', '')} {progress.get('done', 0)}/{progress.get('total')}"
        table.add_row(
            job["id"], job["kind"], job["state"], done, job["created_at"] or "", job["error"] or ""
        )
    Console().print(table)


@jobs_app.command("status")
def jobs_status(
    ctx: typer.Context, job_id: str, follow_it: bool = typer.Option(False, "--follow")
) -> None:
    """One job: state, progress, result, error."""
    runtime = state(ctx).runtime
    row = job_row(runtime, job_id, user_id=_user_id(runtime))
    if follow_it:
        row = watch(runtime, job_id)
    row.pop("checkpoint", None)
    typer.echo(json.dumps(row, indent=2, default=str))


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: str) -> None:
    """Cancel a job (a running one stops at its next checkpoint)."""
    runtime = state(ctx).runtime
    typer.echo(cancel(runtime, job_id, user_id=_user_id(runtime)))


@jobs_app.command("retry")
def jobs_retry(ctx: typer.Context, job_id: str) -> None:
    """Queue a failed or cancelled job again and follow it; it resumes from its
    checkpoint (in this process on the embedded default, as the other commands run)."""
    runtime = state(ctx).runtime
    in_process = runtime.redis is None
    typer.echo(retry(runtime, job_id, user_id=_user_id(runtime), start=not in_process), err=True)
    run_and_show(runtime, job_id, in_process=in_process)


def register(app: typer.Typer) -> None:
    """Add the job commands and ``crossfade jobs`` to the root app."""
    app.command("migrate")(migrate_command)
    app.command("pull")(pull_command)
    app.command("sync")(sync_command)
    app.command("export")(export_command)
    app.command("gc")(gc_command)
    app.command("diff")(diff_command)
    app.command("worker")(worker_command)
    app.add_typer(jobs_app, name="jobs")
