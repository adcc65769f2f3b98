"""OAuth state (once, expiry, mismatch), token storage and key rotation on
SQLite and Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.auth.crypto import KeyRing, generate_key, key_id_of, parse_key_ring
from engine.auth.endpoint import TokenPair
from engine.auth.keys import rotate_keys
from engine.auth.states import accept_state, create_state
from engine.auth.tokens import (
    decrypt_pair,
    load_app_credentials,
    save_account,
    save_app_credentials,
)
from engine.errors import OAuthStateError, TokenDecryptError, UsageError
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store.db import session_scope
from engine.store.models import OAuthState, ProviderAccount
from engine.store.users import local_user

OLD = generate_key("old")
NEW = generate_key("new")


@pytest.fixture
def runtime(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(env="test", data_dir=tmp_path / "data", token_keys=OLD)  # type: ignore[call-arg]
    settings = settings.model_copy(update={"database_url": db_url})
    assert settings.sqlalchemy_url == db_url
    rt = Runtime(settings)
    yield rt
    rt.close()


def user_id(runtime: Runtime) -> int:
    with session_scope(runtime.engine) as session:
        return local_user(session).id


def ring(spec: str = OLD) -> KeyRing:
    return parse_key_ring(spec)


def test_state_is_accepted_once(runtime: Runtime) -> None:
    uid = user_id(runtime)
    with session_scope(runtime.engine) as session:
        state = create_state(
            session,
            ring(),
            user_id=uid,
            provider="spotify",
            redirect_uri="http://127.0.0.1:8765/callback",
            code_verifier="v" * 64,
        )
        stored = session.scalars(select(OAuthState)).one()
        assert stored.state_hash != state and state not in stored.state_hash
        assert b"v" * 64 not in (stored.code_verifier_enc or b"")
    with session_scope(runtime.engine) as session:
        accepted = accept_state(session, ring(), user_id=uid, provider="spotify", state=state)
    assert accepted.code_verifier == "v" * 64
    assert accepted.redirect_uri == "http://127.0.0.1:8765/callback"
    assert "v" * 64 not in repr(accepted)
    with session_scope(runtime.engine) as session, pytest.raises(OAuthStateError, match="already"):
        accept_state(session, ring(), user_id=uid, provider="spotify", state=state)


def test_state_mismatch_and_expiry_are_refused(runtime: Runtime) -> None:
    uid = user_id(runtime)
    past = datetime.now(UTC) - timedelta(hours=1)
    with session_scope(runtime.engine) as session:
        old = create_state(
            session,
            ring(),
            user_id=uid,
            provider="tidal",
            redirect_uri="x",
            code_verifier=None,
            now=past,
        )
        fresh = create_state(
            session, ring(), user_id=uid, provider="tidal", redirect_uri="x", code_verifier=None
        )
    for bad, problem in [
        (old, "expired"),
        ("forged", "does not match"),
        (None, "no state"),
    ]:
        with (
            session_scope(runtime.engine) as session,
            pytest.raises(OAuthStateError, match=problem),
        ):
            accept_state(session, ring(), user_id=uid, provider="tidal", state=bad)
    with session_scope(runtime.engine) as session, pytest.raises(OAuthStateError, match="match"):
        accept_state(session, ring(), user_id=uid, provider="spotify", state=fresh)
    with session_scope(runtime.engine) as session, pytest.raises(OAuthStateError, match="match"):
        accept_state(session, ring(), user_id=uid + 1, provider="tidal", state=fresh)
    with session_scope(runtime.engine) as session:  # the refusals did not spend it
        accept_state(session, ring(), user_id=uid, provider="tidal", state=fresh)


def test_app_credentials_are_encrypted(runtime: Runtime) -> None:
    uid = user_id(runtime)
    with session_scope(runtime.engine) as session, pytest.raises(UsageError, match="apps set"):
        load_app_credentials(session, ring(), user_id=uid, provider="spotify")
    with session_scope(runtime.engine) as session:
        save_app_credentials(
            session,
            ring(),
            user_id=uid,
            provider="spotify",
            client_id="cid",
            client_secret="app-Secret-123",
            redirect_uri="http://127.0.0.1:8765/callback",
        )
    with session_scope(runtime.engine) as session:
        app = load_app_credentials(session, ring(), user_id=uid, provider="spotify")
    assert (app.client_id, app.client_secret) == ("cid", "app-Secret-123")
    assert "app-Secret-123" not in repr(app)


def _seed_accounts(runtime: Runtime, keys: KeyRing, count: int) -> list[int]:
    ids = []
    with session_scope(runtime.engine) as session:
        for n in range(count):
            uid = local_user(session).id if n == 0 else None
            if uid is None:
                from engine.store.users import ensure_user

                uid = ensure_user(session, f"user-{n}").id
            pair = TokenPair(f"access-{n}-Zq9", f"refresh-{n}-Zq9", datetime.now(UTC))
            ids.append(save_account(session, keys, user_id=uid, provider="spotify", pair=pair))
            save_app_credentials(
                session,
                keys,
                user_id=uid,
                provider="spotify",
                client_id="c",
                client_secret=f"secret-{n}",
            )
    return ids


def test_swapped_ciphertext_between_accounts_fails(runtime: Runtime) -> None:
    a, b = _seed_accounts(runtime, ring(), 2)
    with session_scope(runtime.engine) as session:
        row_a = session.get(ProviderAccount, a)
        row_b = session.get(ProviderAccount, b)
        assert row_a is not None and row_b is not None
        row_a.access_token_enc, row_b.access_token_enc = (
            row_b.access_token_enc,
            row_a.access_token_enc,
        )
    with session_scope(runtime.engine) as session:
        row = session.get(ProviderAccount, a)
        with pytest.raises(TokenDecryptError, match=r"provider_accounts\.access_token_enc"):
            decrypt_pair(ring(), row)


def test_rotation_is_resumable_and_idempotent(runtime: Runtime) -> None:
    ids = _seed_accounts(runtime, ring(), 5)
    with session_scope(runtime.engine) as session:
        create_state(
            session,
            ring(),
            user_id=local_user(session).id,
            provider="spotify",
            redirect_uri="x",
            code_verifier="w" * 50,
        )
    both = parse_key_ring(f"{NEW},{OLD}")
    batches: list[tuple[str, int]] = []

    class Crash(Exception):
        pass

    def crash_after_two(table: str, done: int) -> None:
        batches.append((table, done))
        if len(batches) == 2:
            raise Crash

    with pytest.raises(Crash):
        rotate_keys(runtime, ring=both, batch_size=2, on_batch=crash_after_two)
    with session_scope(runtime.engine) as session:
        key_ids = [
            r.token_key_id
            for r in session.scalars(select(ProviderAccount).order_by(ProviderAccount.id))
        ]
    assert key_ids == ["new"] * 4 + ["old"]  # two committed batches survived the crash

    report = rotate_keys(runtime, ring=both, batch_size=2)
    assert report.rewrapped == {
        "provider_accounts.access_token_enc": 1,
        "provider_accounts.refresh_token_enc": 1,
        "provider_apps.client_secret_enc": 1,  # one installation registration per provider
        "oauth_states.code_verifier_enc": 1,
    }
    assert report.current["provider_accounts.access_token_enc"] == 4
    assert rotate_keys(runtime, ring=both).total_rewrapped == 0  # re-run: nothing to do

    only_new = parse_key_ring(NEW)
    with session_scope(runtime.engine) as session:
        for n, account_id in enumerate(ids):
            row = session.get(ProviderAccount, account_id)
            assert row is not None and key_id_of(row.access_token_enc or b"") == "new"
            pair = decrypt_pair(only_new, row)
            assert (pair.access_token, pair.refresh_token) == (
                f"access-{n}-Zq9",
                f"refresh-{n}-Zq9",
            )
            app = load_app_credentials(session, only_new, user_id=row.user_id, provider="spotify")
            # the installation's registration: the same for every user, the last saved
            assert app.client_secret == f"secret-{len(ids) - 1}"
    with session_scope(runtime.engine) as session, pytest.raises(TokenDecryptError, match="'new'"):
        decrypt_pair(ring(), session.get(ProviderAccount, ids[0]))
