"""Sync-group schedules: ``--every 6h`` or a five-field cron expression.

The same code runs both ways. With Redis, each group's next slot is a delayed
RQ job (``enqueue_at``, run by the scheduler inside ``crossfade worker``);
without it, the embedded worker calls :func:`run_due_schedules` on every poll.
A slot becomes one ``sync_group`` run whose idempotency key is the group and
the slot time, so a slot seen twice (two workers, a restart) is run once; a
paused group's slot is skipped, and a group never shown runs dry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from croniter import croniter
from sqlalchemy import select

from engine.errors import UsageError
from engine.jobs.group_runs import submit_run
from engine.store.db import session_scope
from engine.store.models import SyncGroup, aware
from engine.store.sync_groups import set_schedule

if TYPE_CHECKING:
    from engine.runtime import Runtime

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_S = 300
"""Shortest interval a schedule takes (a sync reads every member each time)."""


def parse_schedule(every: str | None = None, cron: str | None = None) -> str:
    """``every:<seconds>`` or ``cron:<expression>``, validated."""
    if (every is None) == (cron is None):
        raise UsageError("give exactly one of --every (e.g. 6h) or --cron (e.g. '0 */6 * * *')")
    if every is not None:
        found = _EVERY.match(every)
        if not found:
            raise UsageError(f"--every {every!r}: expected a number and s, m, h or d (6h, 30m)")
        seconds = int(found.group(1)) * _UNIT_S[found.group(2)]
        if seconds < MIN_INTERVAL_S:
            raise UsageError(f"--every {every!r}: the shortest interval is 5m")
        return f"every:{seconds}"
    assert cron is not None
    text = " ".join(cron.split())
    if len(text.split()) != 5 or not croniter.is_valid(text):
        raise UsageError(f"--cron {cron!r} is not a five-field cron expression")
    return f"cron:{text}"


def next_slot(schedule: str, after: datetime) -> datetime:
    """The first slot strictly after ``after`` (UTC)."""
    kind, _, value = schedule.partition(":")
    after = aware(after)
    if kind == "every":
        step = int(value)
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        count = int((after - epoch).total_seconds() // step) + 1
        return epoch + timedelta(seconds=count * step)
    if kind == "cron":
        found: datetime = croniter(value, after).get_next(datetime)
        return aware(found)
    raise UsageError(f"unknown schedule {schedule!r}")


def schedule_group(
    runtime: Runtime, user_id: int, ref: int | str, schedule: str | None
) -> dict[str, Any]:
    """Set (or with None clear) a group's schedule and arm its next slot."""
    now = datetime.now(UTC)
    slot = next_slot(schedule, now) if schedule else None
    with session_scope(runtime.engine) as session:
        group = set_schedule(session, user_id, ref, schedule, slot)
        group_id = int(group.id)
    if slot is not None:
        _arm(runtime, group_id, slot)
    return {
        "group_id": group_id,
        "schedule": schedule,
        "next_run_at": slot.isoformat() if slot else None,
    }


def _arm(runtime: Runtime, group_id: int, slot: datetime) -> None:
    """With Redis: a delayed RQ job for the slot (RQ's scheduler runs it)."""
    if runtime.redis is None:
        return  # the embedded worker polls run_due_schedules
    from rq import Queue

    from engine.jobs.runner import QUEUE_NAME

    Queue(QUEUE_NAME, connection=runtime.redis).enqueue_at(
        slot,
        rq_tick,
        group_id,
        slot.isoformat(),
        job_id=f"crossfade-slot-{group_id}-{int(slot.timestamp())}",
    )


def tick(runtime: Runtime, group_id: int, slot: datetime) -> str | None:
    """Run one slot of a group (once), then arm the next; the run's job id."""
    with session_scope(runtime.engine) as session:
        group = session.get(SyncGroup, group_id)
        if group is None or not group.schedule or group.next_run_at is None:
            return None
        if aware(group.next_run_at) != aware(slot):
            return None  # rescheduled meanwhile: this slot is stale
        user_id, schedule = int(group.user_id), str(group.schedule)
        following = next_slot(schedule, max(aware(slot), datetime.now(UTC)))
        group.next_run_at = following
    job = submit_run(
        runtime, user_id, group_id, apply=True, slot=slot, start=runtime.redis is not None
    )
    _arm(runtime, group_id, following)
    return job


def run_due_schedules(runtime: Runtime, *, now: datetime | None = None) -> list[str]:
    """Every group whose slot has come (the embedded worker's poll)."""
    now = now or datetime.now(UTC)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(SyncGroup.id, SyncGroup.next_run_at).where(
                SyncGroup.schedule.is_not(None), SyncGroup.next_run_at.is_not(None)
            )
        ).all()
    jobs = []
    for group_id, slot in rows:
        if slot is not None and aware(slot) <= now:
            job = tick(runtime, int(group_id), aware(slot))
            if job:
                jobs.append(job)
    return jobs


def rq_tick(group_id: int, slot: str) -> str | None:
    """What RQ's scheduler runs at a slot."""
    from engine.runtime import Runtime
    from engine.settings import load_settings

    runtime = Runtime(load_settings())
    try:
        return tick(runtime, group_id, datetime.fromisoformat(slot))
    finally:
        runtime.close()
