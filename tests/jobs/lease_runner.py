"""Run by the lease tests: run one job, or follow it while another process
holds it (taking it over once that holder's lease lapses), and print the state
it ended in.

Usage: lease_runner.py DB_URL DATA_DIR JOB_ID
"""

from __future__ import annotations

import sys
from pathlib import Path

from jobs_helpers import make_runtime, register_test_kinds

from engine.jobs.runner import run_or_follow


def main() -> None:
    register_test_kinds()
    runtime = make_runtime(sys.argv[1], Path(sys.argv[2]))
    try:
        print(run_or_follow(runtime, sys.argv[3], poll_s=0.1), flush=True)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
