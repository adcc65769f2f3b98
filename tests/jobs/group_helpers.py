"""Sync-group test scenes on the sandbox: a synthetic catalogue, three members
seeded with the same tracks, random edits, and the expected merge computed
from the edits alone (catalogue keys, never the job's reads)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs_helpers import ensure_user, make_runtime

from engine.demo import connect_sandbox_account
from engine.jobs.group_merge import merge
from engine.runtime import Runtime
from engine.sandbox import Sandbox, SandboxConfig
from engine.sandbox.server import SandboxServer
from engine.store.db import session_scope
from engine.store.sync_groups import create_group

PROVIDERS = ("spotify", "tidal", "deezer")
USER = "demo-user"


def catalogue(size: int) -> list[dict[str, Any]]:
    """``size`` distinct recordings, each with its own ISRC."""
    return [
        {
            "title": f"Song {n:05d}",
            "artists": [f"Artist {n % 97:02d}"],
            "album": f"Album {n // 10:04d}",
            "duration_ms": 150_000 + (n * 7919) % 120_000,
            "isrc": f"QZTST26{n:05d}",
        }
        for n in range(size)
    ]


def make_sandbox(size: int, cls: type[Sandbox] = Sandbox) -> Sandbox:
    # Deezer's 50-per-5 s quota is tested elsewhere; here it would only make the run slow
    return cls.from_records(catalogue(size), config=SandboxConfig(deezer_quota=None))


@dataclass
class Scene:
    sandbox: Sandbox
    accounts: dict[str, int]
    playlists: dict[str, str]
    group_id: int
    base: list[str]
    """Catalogue keys (ISRCs) in the group's order after the first run."""
    pool: list[str]
    """ISRCs not in any playlist: what the edits add."""
    edits: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def ids(self, provider: str, isrc: str) -> str:
        return self.sandbox.catalog.by_isrc(provider, isrc)[0].id_for(provider)

    def keys_of(self, provider: str) -> list[str]:
        """The member's playlist now, as ISRCs."""
        ids = self.sandbox.playlist_track_ids(provider, self.playlists[provider])
        out = []
        for track_id in ids:
            track = self.sandbox.catalog.track(provider, track_id)
            assert track is not None and track.isrc
            out.append(track.isrc)
        return out


def build_scene(runtime: Runtime, sandbox: Sandbox, user_id: int, tracks: int) -> Scene:
    isrcs = [str(t["isrc"]) for t in catalogue(len(sandbox.catalog))]
    base, pool = isrcs[:tracks], isrcs[tracks:]
    accounts = {p: connect_sandbox_account(runtime, sandbox, user_id, p) for p in PROVIDERS}
    playlists = {}
    for provider in PROVIDERS:
        ids = [sandbox.catalog.by_isrc(provider, i)[0].id_for(provider) for i in base]
        playlists[provider] = sandbox.seed_playlist(provider, USER, "Everywhere", ids)
    with session_scope(runtime.engine) as session:
        group = create_group(
            session,
            user_id,
            "everywhere",
            [
                {"kind": "playlist", "account_id": accounts[p], "playlist_id": playlists[p]}
                for p in PROVIDERS
            ],
        )
        group_id = int(group.id)
    return Scene(sandbox, accounts, playlists, group_id, list(base), pool)


def edit_members(scene: Scene, rng: random.Random, each: int) -> None:
    """``each`` adds, removes and moves on every member, straight in the
    sandbox's state (as a person would in the provider's own app)."""
    state = scene.sandbox.state
    for provider in PROVIDERS:
        with state.lock:
            playlist = state.playlist(provider, scene.playlists[provider])
            assert playlist is not None
            ops = ["add"] * each + ["remove"] * each + ["move"] * each
            rng.shuffle(ops)
            done: dict[str, list[str]] = {"add": [], "remove": [], "move": []}
            for op in ops:
                items = playlist.items
                if op == "add":
                    isrc = rng.choice(scene.pool)
                    track_id = scene.ids(provider, isrc)
                    if any(i.track_id == track_id for i in items):
                        continue
                    [item] = state.new_items(playlist, [track_id], USER)
                    items.insert(rng.randint(0, len(items)), item)
                    done["add"].append(isrc)
                elif op == "remove":
                    item = items.pop(rng.randrange(len(items)))
                    done["remove"].append(item.track_id)
                else:
                    item = items.pop(rng.randrange(len(items)))
                    items.insert(rng.randint(0, len(items)), item)
                    done["move"].append(item.track_id)
            state.touch(playlist)
        scene.edits[provider] = done


def expected_order(scene: Scene, before: dict[str, list[str]]) -> list[str]:
    """The three-way merge of the members as edited, over catalogue keys."""
    now = {p: scene.keys_of(p) for p in PROVIDERS}
    held = {p: set(before[p]) for p in PROVIDERS}
    return merge(before[PROVIDERS[0]], now, held=held, precedence=list(PROVIDERS)).order


def write_requests(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.log.records if r.method != "GET" and "/token" not in r.path)


@contextmanager
def served_sandbox(
    db_url: str, tmp_path: Path, size: int
) -> Iterator[tuple[Sandbox, Runtime, int]]:
    """A ``size``-track sandbox served on loopback and a runtime pointed at it,
    with the local user: (sandbox, runtime, user id). Closes both."""
    sandbox = make_sandbox(size)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(db_url, tmp_path, sandbox_url=server.url)
        try:
            yield sandbox, runtime, ensure_user(runtime)
        finally:
            runtime.close()


def file_and_playlist_group(
    runtime: Runtime, user_id: int, path: Path, account: int, playlist: str
) -> int:
    """A group named "mix" of the file at ``path`` and one playlist of ``account``."""
    with session_scope(runtime.engine) as session:
        return int(
            create_group(
                session,
                user_id,
                "mix",
                [
                    {"kind": "file", "path": str(path)},
                    {"kind": "playlist", "account_id": account, "playlist_id": playlist},
                ],
            ).id
        )
