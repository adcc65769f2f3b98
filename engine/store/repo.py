"""The store's public API: every function jobs, the app and the API call.

Implementation lives in small modules (``users``, ``tracks``, ``playlists``,
``frames``, ``overrides``, ``decisions``, ``exports``); import from here.
Writers take a ``Session`` (the caller owns the transaction, e.g.
``with session_scope(engine) as session``); frame readers take a session, an
engine or a connection. Everything a user owns is looked up with their
``user_id``, so one user never sees another's data.
"""

from __future__ import annotations

from engine.store.decisions import (
    count_pending_reviews,
    curator_rule_for,
    decide,
    decisions_for_track,
    get_decision,
    pending_reviews,
    record_decision,
    undo_decision,
)
from engine.store.exports import count_exports, get_export, list_exports, record_export
from engine.store.frames import (
    count_effective_items,
    effective_items,
    playlist_item_counts,
    snapshot_frame,
)
from engine.store.overrides import clear_override, set_override
from engine.store.playlists import (
    add_snapshot_items,
    begin_snapshot,
    complete_snapshot,
    count_playlists,
    create_playlist,
    current_snapshot,
    fail_snapshot,
    find_provider_playlist,
    get_playlist,
    list_playlists,
    list_snapshots,
)
from engine.store.tracks import provider_ids_of, tracks_by_isrc, upsert_tracks
from engine.store.uploads import count_uploads, get_upload, list_uploads, record_upload
from engine.store.users import (
    create_api_token,
    ensure_user,
    find_account,
    get_user,
    list_accounts,
    list_api_tokens,
    local_user,
    revoke_api_token,
    user_by_external_id,
    user_for_token,
)

__all__ = [
    "add_snapshot_items",
    "begin_snapshot",
    "clear_override",
    "complete_snapshot",
    "count_effective_items",
    "count_exports",
    "count_pending_reviews",
    "count_playlists",
    "count_uploads",
    "create_api_token",
    "create_playlist",
    "curator_rule_for",
    "current_snapshot",
    "decide",
    "decisions_for_track",
    "effective_items",
    "ensure_user",
    "fail_snapshot",
    "find_account",
    "find_provider_playlist",
    "get_decision",
    "get_export",
    "get_playlist",
    "get_upload",
    "get_user",
    "list_accounts",
    "list_api_tokens",
    "list_exports",
    "list_playlists",
    "list_snapshots",
    "list_uploads",
    "local_user",
    "pending_reviews",
    "playlist_item_counts",
    "provider_ids_of",
    "record_decision",
    "record_export",
    "record_upload",
    "revoke_api_token",
    "set_override",
    "snapshot_frame",
    "tracks_by_isrc",
    "undo_decision",
    "upsert_tracks",
    "user_by_external_id",
    "user_for_token",
]
