"""One runner per job: a lease in the store that its holder keeps renewing.

A runner claims a job with one ``UPDATE ... WHERE`` that succeeds only when
nobody holds the job or the holder's lease has lapsed (``lease_until`` in the
past); the statement is atomic on SQLite and on Postgres, so two callers never
both win. The holder renews the lease from a heartbeat thread every third of
:attr:`Settings.job_lease_s`. Every write that decides something (checkpoint,
final state) is fenced by the owner: a runner whose lease lapsed (it was
paused, or cut off from the store) and was taken over writes nothing more and
stops at its next checkpoint with :class:`LeaseLostError`.

Each claim is logged as a ``job_records`` row (``kind="runner"``, ``seq`` = the
attempt) with its owner, when it claimed and when it was last seen holding the
lease, so the runners of a job can be counted afterwards (``scripts/chaos.py``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Update, and_, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import LeaseLostError
from engine.store.models import Job, JobRecord, aware

if TYPE_CHECKING:
    from engine.runtime import Runtime

log = logging.getLogger(__name__)

RUNNER_RECORD = "runner"
"""``job_records.kind`` of the claim log."""

RENEWALS_PER_LEASE = 3
"""The holder renews this many times per lease length: two renewals may fail
(a slow store) before the lease lapses."""


def new_owner() -> str:
    """A runner's name: host, process and a nonce (two threads never share one)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claimable(now: datetime) -> Any:
    """SQL condition: nobody holds the job, or the holder's lease lapsed."""
    return or_(Job.lease_owner.is_(None), Job.lease_until.is_(None), Job.lease_until < now)


def lease_lapsed(row_owner: str | None, row_until: datetime | None, now: datetime) -> bool:
    """The same condition in Python, for rows already read."""
    return row_owner is None or row_until is None or aware(row_until) < now


class Lease:
    """The lease one runner holds on one job, renewed by a heartbeat thread."""

    def __init__(self, runtime: Runtime, job_id: str, owner: str, attempt: int) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.owner = owner
        self.attempt = attempt
        self.seconds = float(runtime.settings.job_lease_s)
        self.lost = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._claimed_at = ""

    def until(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.seconds)

    def fenced(self, statement: Update) -> Update:
        """``statement`` limited to the job while this runner holds it."""
        return statement.where(and_(Job.id == self.job_id, Job.lease_owner == self.owner))

    def start(self) -> None:
        """Log the claim and start renewing."""
        self._claimed_at = datetime.now(UTC).isoformat()
        with self.runtime.engine.begin() as conn:
            conn.execute(
                insert(JobRecord).values(
                    job_id=self.job_id, kind=RUNNER_RECORD, seq=self.attempt, data=self._record()
                )
            )
        self._thread = threading.Thread(
            target=self._heartbeat, name=f"crossfade-lease-{self.job_id}", daemon=True
        )
        self._thread.start()

    def _record(self) -> dict[str, Any]:
        seen = datetime.now(UTC).isoformat()
        return {"owner": self.owner, "claimed_at": self._claimed_at, "seen_at": seen}

    def mark_seen(self, conn: Connection) -> None:
        """Note in the claim log that this runner still held the job just now."""
        conn.execute(
            update(JobRecord)
            .where(
                JobRecord.job_id == self.job_id,
                JobRecord.kind == RUNNER_RECORD,
                JobRecord.seq == self.attempt,
            )
            .values(data=self._record())
        )

    def renew(self) -> bool:
        """Extend the lease; False when another runner holds the job now."""
        with self.runtime.engine.begin() as conn:
            renewed = conn.execute(self.fenced(update(Job)).values(lease_until=self.until()))
            if renewed.rowcount == 1:
                self.mark_seen(conn)
        return bool(renewed.rowcount == 1)

    def _heartbeat(self) -> None:
        interval = self.seconds / RENEWALS_PER_LEASE
        while not self._stopped.wait(interval):
            try:
                if not self.renew():
                    log.warning("job %s: lease of %s lost", self.job_id, self.owner)
                    self.lost.set()
                    return
            except SQLAlchemyError as exc:  # the store is slow or away: try again next beat
                log.warning("job %s: lease renewal failed: %s", self.job_id, exc)

    def check(self) -> None:
        """Raise LeaseLostError once another runner may hold the job."""
        if self.lost.is_set():
            raise LeaseLostError(f"job {self.job_id}: lease of {self.owner} lapsed, taken over")

    def stop(self) -> None:
        """Stop renewing (the caller releases or finishes the job itself)."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def release(self) -> None:
        """Give the job up without changing its state (it stays claimable)."""
        self.stop()
        with self.runtime.engine.begin() as conn:
            conn.execute(self.fenced(update(Job)).values(lease_owner=None, lease_until=None))


def runner_log(runtime: Runtime, job_id: str) -> list[dict[str, Any]]:
    """Every claim of a job, oldest first: attempt, owner, claimed_at, seen_at."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(JobRecord.seq, JobRecord.data)
            .where(JobRecord.job_id == job_id, JobRecord.kind == RUNNER_RECORD)
            .order_by(JobRecord.seq)
        ).all()
    return [{"attempt": row.seq, **row.data} for row in rows]


def max_concurrent_runners(claims: list[dict[str, Any]]) -> int:
    """The most runners holding the job at one moment, from the claim log: a
    claim counts every other claim made before it and last seen after it."""
    most = 0
    for claim in claims:
        start = str(claim["claimed_at"])
        live = sum(
            1
            for other in claims
            if other is claim or str(other["claimed_at"]) <= start < str(other["seen_at"])
        )
        most = max(most, live)
    return most
