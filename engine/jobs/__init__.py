"""Batch jobs: pull, migrate, sync, export and snapshot GC, resumable and idempotent.

Public API (the CLI, the app and the HTTP API call only these):

- :func:`submit` (``engine.jobs.submit``) -- idempotent submission, returns a job id;
- :func:`read_progress` / :func:`follow` (``engine.jobs.progress``) -- the one progress channel;
- :func:`run_job` / :func:`dispatch` (``engine.jobs.runner``) -- execution, RQ or in-process;
- :func:`cancel`, :func:`retry`, :func:`list_jobs`, :func:`job_row` (``engine.jobs.control``).
"""

from engine.jobs.control import cancel, job_row, list_jobs, retry
from engine.jobs.group_runs import LibraryParams, SyncGroupParams
from engine.jobs.progress import ProgressReporter, follow, read_progress
from engine.jobs.runner import JOB_KINDS, JobContext, dispatch, register_kind, run_job
from engine.jobs.submit import derive_key, submit

register_kind(
    "sync_group", "engine.jobs.group_sync:run", feature="feature.sync", params=SyncGroupParams
)
register_kind("library", "engine.jobs.library:run", feature="feature.migrate", params=LibraryParams)

__all__ = [
    "JOB_KINDS",
    "JobContext",
    "ProgressReporter",
    "cancel",
    "derive_key",
    "dispatch",
    "follow",
    "job_row",
    "list_jobs",
    "read_progress",
    "register_kind",
    "retry",
    "run_job",
    "submit",
]
