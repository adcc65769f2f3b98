"""``crossfade sync-group`` end to end on two playlist files (the CLI-only
member kind), and schedules on the embedded worker and on RQ."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_helpers import make_runtime

from engine.cli import main
from engine.jobs import job_row
from engine.jobs.control import work_embedded
from engine.jobs.group_schedule import next_slot, parse_schedule, run_due_schedules, tick
from engine.store import repo
from engine.store.db import session_scope
from engine.store.models import SyncGroup

HEADER = ["title", "artist", "album", "isrc"]


def write_csv(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for title, isrc in rows:
            out.writerow([title, "The Band", "The Album", isrc])


def titles(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [row["title"] for row in csv.DictReader(handle)]


SONGS = [(f"Song {n}", f"QZFIL2600{n:03d}") for n in range(8)]


def test_file_group_from_the_cli(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, away = tmp_path / "home.csv", tmp_path / "away.csv"
    write_csv(home, SONGS[:6])
    write_csv(away, SONGS[:6])
    args = ["sync-group", "create", "files", "--member", f"file:{home}", "--member", f"file:{away}"]
    assert main(args) == 0
    created = json.loads(capsys.readouterr().out)
    assert [m["kind"] for m in created["members"]] == ["file", "file"]
    assert (
        main(
            [
                "sync-group",
                "create",
                "files",
                "--member",
                f"file:{home}",
                "--member",
                f"file:{away}",
            ]
        )
        == 1
    )
    assert "exists" in capsys.readouterr().err
    assert (
        main(["sync-group", "run", "files", "--apply", "--yes"]) == 0
    )  # shown first, then applied
    out = capsys.readouterr()
    assert "first run of this group" in out.err and "6 tracks" in out.out

    # home gains Song 6 at the top and loses Song 2; away moves Song 5 first
    write_csv(home, [SONGS[6], *[s for s in SONGS[:6] if s[0] != "Song 2"]])
    write_csv(away, [SONGS[5], *SONGS[:5]])
    assert main(["sync-group", "run", "files", "--json"]) == 0  # dry run: nothing written
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and titles(away)[0] == "Song 5"
    by_label = {m["label"].split()[0]: m for m in dry["members"]}
    [gone] = by_label["m1"]["remove"]  # Song 2 leaves away, and the plan says why
    assert gone["track"] == "The Band - Song 2"
    assert gone["why"].startswith("R2 remove: removed on m0 file:")
    [added] = by_label["m1"]["add"]
    assert added["track"] == "The Band - Song 6" and added["why"].startswith("R1 add: on m0")
    assert main(["sync-group", "run", "files", "--apply"]) == 0
    capsys.readouterr()
    merged = ["Song 5", "Song 6", "Song 0", "Song 1", "Song 3", "Song 4"]
    assert titles(home) == merged and titles(away) == merged

    assert main(["sync-group", "pause", "files"]) == 0
    assert main(["sync-group", "schedule", "files", "--every", "6h"]) == 0
    assert main(["sync-group", "schedule", "files", "--every", "1m"]) == 1
    assert "shortest" in capsys.readouterr().err
    assert main(["sync-group", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["status"] == "paused" and listed["schedule"] == "every:21600"
    assert listed["tracks"] == 6 and listed["next_run_at"]
    assert main(["sync-group", "list"]) == 0
    assert "files" in capsys.readouterr().out
    assert main(["sync-group", "delete", "files", "--yes"]) == 0
    assert main(["sync-group", "run", "files"]) == 1


def test_schedule_parsing() -> None:
    assert parse_schedule(every="6h") == "every:21600"
    assert parse_schedule(cron="0  */6 * * *") == "cron:0 */6 * * *"
    with pytest.raises(Exception, match="shortest"):
        parse_schedule(every="1m")
    with pytest.raises(Exception, match="cron"):
        parse_schedule(cron="every day")
    at = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
    assert next_slot("every:21600", at) == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert next_slot("cron:30 * * * *", at) == datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


def _file_group(runtime, tmp_path: Path) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from engine.store.sync_groups import create_group

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(a, SONGS[:3])
    write_csv(b, SONGS[:3])
    with session_scope(runtime.engine) as session:
        user = int(repo.local_user(session).id)
        group = create_group(
            session,
            user,
            "sched",
            [{"kind": "file", "path": str(a)}, {"kind": "file", "path": str(b)}],
        )
        return user, int(group.id)


def test_embedded_schedule_runs_each_slot_once(sqlite_url: str, tmp_path: Path) -> None:
    from engine.jobs.group_schedule import schedule_group

    runtime = make_runtime(sqlite_url, tmp_path)
    user, group_id = _file_group(runtime, tmp_path)
    schedule_group(runtime, user, group_id, "every:3600")
    assert run_due_schedules(runtime) == []  # not due yet
    slot = datetime.now(UTC) - timedelta(minutes=1)
    with session_scope(runtime.engine) as session:
        session.get(SyncGroup, group_id).next_run_at = slot  # type: ignore[union-attr]
    [job] = run_due_schedules(runtime)
    assert tick(runtime, group_id, slot) is None  # the slot was taken: never twice
    assert work_embedded(runtime, burst=True) == 1
    row = job_row(runtime, job)
    assert row["state"] == "succeeded" and row["result"]["dry_run"] is True  # never shown: dry
    with session_scope(runtime.engine) as session:
        group = session.get(SyncGroup, group_id)
        assert group is not None and group.next_run_at is not None
        assert group.next_run_at.replace(tzinfo=UTC) > datetime.now(UTC)
        group.next_run_at = slot + timedelta(seconds=1)
        group.status = "paused"
    [paused] = run_due_schedules(runtime)
    work_embedded(runtime, burst=True)
    assert job_row(runtime, paused)["result"]["skipped"] == "group is paused"
    runtime.close()


@pytest.mark.redis
def test_rq_schedule_arms_a_delayed_job(sqlite_url: str, redis_url: str, tmp_path: Path) -> None:
    from rq import Queue

    from engine.jobs.group_schedule import schedule_group
    from engine.jobs.runner import QUEUE_NAME

    runtime = make_runtime(sqlite_url, tmp_path, redis_url)
    user, group_id = _file_group(runtime, tmp_path)
    done = schedule_group(runtime, user, group_id, "cron:0 */6 * * *")
    queue = Queue(QUEUE_NAME, connection=runtime.redis)
    scheduled = queue.scheduled_job_registry.get_job_ids()
    assert any(f"crossfade-slot-{group_id}-" in j for j in scheduled), scheduled
    slot = datetime.fromisoformat(str(done["next_run_at"]))
    job = tick(runtime, group_id, slot)
    assert job is not None and job_row(runtime, job)["state"] == "queued"
    assert len(queue.scheduled_job_registry.get_job_ids()) == 2  # the next slot is armed
    runtime.close()


def test_two_applying_runs_of_one_group_never_overlap(sqlite_url: str, tmp_path: Path) -> None:
    from sqlalchemy import insert

    from engine.jobs import run_job
    from engine.jobs.group_runs import submit_run
    from engine.store.models import Job

    runtime = make_runtime(sqlite_url, tmp_path)
    user, group_id = _file_group(runtime, tmp_path)
    assert run_job(runtime, submit_run(runtime, user, group_id, start=False)) == "succeeded"
    with runtime.engine.begin() as conn:  # another worker is applying it right now
        conn.execute(
            insert(Job).values(
                id="other",
                user_id=user,
                kind="sync_group",
                state="running",
                params={"group_id": group_id, "dry_run": False},
                idempotency_key="other",
                lease_owner="elsewhere",
                lease_until=datetime.now(UTC) + timedelta(minutes=5),
            )
        )
    job = submit_run(runtime, user, group_id, apply=True, start=False)
    assert run_job(runtime, job) == "failed"
    assert "being applied by job other" in (job_row(runtime, job)["error"] or "")
    with runtime.engine.begin() as conn:  # its lease lapsed: it died
        conn.execute(
            Job.__table__.update()
            .where(Job.id == "other")
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    again = submit_run(runtime, user, group_id, apply=True, start=False)
    assert run_job(runtime, again) == "succeeded"
    runtime.close()
