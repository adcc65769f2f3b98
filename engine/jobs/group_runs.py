"""Submitting sync-group runs: by hand (CLI, API, app) and from a schedule.

Each run is its own job: a by-hand run gets a fresh idempotency key (members
change between runs, so two dry runs a minute apart must both read them); a
scheduled run's key is the group and its slot time, so a slot claimed twice
(two workers, a restart) is one job.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from engine.jobs.params import Id, _Params
from engine.jobs.submit import submit

if TYPE_CHECKING:
    from engine.runtime import Runtime

KIND = "sync_group"


class SyncGroupParams(_Params):
    """Parameters of a ``sync_group`` run (ids only: members live in the store)."""

    group_id: Id
    dry_run: bool = True
    confirm_removals: bool = False
    scheduled: bool = False


class LibraryParams(_Params):
    """Parameters of a ``library`` job (``engine.jobs.library``)."""

    source_account_id: Id
    target_account_id: Id
    dry_run: bool = True


def submit_run(
    runtime: Runtime,
    user_id: int,
    group_id: int,
    *,
    apply: bool = False,
    confirm_removals: bool = False,
    slot: datetime | None = None,
    start: bool = True,
    local: bool = True,
) -> str:
    """The job id of one run of ``group_id`` (dry unless ``apply``)."""
    params: dict[str, object] = {"group_id": int(group_id), "dry_run": not apply}
    if confirm_removals:
        params["confirm_removals"] = True
    if slot is not None:
        params["scheduled"] = True
        key = f"{KIND}:{group_id}:slot:{slot.isoformat()}"
    else:
        key = f"{KIND}:{group_id}:run:{uuid.uuid4().hex}"
    return submit(
        runtime, KIND, params, user_id=user_id, idempotency_key=key, start=start, local=local
    )
