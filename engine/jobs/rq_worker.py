"""The RQ worker ``crossfade worker`` runs when Redis is configured.

RQ alone only runs what is on its queue. This worker also sweeps the store
(``engine.jobs.control.sweep``) as part of RQ's maintenance, every third of a
job lease, so a job that never reached the queue (submitted with nothing to
enqueue it) or whose runner died (its lease lapsed) is enqueued again and
resumed by whichever worker is free, with no manual step.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy.exc import SQLAlchemyError

from engine.jobs.lease import RENEWALS_PER_LEASE
from engine.jobs.runner import QUEUE_NAME

if TYPE_CHECKING:
    from engine.runtime import Runtime

log = logging.getLogger(__name__)

IDLE_WAKE_EXTRA_S = 15
"""RQ blocks on its queue for ``worker_ttl - 15`` seconds; the worker's TTL is
set to the sweep interval plus this, so an idle worker sweeps on time."""


class SweepingWorker(Worker):
    """An RQ worker whose maintenance also enqueues stranded and lapsed jobs."""

    runtime: Runtime | None = None

    @classmethod
    def for_runtime(cls, runtime: Runtime, **kwargs: Any) -> SweepingWorker:
        assert runtime.redis is not None
        interval = max(1, int(runtime.settings.job_lease_s / RENEWALS_PER_LEASE))
        worker = cls(
            [Queue(QUEUE_NAME, connection=runtime.redis)],
            connection=runtime.redis,
            maintenance_interval=interval,
            worker_ttl=interval + IDLE_WAKE_EXTRA_S,
            **kwargs,
        )
        worker.runtime = runtime
        return worker

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        if self.runtime is None:
            return
        from engine.jobs.control import sweep

        try:
            enqueued = sweep(self.runtime)
        except (SQLAlchemyError, RedisError) as exc:  # the next sweep tries again
            log.warning("sweep of the job store failed: %s", exc)
            return
        finally:
            # The next job runs in a forked work-horse: it must not inherit
            # pooled store connections this process could use at the same time.
            self.runtime.engine.dispose()
        if enqueued:
            log.info("re-enqueued %d job(s) with no runner: %s", len(enqueued), ", ".join(enqueued))
