"""Adding a migrate's tracks to its target parts: what the provider refuses.

Two answers change the plan while adding, and neither fails the job:

- **a full playlist** (``PlaylistFullError``): the batch is halved until one
  track does not fit; the playlist's length then is the provider's real cap,
  learned from its answer and kept in the checkpoint (``learned_cap``). The
  rest of the tracks go on, in order, in the next part, "Name (2)", "Name (3)"...
- **a rejected track** (a 404/400 on an add: unplayable, unavailable): the
  batch is added one track at a time to find the track; its plan row becomes
  ``rejected`` with the provider's reason (the report shows it) and the rest go on.

Both raise :class:`PlanChanged` after recording the change, and the migrate
splits its parts again from the stored plan (``engine.jobs.migrate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from engine.errors import PlaylistFullError
from engine.jobs.isolation import is_track_error, reason
from engine.store.models import JobRecord

if TYPE_CHECKING:
    from engine.jobs.runner import JobContext
    from engine.providers.base import Provider


class PlanChanged(Exception):
    """The plan or the cap changed while adding: split the parts again."""


def part_cap(ctx: JobContext, documented: int | None) -> int | None:
    """The most tracks one target playlist takes: the cap learned from the
    provider's answer, else the documented one (None: unlimited)."""
    learned = ctx.checkpoint.get("learned_cap")
    if learned is None:
        return documented
    return int(learned) if documented is None else min(int(learned), documented)


def learned_part_name(name: str, index: int) -> str:
    """Parts started because a playlist filled up: "Name", "Name (2)", ..."""
    return name if index == 0 else f"{name} ({index + 1})"


def add_in_batches(
    ctx: JobContext,
    target: Provider,
    playlist_id: str,
    wanted: list[str],
    state: dict[str, Any],
) -> None:
    """Add ``wanted[state['confirmed']:]`` to the playlist in batches of the
    target's maximum, checkpointing after each; raise PlanChanged when the
    playlist filled up or the target refused a track."""
    parts = ctx.checkpoint["parts"]
    confirmed = int(state["confirmed"])
    full_size = max(1, target.capabilities.add_batch_max)
    size, narrow_until = full_size, 0
    while confirmed < len(wanted):
        if confirmed >= narrow_until:
            size = full_size
        batch = wanted[confirmed : confirmed + size]
        try:
            target.add_items(playlist_id, batch)
        except PlaylistFullError:
            if len(batch) > 1:
                size, narrow_until = max(1, len(batch) // 2), confirmed + len(batch)
                continue
            if confirmed == 0:
                raise  # not even one track fits an empty playlist: nothing to learn
            _learn_cap(ctx, confirmed)
            raise PlanChanged from None
        except Exception as exc:
            if not is_track_error(exc):
                raise
            if len(batch) > 1:  # find the track it refused, one at a time
                size, narrow_until = 1, confirmed + len(batch)
                continue
            reject(ctx, batch[0], f"add rejected: {reason(exc)}")
            raise PlanChanged from exc
        confirmed += len(batch)
        state["confirmed"] = confirmed
        ctx.progress.advance(len(batch))
        ctx.save_checkpoint(parts=parts)


def _learn_cap(ctx: JobContext, cap: int) -> None:
    ctx.progress.note(f"the target playlist is full at {cap} tracks: going on in a new part")
    ctx.save_checkpoint(learned_cap=cap)


def reject(ctx: JobContext, target_id: str, why: str) -> None:
    """Mark the plan rows adding ``target_id`` as ``rejected`` with ``why``."""
    from engine.jobs.plan import load_plan

    plan = load_plan(ctx.runtime, ctx.job_id)
    ctx.check_cancelled()  # still this runner's job (the lease), before writing
    with ctx.runtime.engine.begin() as conn:
        for seq, row in enumerate(plan):
            if row.get("target_id") != target_id:
                continue
            row.update(status="rejected", target_id=None, reason=why)
            conn.execute(
                update(JobRecord)
                .where(
                    JobRecord.job_id == ctx.job_id,
                    JobRecord.kind == "plan",
                    JobRecord.seq == seq,
                )
                .values(data=row)
            )
    ctx.progress.error(f"{target_id}: {why}")
