"""The end-to-end demo on the embedded default: no credentials, no network.

``run_demo(settings)``: serves the provider sandbox on loopback (seeded with the
bundled sample catalogue), connects a sandbox account (the sandbox's token
path: ``Sandbox.issue_token``, stored encrypted through ``engine.auth`` like any
account), imports the sample playlist file, migrates it to the sandboxed
provider as an in-process job with a progress bar, writes the unmatched-and-
review report, exports the playlist (PIF) and the Parquet lake, and returns a
summary with the request count.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from engine.runtime import Runtime
from engine.settings import Settings

DEMO_PROVIDER = "spotify"
"""The sandboxed target of the demo migration."""

DEMO_PLAYLIST = "road-trip.m3u8"


def connect_sandbox_account(runtime: Runtime, sandbox: Any, user_id: int, provider: str) -> int:
    """Connect a sandbox user (the sandbox token path, no browser) as the user's
    ``provider`` account, stored encrypted like any account; its id."""
    from engine.auth.crypto import load_key_ring
    from engine.auth.endpoint import TokenPair
    from engine.auth.tokens import save_account
    from engine.store.db import session_scope

    issued = sandbox.issue_token(provider, "demo-user")
    expires = (
        None
        if issued.expires_in is None
        else datetime.now(UTC) + timedelta(seconds=int(issued.expires_in))
    )
    pair = TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=expires,
        provider_user_id="demo-user",
    )
    ring = load_key_ring(runtime.settings)
    with session_scope(runtime.engine) as session:
        return save_account(
            session, ring, user_id=user_id, provider=provider, pair=pair, display_name="Demo"
        )


def run_demo(
    settings: Settings,
    *,
    out_dir: Path | None = None,
    provider: str = DEMO_PROVIDER,
    console: Console | None = None,
) -> dict[str, Any]:
    """Run the main job end to end; returns (and prints) a summary."""
    from engine.cli.jobscmd import watch
    from engine.jobs import job_row, run_job, submit
    from engine.samples import CATALOG, sample_path
    from engine.sandbox import Sandbox
    from engine.sandbox.server import SandboxServer
    from engine.store import repo
    from engine.store.db import session_scope

    console = console or Console(stderr=True)
    out_dir = Path(out_dir or settings.data_dir / "demo-output")
    out_dir.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox.from_catalog(sample_path(CATALOG))
    with SandboxServer(sandbox, port=0) as server:
        demo_settings = settings.model_copy(update={"sandbox_url": server.url, "redis_url": None})
        runtime = Runtime(demo_settings)
        try:
            with session_scope(runtime.engine) as session:
                user_id = int(repo.local_user(session).id)
            account_id = connect_sandbox_account(runtime, sandbox, user_id, provider)
            console.print(f"sandbox on {server.url}; {provider} account {account_id} connected")
            params = {
                "source": {"file": str(sample_path(DEMO_PLAYLIST)), "name": "Road trip"},
                "target_account_id": account_id,
                "review_policy": "wait",
                "report_dir": str(out_dir),
            }
            # each demo run talks to a fresh sandbox: never reuse an earlier run's job
            key = f"demo-{uuid.uuid4().hex}"
            job_id = submit(
                runtime, "migrate", params, user_id=user_id, idempotency_key=key, start=False
            )
            worker = threading.Thread(target=run_job, args=(runtime, job_id))
            worker.start()
            watch(runtime, job_id)
            worker.join()
            migrated = job_row(runtime, job_id)
            waits_for_review = migrated["state"] == "waiting" and not migrated["resume_after"]
            if migrated["state"] != "succeeded" and not waits_for_review:
                from engine.errors import JobError

                raise JobError(f"demo migration {migrated['state']}: {migrated['error']}")
            playlist_id = migrated["checkpoint"]["source_playlist_id"]
            exported = submit(
                runtime,
                "export",
                {"out": str(out_dir / "road-trip.export.pif.json"), "playlists": [playlist_id]},
                user_id=user_id,
                start=False,
            )
            run_job(runtime, exported)
            lake = submit(
                runtime,
                "export",
                {"out": str(out_dir / "lake"), "lake": True},
                user_id=user_id,
                start=False,
            )
            run_job(runtime, lake)
            result = migrated["result"]
            target_ids = [p for p in result["target_playlists"] if p]
            in_target = sum(len(sandbox.playlist_track_ids(provider, p)) for p in target_ids)
            requests = sum(sandbox.summary()["requests"].values())
            summary = {
                "job": job_id,
                "source_tracks": result["source_tracks"],
                "added": result["added"],
                "in_target_playlist": in_target,
                "pending_review": result["pending_review"],
                "not_available": result["not_available"],
                "report": result["report"],
                "export": job_row(runtime, exported)["result"].get("files"),
                "lake": job_row(runtime, lake)["result"].get("lake"),
                "requests": requests,
            }
        finally:
            runtime.close()
    for key, value in summary.items():
        console.print(f"[bold]{key:>20}[/bold]  {value}")
    return summary
