"""Job ``migrate``: a playlist (stored, a snapshot, or a file) to a target provider.

Parameters: ``source`` (``{"playlist_id"}``, ``{"snapshot_id"}`` or ``{"file",
"name"?}``), ``target_account_id``, ``name`` (target playlist name; default the
source's), ``review_policy`` (wait | skip | best), ``report_dir``,
``target_playlist_id`` (optional: complete this existing playlist of the target
account, e.g. the one an earlier run of the same transfer made, instead of
creating one).

"Ask me" (``wait``): tracks the curator has to decide are left out at first;
their answers are applied as they come in (:mod:`engine.jobs.review_wait`):
each accepted track is put at its source position in the same playlist, and
the job waits ("waiting for review") until no question of its own is open.

Resumable at any moment: the match plan is made once and checkpointed; every
target part records its playlist id and how many items are confirmed there.
A resumed run first reconciles with the target's actual contents (the last add
may have landed before the crash), then adds the rest in batches of the
target's maximum. Sources longer than the target's maximum playlist size are
split into numbered parts; a playlist the provider reports full at a size no
document gave starts the next part ("Name (2)"), and a track the target refuses
is reported and skipped (``engine.jobs.parts``).
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import JobError, UsageError
from engine.jobs.connect import open_account
from engine.jobs.estimate import estimate_quota
from engine.jobs.parts import PlanChanged, add_in_batches, learned_part_name, part_cap
from engine.jobs.plan import REVIEW_POLICIES, load_plan, load_source, make_plan
from engine.jobs.report import write_report
from engine.jobs.review_wait import (
    WAITING_FOR_REVIEW,
    answers_changed,
    apply_answers,
    asked,
    curator_answers,
)
from engine.jobs.runner import JobContext, WaitForReview
from engine.providers.base import Capabilities, Provider, playlist_track_ids

RECONCILE_ROUNDS = 3
"""Re-reads of a target playlist while repairing it before giving up."""


def split_parts(target_ids: list[str], max_size: int | None) -> list[list[str]]:
    """The target ids in parts of at most ``max_size`` (one part when unlimited)."""
    if not max_size or len(target_ids) <= max_size:
        return [target_ids]
    return [target_ids[i : i + max_size] for i in range(0, len(target_ids), max_size)]


def part_name(name: str, index: int, count: int) -> str:
    return name if count == 1 else f"{name} ({index + 1}/{count})"


def quota_plan(caps: Capabilities, *, searches: int, adds: int, parts: int) -> dict[str, Any]:
    """Units a run needs and the days of quota that makes (daily-unit providers)."""
    if caps.quota != "daily_units" or not caps.daily_quota_units:
        return {"units": None, "days": None}
    costs = caps.method_costs
    units = (
        searches * costs.get("search.list", 100)
        + adds * costs.get("playlistItems.insert", 50)
        + parts * costs.get("playlists.insert", 50)
    )
    return {"units": units, "days": max(1, math.ceil(units / caps.daily_quota_units))}


def run(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    policy = str(params.get("review_policy", "wait"))
    if policy not in REVIEW_POLICIES:
        raise UsageError(f"review_policy must be one of {REVIEW_POLICIES}, not {policy!r}")
    account_id = int(params["target_account_id"])
    with open_account(ctx.runtime, account_id, user_id=ctx.user_id) as target:
        caps = target.capabilities
        if "planned" not in ctx.checkpoint:
            source, source_name, _ = load_source(ctx, dict(params.get("source") or {}))
            name = str(params.get("name") or source_name)
            estimate = estimate_quota(caps, target.name, source, ctx.runtime.settings)
            if estimate is not None:  # said before the first unit is spent
                ctx.progress.note(estimate.message())
                ctx.save_checkpoint(estimate=estimate.as_dict())
            plan = make_plan(ctx, target, source, policy)
            report = write_report(ctx, plan, target.name)
            target_ids = [row["target_id"] for row in plan if row["target_id"]]
            searches = (
                len(plan)
                if caps.isrc_lookup == "none"
                else sum(1 for row in plan if not row["isrc"])
            )
            count = len(split_parts(target_ids, caps.max_playlist_size))
            ctx.save_checkpoint(
                name=name,
                report=str(report),
                parts=[{"playlist_id": None, "confirmed": 0} for _ in range(count)],
                quota=quota_plan(caps, searches=searches, adds=len(target_ids), parts=count),
            )
        quota = ctx.checkpoint.get("quota") or {}
        if quota.get("days"):
            ctx.progress.note(f"needs {quota['units']} quota units: about {quota['days']} day(s)")
        waits = policy == "wait" and ctx.user_id is not None
        while True:  # again whenever a full playlist or a refused track changed the plan
            plan = load_plan(ctx.runtime, ctx.job_id)
            questions = asked(plan) if waits else []
            answers = curator_answers(ctx.runtime, ctx.user_id, target.name, questions)
            if questions:  # the curator's answers so far, at their source positions
                plan = apply_answers(plan, answers)
            target_ids = [row["target_id"] for row in plan if row["target_id"]]
            parts = split_parts(target_ids, part_cap(ctx, caps.max_playlist_size))
            states = ctx.checkpoint["parts"]
            states.extend(
                {"playlist_id": None, "confirmed": 0} for _ in range(len(parts) - len(states))
            )
            while len(states) > len(parts) and states[-1]["playlist_id"] is None:
                states.pop()  # a part the plan no longer needs (never started)
            done_before = sum(int(p["confirmed"]) for p in states)
            ctx.progress.phase(
                "adding", total=len(target_ids), done=min(done_before, len(target_ids))
            )
            try:
                for index, part in enumerate(parts):
                    _migrate_part(ctx, target, index, part, len(parts))
            except PlanChanged:
                continue
            break
        if any(row["status"] == "rejected" for row in plan) and not questions:
            write_report(ctx, plan, target.name)  # the refused tracks, with the reason
        playlists = [p["playlist_id"] for p in ctx.checkpoint["parts"]]
        links = [track_playlist_link(target.name, p) for p in playlists if p]
    result = summarize(plan, target.name, playlists, ctx.checkpoint)
    result["target_links"] = links
    if questions:
        ctx.save_checkpoint(
            report=str(write_report(ctx, plan, target.name)),
            review={
                "provider": target.name,
                "asked": questions,
                "answers": {str(k): v for k, v in answers.items()},
            },
        )
        result["report"] = ctx.checkpoint.get("report")
    if questions and result["pending_review"]:
        job_id, runtime = ctx.job_id, ctx.runtime
        raise WaitForReview(
            result["summary"],
            result,
            dict(ctx.checkpoint),
            recheck=lambda: answers_changed(runtime, job_id),
        )
    return result


def summarize(
    plan: list[dict[str, Any]], provider: str, playlists: list[Any], checkpoint: dict[str, Any]
) -> dict[str, Any]:
    """The job's result: counts by outcome and a one-line ``summary`` such as
    "24 of 27 added, 3 not available" or "10 of 35 added; 25 waiting for review"."""
    statuses = [row["status"] for row in plan]
    added = sum(1 for row in plan if row["target_id"])
    pending = statuses.count("pending")
    missing = statuses.count("not_available")
    duplicates = statuses.count("duplicate")
    parts = [f"{added} of {len(plan)} added"]
    if missing:
        parts.append(f"{missing} not available")
    if duplicates:
        parts.append(f"{duplicates} duplicate{'s' if duplicates != 1 else ''}")
    summary = ", ".join(parts)
    if pending:
        summary += f"; {WAITING_FOR_REVIEW}: {pending} track{'s' if pending != 1 else ''}"
    return {
        "target_provider": provider,
        "target_playlists": playlists,
        "source_tracks": len(plan),
        "added": added,
        "matched": statuses.count("matched"),
        "pending_review": pending,
        "not_available": missing,
        "duplicates": duplicates,
        "rejected": statuses.count("rejected"),
        "failed_searches": sum(
            1 for row in plan if str(row.get("reason") or "").startswith("search failed")
        ),
        "summary": summary,
        "report": checkpoint.get("report"),
        "quota": checkpoint.get("quota"),
    }


def track_playlist_link(provider: str, playlist_id: str) -> str | None:
    """The playlist's public web page on the provider."""
    links = {
        "spotify": "https://open.spotify.com/playlist/{}",
        "deezer": "https://www.deezer.com/playlist/{}",
        "tidal": "https://tidal.com/browse/playlist/{}",
        "youtube": "https://www.youtube.com/playlist?list={}",
    }
    template = links.get(provider)
    return template.format(playlist_id) if template else None


def _marker(ctx: JobContext, index: int) -> str:
    """Written in each target playlist's description where the API keeps one."""
    return f"Moved by Crossfade (job {ctx.job_id}, part {index + 1})"


def _find_or_create(ctx: JobContext, target: Provider, index: int, count: int) -> str:
    """The part's target playlist. A playlist created just before a crash (its id
    not yet checkpointed) is found again, not created twice: by the marker in its
    description, or as the one playlist of that name that did not exist before."""
    base = str(ctx.checkpoint["name"])
    learned = "learned_cap" in ctx.checkpoint
    name = learned_part_name(base, index) if learned else part_name(base, index, count)
    marker = _marker(ctx, index)
    parts = ctx.checkpoint["parts"]
    state = parts[index]
    existing = target.playlists()
    chosen = ctx.params.get("target_playlist_id")
    if chosen and index == 0:
        if not any(p.id == str(chosen) and p.owned for p in existing):
            raise UsageError(
                f"{target.name} playlist {chosen} is not one of this account's own playlists"
            )
        return str(chosen)
    for playlist in existing:
        if playlist.description and marker in playlist.description:
            return playlist.id
    if "known_before" in state:
        new = [p.id for p in existing if p.name == name and p.id not in state["known_before"]]
        if new:
            return new[0]
    else:
        state["known_before"] = [p.id for p in existing if p.name == name]
        ctx.save_checkpoint(parts=parts)
    return target.create_playlist(name, description=marker).id


def _migrate_part(
    ctx: JobContext, target: Provider, index: int, wanted: list[str], count: int
) -> None:
    parts = ctx.checkpoint["parts"]
    state = parts[index]
    if state["playlist_id"] is None:
        state["playlist_id"] = _find_or_create(ctx, target, index, count)
        ctx.save_checkpoint(parts=parts)
    playlist_id = str(state["playlist_id"])
    place_answers(target, playlist_id, wanted)
    confirmed = reconcile(target, playlist_id, wanted)
    if confirmed != state["confirmed"]:
        ctx.progress.advance(confirmed - int(state["confirmed"]))
        state["confirmed"] = confirmed
        ctx.save_checkpoint(parts=parts)
    add_in_batches(ctx, target, playlist_id, wanted, state)


def reconcile(target: Provider, playlist_id: str, wanted: list[str]) -> int:
    """Make the target playlist a prefix of ``wanted`` and return its length.

    After a crash the playlist holds ``wanted[:k]`` (the last add may or may
    not have landed); anything else (an item added twice, a foreign item) is
    removed when the provider can remove, else the job fails with a clear error.
    """
    for _ in range(RECONCILE_ROUNDS):
        actual = playlist_track_ids(target, playlist_id)
        prefix = 0
        while prefix < min(len(actual), len(wanted)) and actual[prefix] == wanted[prefix]:
            prefix += 1
        if prefix == len(actual):
            return prefix
        if not target.capabilities.supports_remove:
            raise JobError(
                f"target playlist {playlist_id} differs from the plan at position {prefix} "
                f"and {target.name} cannot remove items; delete it and retry the job"
            )
        stray = list(dict.fromkeys(actual[prefix:]))
        target.remove_items(playlist_id, stray)
    raise JobError(f"target playlist {playlist_id} could not be reconciled with the plan")


def place_answers(target: Provider, playlist_id: str, wanted: list[str]) -> None:
    """Put tracks accepted after the first run at their source positions: when
    the playlist holds only wanted tracks, each once, but not in ``wanted``
    order or not all of them, append the missing ones and move each into place
    (one reorder per track placed). Anything else is left to :func:`reconcile`."""
    actual = playlist_track_ids(target, playlist_id)
    present = set(actual)
    if actual == wanted[: len(actual)] or not target.capabilities.supports_reorder:
        return  # a prefix: the append loop completes it
    if len(present) != len(actual) or not present <= set(wanted):
        return  # repeats or foreign items: reconcile repairs
    missing = [track for track in wanted if track not in present]
    if missing:
        target.add_items(playlist_id, missing)
        actual = actual + missing
    for position, track in enumerate(wanted):
        if actual[position] != track:
            source = actual.index(track, position)
            target.reorder(playlist_id, source, position)
            actual.insert(position, actual.pop(source))
