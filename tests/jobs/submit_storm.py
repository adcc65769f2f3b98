"""Run by the concurrency test: N threads submit the same request at once.

Usage: submit_storm.py DB_URL REDIS_URL_OR_EMPTY TMP_DIR N; prints the job ids as JSON.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from jobs_helpers import ensure_user, make_runtime, register_test_kinds

from engine.jobs import submit


def main() -> None:
    db_url, redis_url, tmp, count = (
        sys.argv[1],
        sys.argv[2] or None,
        Path(sys.argv[3]),
        int(sys.argv[4]),
    )
    register_test_kinds()
    runtime = make_runtime(db_url, tmp, redis_url)
    user = ensure_user(runtime)
    barrier = threading.Barrier(count)
    ids: list[str] = []

    def one() -> None:
        barrier.wait()
        ids.append(
            submit(runtime, "test_count", {"n": 1, "storm": True}, user_id=user, start=False)
        )

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runtime.close()
    print(json.dumps(ids))


if __name__ == "__main__":
    main()
