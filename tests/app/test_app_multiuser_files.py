"""The app in multi-user mode names uploads and ids, never server paths, and
writes only into the user's export area (issue 16, item 1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from engine import jobs
from engine.app_support import files, transfer
from engine.errors import InvalidParamsError, UsageError
from engine.jobs.runner import run_or_follow
from engine.runtime import Runtime
from engine.samples import sample_path
from engine.settings import Settings
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import ProviderAccount
from engine.userfiles import export_dir, inside


@pytest.fixture
def multiuser(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(env="test", data_dir=tmp_path / "data", oidc_enabled=True)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    yield runtime
    runtime.close()


def _user_with_account(runtime: Runtime, external_id: str) -> tuple[int, int]:
    with session_scope(runtime.engine) as session:
        user = repo.ensure_user(session, external_id)
        user_id = int(user.id)
    with runtime.engine.begin() as conn:
        account = conn.execute(
            insert(ProviderAccount)
            .values(user_id=user_id, provider="deezer", status="connected")
            .returning(ProviderAccount.id)
        ).scalar_one()
    return user_id, int(account)


def test_transfer_takes_uploads_not_paths(multiuser: Runtime, tmp_path: Path) -> None:
    user, account = _user_with_account(multiuser, "oidc|ana")
    other, _ = _user_with_account(multiuser, "oidc|ben")
    secret = tmp_path / "server.m3u8"
    secret.write_bytes(sample_path("road-trip.m3u8").read_bytes())
    with pytest.raises(InvalidParamsError, match="never server paths"):
        transfer.start_transfer(multiuser, user, {"file": str(secret)}, account)
    with pytest.raises(UsageError):  # the dry run does not read server paths either
        transfer.source_frame(multiuser, user, {"file": str(secret)})

    upload = transfer.save_upload(
        multiuser, user, "road-trip.m3u8", sample_path("road-trip.m3u8").read_bytes()
    )
    assert transfer.source_frame(multiuser, user, {"upload_id": upload.id}).height == upload.tracks
    job = transfer.start_transfer(multiuser, user, {"upload_id": upload.id}, account)
    assert jobs.job_row(multiuser, job, user_id=user)["params"]["source"] == {
        "upload_id": upload.id
    }
    # another user's upload reads like a missing one
    from engine.errors import NotFoundError

    with pytest.raises(NotFoundError, match=f"upload {upload.id} does not exist"):
        transfer.source_frame(multiuser, other, {"upload_id": upload.id})


def test_export_all_writes_into_the_users_area(multiuser: Runtime) -> None:
    user, _ = _user_with_account(multiuser, "oidc|ana")
    files.import_upload(
        multiuser, user, "road-trip.m3u8", sample_path("road-trip.m3u8").read_bytes()
    )
    job = files.export_all(multiuser, user, "csv")  # started in the background
    # one runner per job: follow the background runner instead of running it again
    assert run_or_follow(multiuser, job) == "succeeded", jobs.job_row(multiuser, job)["error"]
    (written,) = files.past_exports(multiuser, user)
    with session_scope(multiuser.engine) as session:
        path = Path(repo.get_export(session, user, written.id).path)
    assert inside(path, export_dir(multiuser.settings, user)) and written.available
