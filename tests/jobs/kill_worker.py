"""Run by the kill test: run one job to its end (or until SIGKILLed); while the
killed run's lease has not lapsed yet, wait for it, then take the job over.

Usage: kill_worker.py DB_URL DATA_DIR JOB_ID [SANDBOX_URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

from jobs_helpers import make_runtime
from ledger_provider import install

from engine.jobs.runner import run_or_follow


def main() -> None:
    install()
    sandbox_url = sys.argv[4] if len(sys.argv) > 4 else None
    runtime = make_runtime(sys.argv[1], Path(sys.argv[2]), sandbox_url=sandbox_url)
    try:
        print(run_or_follow(runtime, sys.argv[3], poll_s=0.05))
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
