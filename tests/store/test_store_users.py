"""Users, API tokens (hashed), playlists and exports scoped per user."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.errors import ConflictError, NotFoundError, UsageError
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import ApiToken


def test_local_user_is_created_once(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        first = repo.local_user(session)
        assert repo.local_user(session).id == first.id
        assert repo.user_by_external_id(session, "local") is first
        assert repo.user_by_external_id(session, "nobody") is None
        with pytest.raises(UsageError):
            repo.ensure_user(session, " ")
        with pytest.raises(NotFoundError):
            repo.get_user(session, 999)


def test_api_tokens_are_hashed_and_revocable(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        user = repo.local_user(session)
        row, plaintext = repo.create_api_token(session, user.id, "phone")
        stored = session.scalars(sa.select(ApiToken.token_hash)).all()
        assert plaintext not in stored and row.token_hash in stored
        found = repo.user_for_token(session, plaintext)
        assert found is not None and found.id == user.id
        assert repo.user_for_token(session, plaintext + "x") is None
        assert repo.user_for_token(session, "") is None
        assert [t.name for t in repo.list_api_tokens(session, user.id)] == ["phone"]
        other = repo.ensure_user(session, "oidc|2")
        with pytest.raises(NotFoundError):
            repo.revoke_api_token(session, other.id, row.id)
        repo.revoke_api_token(session, user.id, row.id)
        assert repo.user_for_token(session, plaintext) is None
        with pytest.raises(UsageError):
            repo.create_api_token(session, user.id, "")


def test_playlists_and_exports_are_scoped_per_user(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        me = repo.local_user(session)
        them = repo.ensure_user(session, "oidc|them")
        mine = repo.create_playlist(
            session, me.id, "Mine", source="provider", provider="deezer", provider_playlist_id="42"
        )
        repo.create_playlist(session, them.id, "Theirs")
        with pytest.raises(NotFoundError):
            repo.get_playlist(session, mine.id, user_id=them.id)
        assert repo.get_playlist(session, mine.id, user_id=me.id) is mine
        assert [p.name for p in repo.list_playlists(session, me.id)] == ["Mine"]
        assert repo.count_playlists(session, them.id) == 1
        assert repo.find_provider_playlist(session, me.id, "deezer", "42") is mine
        assert repo.find_provider_playlist(session, them.id, "deezer", "42") is None
        with pytest.raises(UsageError):
            repo.create_playlist(session, me.id, "x", source="cloud")
        with pytest.raises(UsageError):
            repo.create_playlist(session, me.id, "x", kind="mixtape")
        with pytest.raises(UsageError):
            repo.create_playlist(session, me.id, " ")
        export = repo.record_export(
            session, me.id, format="pif", path="/tmp/x.pif", playlist_id=mine.id, size_bytes=10
        )
        assert repo.get_export(session, me.id, export.id) is export
        with pytest.raises(NotFoundError):
            repo.get_export(session, them.id, export.id)
        assert repo.list_exports(session, them.id) == []
        with pytest.raises(UsageError):
            repo.record_export(session, me.id, format="", path="x")


def test_snapshot_lifecycle_guards(db_engine: sa.Engine) -> None:
    with session_scope(db_engine) as session:
        me = repo.local_user(session)
        pid = repo.create_playlist(session, me.id, "P").id
        snap = repo.begin_snapshot(session, pid, job_id="job-1")
        repo.add_snapshot_items(session, snap.id, [], 0)
        with pytest.raises(UsageError):
            repo.add_snapshot_items(session, snap.id, [], -1)
        repo.complete_snapshot(session, snap.id)
        assert snap.item_count == 0
        with pytest.raises(ConflictError):
            repo.add_snapshot_items(session, snap.id, [1])
        with pytest.raises(ConflictError):
            repo.fail_snapshot(session, snap.id, "late")
        with pytest.raises(NotFoundError):
            repo.complete_snapshot(session, 4242)
        with pytest.raises(NotFoundError):
            repo.begin_snapshot(session, 4242)
        assert repo.current_snapshot(session, pid) is snap
        assert [s.id for s in repo.list_snapshots(session, pid)] == [snap.id]
        assert repo.list_accounts(session, me.id) == []
