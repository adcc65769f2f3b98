"""Run by the RQ tests: ``crossfade api`` with the test job kinds registered.

Usage: rq_test_api.py --port PORT [--no-start-jobs]  (settings from the environment)
"""

from __future__ import annotations

import sys

from jobs_helpers import register_test_kinds

from engine.cli import main

if __name__ == "__main__":
    register_test_kinds()
    sys.exit(main(["api", *sys.argv[1:]]))
