"""A migrate worker SIGKILLed at random writes (10 kills, small add batches against a
file-backed provider), restarted each time, ends with every matched track exactly once, in order."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jobs_helpers import ensure_user, make_runtime
from ledger_provider import LedgerProvider, catalog_for, install, ledger_account
from test_jobs_migrate import expected_ids, source_records, store_playlist

from engine.jobs import job_row, submit

install()
HERE = Path(__file__).parent
KILLS = 10
"""Kills during small add batches (the loopback-sandbox test does the 20 kills)."""


def check_consistent(contents: dict[str, list[str]], wanted: list[str], part: int) -> None:
    """Each target part is a prefix of its share of the plan: nothing twice, nothing foreign."""
    for index, items in enumerate(contents.values()):
        share = wanted[index * part : (index + 1) * part]
        assert items == share[: len(items)], items


@pytest.mark.slow
def test_sigkills_during_small_batches_then_exactly_right(sqlite_url: str, tmp_path: Path) -> None:
    n, part = 100, 25
    runtime = make_runtime(sqlite_url, tmp_path)
    user = ensure_user(runtime)
    ledger_path = LedgerProvider.create(tmp_path / "ledger.json", catalog_for(n))
    account = ledger_account(runtime, user, ledger_path)
    playlist = store_playlist(runtime, user, source_records(n))
    job = submit(
        runtime,
        "migrate",
        {
            "source": {"playlist_id": playlist},
            "target_account_id": account,
            "report_dir": str(tmp_path),
        },
        user_id=user,
        start=False,
    )
    hold = tmp_path / "held"
    env = {
        **os.environ,
        "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "CROSSFADE_JOB_LEASE_S": "1",  # each restart takes over once the killed one's lapses
    }
    command = [sys.executable, str(HERE / "kill_worker.py"), sqlite_url, str(tmp_path), job]
    ledger = LedgerProvider(ledger_path)
    rng = random.Random(6)
    # Kill moments are counted in writes, not seconds, so the test does the
    # same on any machine: each run stops at its 1st, 2nd or 3rd write (create a
    # playlist part, add a batch of 3), just before or just after applying it
    # (applied but not yet checkpointed is when a retry could add twice), and
    # is SIGKILLed there. 38 writes in all: 10 runs cannot finish the job.
    for kill in range(KILLS):
        hold.unlink(missing_ok=True)
        gate = {
            "LEDGER_HOLD_FILE": str(hold),
            "LEDGER_HOLD_AT": str(rng.randint(1, 3)),
            "LEDGER_HOLD_WHEN": rng.choice(["before", "after"]),
        }
        proc = subprocess.Popen(command, env={**env, **gate}, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120  # generous: a loaded machine starts slowly
            while not hold.exists():
                assert proc.poll() is None, f"the worker ended before kill {kill + 1}"
                assert time.monotonic() < deadline, "the worker never reached its write"
                time.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        check_consistent(ledger.contents(), expected_ids(n), part)
    assert len(ledger.contents()) >= 2  # the kills crossed a part boundary
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    row = job_row(runtime, job)
    assert row["state"] == "succeeded", row["error"]
    contents = ledger.contents()
    assert [x for items in contents.values() for x in items] == expected_ids(n)
    assert [len(items) for items in contents.values()] == [25] * 4
    assert row["attempts"] == KILLS + 1
    runtime.close()
