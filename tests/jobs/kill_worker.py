"""Run by the kill test: run one job to its end (or until SIGKILLed).

Usage: kill_worker.py DB_URL DATA_DIR JOB_ID
"""

from __future__ import annotations

import sys
from pathlib import Path

from jobs_helpers import make_runtime
from ledger_provider import install

from engine.jobs import run_job


def main() -> None:
    install()
    runtime = make_runtime(sys.argv[1], Path(sys.argv[2]))
    try:
        print(run_job(runtime, sys.argv[3]))
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
