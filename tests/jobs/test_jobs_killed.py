"""A migrate worker SIGKILLed at random moments (10 kills, small add batches against a
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
    env = {
        **os.environ,
        "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "LEDGER_ADD_DELAY_S": "0.08",
    }
    command = [sys.executable, str(HERE / "kill_worker.py"), sqlite_url, str(tmp_path), job]
    ledger = LedgerProvider(ledger_path)
    rng = random.Random(6)
    kills = 0
    while kills < KILLS:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        started = time.monotonic()
        while job_row(runtime, job)["attempts"] <= kills and proc.poll() is None:
            time.sleep(0.01)  # wait until this run has claimed the job
        time.sleep(rng.uniform(0.0, 0.25))
        if proc.poll() is not None:
            break  # finished before we could kill it
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        assert time.monotonic() - started < 30
        check_consistent(ledger.contents(), expected_ids(n), part)
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    row = job_row(runtime, job)
    assert row["state"] == "succeeded", row["error"]
    contents = ledger.contents()
    assert [x for items in contents.values() for x in items] == expected_ids(n)
    assert [len(items) for items in contents.values()] == [25] * 4
    assert kills == KILLS, f"only {kills} kills landed before the job finished"
    runtime.close()
