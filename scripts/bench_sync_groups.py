"""Requests and time of sync-group runs: three members (Spotify, TIDAL, Deezer)
on the sandbox served on loopback, N tracks each, E random adds, removes and
moves on every member between runs.

Prints, per run (first sync, a dry run after the edits, the applying run, a
run with nothing to change): seconds, and requests by provider split into
reads and writes. Deezer's 50-per-5 s quota is off (it would measure waiting).

Usage:
    python scripts/bench_sync_groups.py                  # 1,000 tracks, 50 edits
    python scripts/bench_sync_groups.py --tracks 200 --edits 10
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from engine.demo import connect_sandbox_account
from engine.jobs import job_row, run_job
from engine.jobs.group_runs import submit_run
from engine.runtime import Runtime
from engine.sandbox import Sandbox, SandboxConfig, SandboxServer
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope
from engine.store.sync_groups import create_group

PROVIDERS = ("spotify", "tidal", "deezer")
USER = "demo-user"


def catalogue(size: int) -> list[dict[str, Any]]:
    return [
        {
            "title": f"Song {n:05d}",
            "artists": [f"Artist {n % 97:02d}"],
            "album": f"Album {n // 10:04d}",
            "duration_ms": 150_000 + (n * 7919) % 120_000,
            "isrc": f"QZBEN26{n:05d}",
        }
        for n in range(size)
    ]


def edit(
    sandbox: Sandbox, playlists: dict[str, str], pool: list[str], rng: random.Random, each: int
) -> None:
    state = sandbox.state
    for provider in PROVIDERS:
        with state.lock:
            playlist = state.playlist(provider, playlists[provider])
            assert playlist is not None
            ops = ["add"] * each + ["remove"] * each + ["move"] * each
            rng.shuffle(ops)
            for op in ops:
                items = playlist.items
                if op == "add":
                    track = sandbox.catalog.by_isrc(provider, rng.choice(pool))[0].id_for(provider)
                    if all(i.track_id != track for i in items):
                        items.insert(
                            rng.randint(0, len(items)), *state.new_items(playlist, [track], USER)
                        )
                else:
                    item = items.pop(rng.randrange(len(items)))
                    if op == "move":
                        items.insert(rng.randint(0, len(items)), item)
            state.touch(playlist)


def counted(sandbox: Sandbox) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for record in sandbox.log.records:
        if "/token" in record.path:
            continue
        counts[f"{record.provider} {'read' if record.method == 'GET' else 'write'}"] += 1
    return dict(sorted(counts.items())) | {"total": sum(counts.values())}


def timed_run(
    runtime: Runtime, sandbox: Sandbox, user: int, group: int, *, apply: bool
) -> dict[str, Any]:
    sandbox.log.clear()
    job = submit_run(runtime, user, group, apply=apply, start=False)
    started = time.perf_counter()
    state = run_job(runtime, job)
    seconds = time.perf_counter() - started
    row = job_row(runtime, job)
    if state != "succeeded":
        raise SystemExit(f"run failed: {row['error']}")
    writes = sum(m["writes"] for m in row["result"]["members"])
    return {"seconds": round(seconds, 2), "planned_writes": writes, "requests": counted(sandbox)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument(
        "--edits", type=int, default=50, help="adds, removes and moves, each, per member"
    )
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    sandbox = Sandbox.from_records(
        catalogue(args.tracks + 300), config=SandboxConfig(deezer_quota=None)
    )
    isrcs = [str(t["isrc"]) for t in catalogue(args.tracks + 300)]
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(sandbox, port=0) as server:
        settings = Settings(  # type: ignore[call-arg]
            env="test",
            data_dir=Path(tmp),
            DATABASE_URL=f"sqlite:///{tmp}/bench.db",
            sandbox_url=server.url,
        )
        runtime = Runtime(settings)
        try:
            with session_scope(runtime.engine) as session:
                user = int(repo.local_user(session).id)
            accounts = {p: connect_sandbox_account(runtime, sandbox, user, p) for p in PROVIDERS}
            playlists = {
                p: sandbox.seed_playlist(
                    p,
                    USER,
                    "Everywhere",
                    [sandbox.catalog.by_isrc(p, i)[0].id_for(p) for i in isrcs[: args.tracks]],
                )
                for p in PROVIDERS
            }
            with session_scope(runtime.engine) as session:
                group = int(
                    create_group(
                        session,
                        user,
                        "bench",
                        [
                            {
                                "kind": "playlist",
                                "account_id": accounts[p],
                                "playlist_id": playlists[p],
                            }
                            for p in PROVIDERS
                        ],
                    ).id
                )
            figures: dict[str, Any] = {"tracks": args.tracks, "edits_each": args.edits}
            figures["first dry run"] = timed_run(runtime, sandbox, user, group, apply=False)
            figures["first apply (in sync)"] = timed_run(runtime, sandbox, user, group, apply=True)
            edit(sandbox, playlists, isrcs[args.tracks :], random.Random(args.seed), args.edits)
            figures["dry run after edits"] = timed_run(runtime, sandbox, user, group, apply=False)
            figures["apply after edits"] = timed_run(runtime, sandbox, user, group, apply=True)
            figures["quiet run"] = timed_run(runtime, sandbox, user, group, apply=True)
        finally:
            runtime.close()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
