"""Run by the RQ tests: ``crossfade worker`` with the test job kinds registered
(the work-horses it forks inherit them).

Usage: rq_test_worker.py  (DATABASE_URL, REDIS_URL, CROSSFADE_* from the environment)
"""

from __future__ import annotations

import sys

from jobs_helpers import register_test_kinds

from engine.cli import main

if __name__ == "__main__":
    register_test_kinds()
    sys.exit(main(["worker", *sys.argv[1:]]))
