"""A file-backed provider for job tests: its state (catalogue, playlists) lives
in one JSON file, so it survives a worker killed with SIGKILL, like a real
provider does. Writes are atomic (temp file + rename) under an flock.

It implements ``engine.providers.base.Provider`` in full, and is opened for an
account whose ``provider`` is ``"ledger"`` and whose ``external_user_id`` is
the state file's path (``engine.jobs.connect.register_opener``).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import insert, select

from engine.errors import NotFoundError, PlaylistFullError
from engine.frame import conform, tracks_frame
from engine.jobs.connect import register_opener
from engine.providers.base import AlbumInfo, Capabilities, PlaylistInfo, ProviderDefaults, UserInfo
from engine.runtime import Runtime
from engine.store.models import ProviderAccount

LEDGER_CAPS = Capabilities(
    max_playlist_size=25,
    add_batch_max=3,
    remove_batch_max=10,
    page_size_max=50,
    paging="offset",
    isrc_lookup="batch",
    isrc_batch_max=10,
    search_limit_max=10,
    quota="rolling_rate",
    supports_reorder=True,
)


def _hold_here(marker: Path) -> None:
    marker.write_text(str(os.getpid()))
    time.sleep(600)  # the test kills this process long before
    raise RuntimeError("the kill test never killed this worker")


class LedgerProvider(ProviderDefaults):
    name: ClassVar[str] = "ledger"
    capabilities: ClassVar[Capabilities] = LEDGER_CAPS
    _process_writes: ClassVar[int] = 0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls: dict[str, int] = {}

    @staticmethod
    def create(path: Path, catalog: list[dict[str, Any]], **caps: Any) -> Path:
        path.write_text(json.dumps({"catalog": catalog, "playlists": {}, "seq": 0, "caps": caps}))
        return path

    @contextmanager
    def _state(self, write: bool = False) -> Iterator[dict[str, Any]]:
        with open(str(self.path) + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = json.loads(self.path.read_text())
            yield state
            if write:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(state))
                os.replace(tmp, self.path)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    @contextmanager
    def _writes(self) -> Iterator[None]:
        """Around each write: the kill test's gate. With ``LEDGER_HOLD_FILE`` set,
        the ``LEDGER_HOLD_AT``-th write of this process stops, before it is
        applied (``LEDGER_HOLD_WHEN=before``) or after, announces itself by
        creating that file and waits there to be SIGKILLed."""
        hold_file = os.environ.get("LEDGER_HOLD_FILE")
        LedgerProvider._process_writes += 1
        hold = bool(hold_file) and LedgerProvider._process_writes == int(
            os.environ.get("LEDGER_HOLD_AT", "0")
        )
        when = os.environ.get("LEDGER_HOLD_WHEN", "after")
        if hold and when == "before":
            _hold_here(Path(str(hold_file)))
        yield
        if hold and when != "before":
            _hold_here(Path(str(hold_file)))

    @property
    def caps(self) -> Capabilities:
        with self._state() as state:
            return replace(LEDGER_CAPS, **state.get("caps", {}))

    def current_user(self) -> UserInfo:
        return UserInfo(id="me")

    def playlists(self) -> list[PlaylistInfo]:
        self._count("playlists")
        with self._state() as state:
            return [
                PlaylistInfo(
                    id=pid,
                    name=p["name"],
                    description=p["description"],
                    track_count=len(p["items"]),
                )
                for pid, p in state["playlists"].items()
            ]

    def _frame(self, rows: list[dict[str, Any]]) -> pl.DataFrame:
        return conform(
            tracks_frame([{**r, "provider": "ledger", "id": r["provider_id"]} for r in rows])
        )

    def playlist_items(self, playlist_id: str) -> pl.DataFrame:
        self._count("playlist_items")
        with self._state() as state:
            if playlist_id not in state["playlists"]:
                raise NotFoundError(f"ledger playlist {playlist_id}")
            by_id = {c["provider_id"]: c for c in state["catalog"]}
            return self._frame([by_id[i] for i in state["playlists"][playlist_id]["items"]])

    def liked_tracks(self) -> pl.DataFrame:
        return self._frame([])

    def saved_albums(self) -> list[AlbumInfo]:
        return []

    def lookup_isrcs(self, isrcs: Sequence[str]) -> pl.DataFrame:
        self._count("lookup_isrcs")
        wanted = {i.upper() for i in isrcs}
        with self._state() as state:
            return self._frame([c for c in state["catalog"] if (c.get("isrc") or "") in wanted])

    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame:
        self._count("search_tracks")
        words = query.lower().split()
        with self._state() as state:
            hits = [
                c
                for c in state["catalog"]
                if all(w in (c["title"] + " " + " ".join(c["artists"])).lower() for w in words)
            ]
        return self._frame(hits[:limit])

    def create_playlist(
        self, name: str, description: str = "", public: bool = False
    ) -> PlaylistInfo:
        self._count("create_playlist")
        with self._writes(), self._state(write=True) as state:
            state["seq"] += 1
            pid = f"pl{state['seq']}"
            state["playlists"][pid] = {"name": name, "description": description, "items": []}
        return PlaylistInfo(id=pid, name=name, description=description)

    def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        self._count("add_items")
        time.sleep(float(os.environ.get("LEDGER_ADD_DELAY_S", "0")))
        caps = self.caps
        with self._writes(), self._state(write=True) as state:
            items = state["playlists"][playlist_id]["items"]
            if caps.max_playlist_size and len(items) + len(track_ids) > caps.max_playlist_size:
                raise PlaylistFullError(f"playlist {playlist_id} is full", provider="ledger")
            items.extend(track_ids)

    def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        self._count("remove_items")
        gone = set(track_ids)
        with self._state(write=True) as state:
            playlist = state["playlists"][playlist_id]
            playlist["items"] = [i for i in playlist["items"] if i not in gone]

    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None:
        self._count("reorder")
        with self._state(write=True) as state:
            items = state["playlists"][playlist_id]["items"]
            moving = items[range_start : range_start + range_length]
            rest = items[:range_start] + items[range_start + range_length :]
            at = insert_before if insert_before <= range_start else insert_before - range_length
            state["playlists"][playlist_id]["items"] = rest[:at] + moving + rest[at:]

    def contents(self) -> dict[str, list[str]]:
        with self._state() as state:
            return {pid: list(p["items"]) for pid, p in state["playlists"].items()}


@contextmanager
def open_ledger(runtime: Runtime, account: ProviderAccount) -> Iterator[LedgerProvider]:
    provider = LedgerProvider(Path(str(account.external_user_id)))
    provider.capabilities = provider.caps  # type: ignore[misc]
    yield provider


def install() -> None:
    register_opener("ledger", open_ledger)


def ledger_account(runtime: Runtime, user_id: int, path: Path) -> int:
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(ProviderAccount).values(
                user_id=user_id, provider="ledger", external_user_id=str(path), status="connected"
            )
        )
        return int(
            conn.execute(
                select(ProviderAccount.id).where(ProviderAccount.external_user_id == str(path))
            ).scalar_one()
        )


def catalog_for(n: int) -> list[dict[str, Any]]:
    """n recordings; even ones carry an ISRC, odd ones are found by text search."""
    return [
        {
            "provider_id": f"L{i:04d}",
            "title": f"Song number {i} of the ledger",
            "artists": [f"Band {i % 7}"],
            "isrc": f"QZLED{i:07d}" if i % 2 == 0 else None,
            "duration_ms": 180_000 + i * 1000,
        }
        for i in range(n)
    ]
