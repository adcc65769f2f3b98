"""Accounts, playlists and their effective items, flags and health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from engine import flags
from engine.api.deps import Caller, get_caller, get_runtime, get_session
from engine.api.problems import problem_responses
from engine.api.schemas import (
    Account,
    Flag,
    Health,
    Limit,
    Offset,
    Page,
    Playlist,
    PlaylistItem,
)
from engine.runtime import Runtime
from engine.store import repo

router = APIRouter()

MAX_ID = 2**53
PlaylistId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/health", response_model=Health, tags=["service"])
def health() -> Health:
    """Liveness: the process answers (no token needed)."""
    return Health(status="ok")


@router.get("/flags", response_model=list[Flag], tags=["service"], responses=problem_responses(401))
def list_flags(
    caller: Caller = Depends(get_caller), runtime: Runtime = Depends(get_runtime)
) -> list[Flag]:
    """Which providers and features are switched on right now."""
    del caller  # any valid token may read the flags
    return [
        Flag(name=f.name, enabled=f.enabled, origin=f.origin, description=f.description)
        for f in flags.list_flags(runtime, runtime.settings)
    ]


@router.get(
    "/accounts", response_model=list[Account], tags=["library"], responses=problem_responses(401)
)
def list_accounts(
    caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> list[Account]:
    """The caller's provider accounts (never their tokens)."""
    return [Account.model_validate(a) for a in repo.list_accounts(session, caller.user_id)]


@router.get(
    "/playlists",
    response_model=Page[Playlist],
    tags=["library"],
    responses=problem_responses(401, 422),
)
def list_playlists(
    offset: Offset = 0,
    limit: Limit = 50,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Page[Playlist]:
    """The caller's playlists with how many items each shows."""
    rows = repo.list_playlists(session, caller.user_id, offset=offset, limit=limit)
    counts = repo.playlist_item_counts(session, [p.id for p in rows])
    items = [
        Playlist.model_validate(p).model_copy(update={"item_count": counts[p.id]}) for p in rows
    ]
    total = repo.count_playlists(session, caller.user_id)
    return Page[Playlist](items=items, total=total, offset=offset, limit=limit)


@router.get(
    "/playlists/{playlist_id}",
    response_model=Playlist,
    tags=["library"],
    responses=problem_responses(401, 404, 422),
)
def get_playlist(
    playlist_id: PlaylistId,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Playlist:
    playlist = repo.get_playlist(session, playlist_id, user_id=caller.user_id)
    count = repo.count_effective_items(session, playlist_id)
    return Playlist.model_validate(playlist).model_copy(update={"item_count": count})


@router.get(
    "/playlists/{playlist_id}/items",
    response_model=Page[PlaylistItem],
    tags=["library"],
    responses=problem_responses(401, 404, 422),
)
def playlist_items(
    playlist_id: PlaylistId,
    offset: Offset = 0,
    limit: Limit = 100,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
) -> Page[PlaylistItem]:
    """The playlist as shown: its latest complete snapshot with curators' overrides."""
    repo.get_playlist(session, playlist_id, user_id=caller.user_id)
    frame = repo.effective_items(session, playlist_id, offset=offset, limit=limit)
    fields = list(PlaylistItem.model_fields)
    items = [PlaylistItem.model_validate(row) for row in frame.select(fields).to_dicts()]
    total = repo.count_effective_items(session, playlist_id)
    return Page[PlaylistItem](items=items, total=total, offset=offset, limit=limit)
