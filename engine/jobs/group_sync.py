"""Job ``sync_group``: one run of a sync group (N members, three-way merge).

Parameters: ``group_id``, ``dry_run`` (default **true**), ``confirm_removals``
(let a run past the removal guard), ``scheduled`` (a schedule's run: a paused
group skips it, a group never shown runs dry).

1. Plan (once per job, kept in ``job_records`` kind ``group_plan``): read every
   member, store its tracks, resolve each recording on the members that lack
   it (``engine.jobs.group_resolve``: the same recording under two ids becomes
   one key), merge against the base (``engine.jobs.group_merge``) and plan each
   member's removes, appends and moves.
2. A dry run stops here and shows, per member, what would be added, removed
   and moved and why; the group's first dry run unlocks applying.
3. The removal guard: a member that would lose more than the group's
   ``max_removal_share`` of its tracks stops the whole run before any write
   (a broken pull must never empty the others) unless ``confirm_removals``;
   the hit is left on the Review page.
4. Apply member by member from the stored plan, each starting from what the
   member holds now (a resumed run never writes a change twice); done members
   are checkpointed. Then the merged order becomes the new base.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, selectinload

from engine.errors import ConflictError, JobError, NotFoundError
from engine.jobs.group_members import MemberState, opened, read_member, write_member
from engine.jobs.group_merge import MemberPlan, merge, plan_member
from engine.jobs.group_resolve import Resolution, resolve
from engine.jobs.runner import JobContext
from engine.providers.base import Provider
from engine.store.db import session_scope
from engine.store.models import JobRecord, SyncGroup, Track
from engine.store.sync_groups import mark_previewed, save_base

FOLLOWS = "to follow the group's order"
"""Why a track nobody moved moves on a member: others moved around it."""

RECORD_KIND = "group_plan"
"""``job_records.kind`` of a run's plan: seq 0 the group, seq 1+n member n."""


class _Keys:
    """Union-find over recording keys: two keys found to be one recording."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[key] = root
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # the older track (lower id) names the recording
            low, high = sorted((ra, rb), key=int)
            self.parent[high] = low


def load_group(ctx: JobContext, group_id: int) -> SyncGroup:
    with Session(ctx.runtime.engine, expire_on_commit=False) as session:
        group = session.scalars(
            select(SyncGroup)
            .where(SyncGroup.id == group_id)
            .options(selectinload(SyncGroup.members))
        ).first()
        if group is None or (ctx.user_id is not None and group.user_id != ctx.user_id):
            raise NotFoundError(f"no sync group {group_id}")
        session.expunge_all()
    return group


def _identity(state: MemberState, held: dict[str, str]) -> dict[str, str]:
    """own id -> key: the base's key where the member held the id, else its track."""
    return {own: str(held.get(own) or key) for own, key in state.track_of.items()}


def _resolve_for(
    ctx: JobContext, state: MemberState, keys: set[str], cache: dict[int, Resolution]
) -> Resolution:
    """Ids on this member for keys it lacks (files hold any track)."""
    done = cache.setdefault(state.member_id, Resolution())
    todo = keys - set(done.ids)
    if not todo:
        return done
    if state.provider is None:
        done.ids.update({k: f"t{k}" for k in todo})
        return done
    found = resolve(ctx, state.provider, todo)
    done.ids.update(found.ids)
    done.review.update(found.review)
    done.requests += found.requests
    return done


def make_group_plan(
    ctx: JobContext, group: SyncGroup, providers: dict[int, Provider | None]
) -> dict[str, Any]:
    """Read, resolve, merge and plan (see the module docstring)."""
    members = list(group.members)
    ctx.progress.phase("reading members", total=len(members))
    states: list[MemberState] = []
    for member in members:
        states.append(read_member(ctx, member, providers[int(member.id)]))
        ctx.progress.advance(message=states[-1].label)
    keys = _Keys()
    held = {int(m.id): {str(k): str(v) for k, v in (m.held or {}).items()} for m in members}
    idents = {s.member_id: _identity(s, held[s.member_id]) for s in states}
    cache: dict[int, Resolution] = {}
    ctx.progress.phase("matching", total=len(states))
    for state in states:
        held_keys = set(held[state.member_id].values())
        added = {k for k in idents[state.member_id].values() if k not in held_keys}
        for other in states:
            if other is state:
                continue
            theirs = set(idents[other.member_id].values())
            found = _resolve_for(ctx, other, added - theirs, cache)
            for key in added - theirs:
                target = found.ids.get(key)
                if target is not None and target in idents[other.member_id]:
                    keys.union(key, idents[other.member_id][target])
        ctx.progress.advance()
    names = [str(s.member_id) for s in states]
    canon_idents = {
        str(s.member_id): {own: keys.find(k) for own, k in idents[s.member_id].items()}
        for s in states
    }
    base = list(dict.fromkeys(keys.find(str(k)) for k in group.base_order or []))
    canon_held = {str(mid): {keys.find(k) for k in h.values()} for mid, h in held.items()}
    first_run = not group.base_order
    result = merge(
        base,
        {str(s.member_id): s.items for s in states},
        held=canon_held if not first_run else {n: set() for n in names},
        identity=canon_idents,
        precedence=names,
    )
    plans: dict[int, MemberPlan] = {}
    reviews: dict[int, dict[str, str]] = {}
    for state in states:
        mine = set(canon_idents[str(state.member_id)].values())
        lacking = {k for k in result.order if k not in mine}
        found = _resolve_for(ctx, state, lacking, cache)
        by_canon = {keys.find(k): v for k, v in found.ids.items()}
        plans[state.member_id] = plan_member(
            result.order,
            state.items,
            identity=canon_idents[str(state.member_id)],
            resolve={k: by_canon.get(k) for k in lacking},
        )
        reviews[state.member_id] = {keys.find(k): v for k, v in found.review.items()}
    requests = sum(r.requests for r in cache.values())
    reasons = _readable(result.reasons, result.changes, {str(s.member_id): s.label for s in states})
    return _describe(
        ctx, group, states, result.order, reasons, plans, reviews, canon_idents, requests
    )


def _readable(
    reasons: dict[str, str], changes: dict[str, Any], labels: dict[str, str]
) -> dict[str, str]:
    """The merge's reasons with members named by label, and a plain "moved on
    <member>" for moves no conflict rule decided."""
    import re

    def named(text: str) -> str:
        return re.sub(r"\b(\d+)\b", lambda m: labels.get(m.group(1), m.group(1)), text)

    out = {key: named(text) for key, text in reasons.items()}
    for member, change in changes.items():
        for key in change.moved:
            out.setdefault(key, f"moved on {labels.get(member, member)}")
    return out


def _titles(ctx: JobContext, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    with ctx.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Track.id, Track.title, Track.artists).where(Track.id.in_([int(k) for k in keys]))
        ).all()
    return {str(r.id): f"{', '.join(r.artists or [])} - {r.title}" for r in rows}


def _describe(
    ctx: JobContext,
    group: SyncGroup,
    states: list[MemberState],
    order: list[str],
    reasons: dict[str, str],
    plans: dict[int, MemberPlan],
    reviews: dict[int, dict[str, str]],
    idents: dict[str, dict[str, str]],
    requests: int,
) -> dict[str, Any]:
    """The stored plan: per member its final ids, changes with reasons, guard."""
    share = float(group.max_removal_share)
    members: list[dict[str, Any]] = []
    for state in states:
        plan = plans[state.member_id]
        ident = idents[str(state.member_id)]
        key_of = {**ident, **plan.held}
        holding = len(set(state.items))
        removing = len(plan.remove) - sum(1 for i in plan.remove if i in set(plan.final))
        blocked = holding > 0 and removing / holding > share
        members.append(
            {
                "member_id": state.member_id,
                "label": state.label,
                "kind": state.kind,
                "before": len(state.items),
                "final": plan.final,
                "held": plan.held,
                "add": [[i, key_of.get(i), reasons.get(key_of.get(i) or "", "")] for i in plan.add],
                "remove": [
                    [i, ident.get(i), reasons.get(ident.get(i) or "", "duplicate")]
                    for i in plan.remove
                ],
                "move": [
                    [i, key_of.get(i), reasons.get(key_of.get(i) or "", FOLLOWS)] for i in plan.move
                ]
                if state.reorders
                else [],
                "missing": [k for k in plan.missing if k not in reviews[state.member_id]],
                "review": reviews[state.member_id],
                "writes": len(plan.add)
                + len(plan.remove)
                + (len(plan.move) if state.reorders else 0),
                "guard": {"removes": removing, "of": holding, "share": share, "blocked": blocked},
            }
        )
    shown = set(order) | {
        str(entry[1]) for m in members for kind in ("add", "remove", "move") for entry in m[kind]
    }
    titles = _titles(ctx, {k for k in shown if k and k.isdigit()})
    return {
        "group_id": int(group.id),
        "order": order,
        "titles": titles,
        "conflicts": {
            k: v for k, v in reasons.items() if v.startswith(("R2 remove-beats-move", "R3", "R4"))
        },
        "members": members,
        "lookups": requests,
    }


def _store_plan(ctx: JobContext, plan: dict[str, Any]) -> None:
    group = {k: v for k, v in plan.items() if k != "members"}
    rows = [{"job_id": ctx.job_id, "kind": RECORD_KIND, "seq": 0, "data": group}]
    rows += [
        {"job_id": ctx.job_id, "kind": RECORD_KIND, "seq": n + 1, "data": m}
        for n, m in enumerate(plan["members"])
    ]
    ctx.checkpoint["planned"] = True
    with session_scope(ctx.runtime.engine) as session:
        session.execute(
            delete(JobRecord).where(JobRecord.job_id == ctx.job_id, JobRecord.kind == RECORD_KIND)
        )
        session.execute(insert(JobRecord), rows)
    ctx.save_checkpoint(planned=True)


def load_group_plan(ctx_or_runtime: Any, job_id: str) -> dict[str, Any] | None:
    """A run's stored plan (None before it planned)."""
    runtime = getattr(ctx_or_runtime, "runtime", ctx_or_runtime)
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(JobRecord.seq, JobRecord.data)
            .where(JobRecord.job_id == job_id, JobRecord.kind == RECORD_KIND)
            .order_by(JobRecord.seq)
        ).all()
    if not rows:
        return None
    plan = dict(rows[0].data)
    plan["members"] = [dict(r.data) for r in rows[1:]]
    return plan


def summary_of(plan: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
    """What the run shows: per member counts and each change with its reason."""
    titles = plan.get("titles") or {}

    def named(entries: list[list[Any]]) -> list[dict[str, Any]]:
        return [{"id": e[0], "track": titles.get(str(e[1]), e[1]), "why": e[2]} for e in entries]

    return {
        "group_id": plan["group_id"],
        "dry_run": dry_run,
        "tracks": len(plan["order"]),
        "lookups": plan.get("lookups", 0),
        "conflicts": [
            {"track": titles.get(k, k), "rule": v} for k, v in sorted(plan["conflicts"].items())
        ],
        "members": [
            {
                "member_id": m["member_id"],
                "label": m["label"],
                "before": m["before"],
                "after": len(m["final"]),
                "writes": m["writes"],
                "add": named(m["add"]),
                "remove": named(m["remove"]),
                "move": named(m["move"]),
                "missing": [titles.get(k, k) for k in m["missing"]],
                "review": [{"track": titles.get(k, k), "why": v} for k, v in m["review"].items()],
                "guard": m["guard"],
            }
            for m in plan["members"]
        ],
    }


def run(ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    group = load_group(ctx, int(params["group_id"]))
    dry_run = bool(params.get("dry_run", True))
    if params.get("scheduled"):
        if group.status != "active":
            return {"group_id": int(group.id), "skipped": f"group is {group.status}"}
        dry_run = dry_run or group.previewed_at is None
    if not dry_run and group.previewed_at is None:
        raise JobError(
            f"sync group {group.name!r} has never been shown: run it once without --apply, "
            "look at the plan, then apply"
        )
    if not dry_run:
        _refuse_concurrent(ctx, int(group.id))
    members = {int(m.id): m for m in group.members}
    with ExitStack() as stack:
        providers = {mid: stack.enter_context(opened(ctx, m)) for mid, m in members.items()}
        plan = load_group_plan(ctx, ctx.job_id) if ctx.checkpoint.get("planned") else None
        if plan is None:
            plan = make_group_plan(ctx, group, providers)
            _store_plan(ctx, plan)
            _match_reviews(ctx, group, plan)
        summary = summary_of(plan, dry_run=dry_run)
        if dry_run:
            with session_scope(ctx.runtime.engine) as session:
                mark_previewed(session, int(group.id), ctx.job_id)
            return summary
        blocked = [m for m in plan["members"] if m["guard"]["blocked"]]
        if blocked and not params.get("confirm_removals"):
            _guard_review(ctx, group, blocked)
            names = ", ".join(
                f"{m['label']} ({m['guard']['removes']} of {m['guard']['of']})" for m in blocked
            )
            raise JobError(
                f"sync group {group.name!r} would remove more than "
                f"{group.max_removal_share:.0%} of {names}; nothing was changed "
                "(confirm with --confirm-removals after checking the dry run)"
            )
        done: dict[str, Any] = dict(ctx.checkpoint.get("applied") or {})
        total = sum(int(m["writes"]) for m in plan["members"])
        ctx.progress.phase("applying", total=total)
        for entry in plan["members"]:
            mid = int(entry["member_id"])
            if str(mid) in done:
                continue
            writes = {"removed": 0, "added": 0, "moved": 0}
            if entry["writes"]:
                writes = write_member(ctx, members[mid], providers[mid], list(entry["final"]))
            done[str(mid)] = writes
            ctx.save_checkpoint(applied=done)
        with session_scope(ctx.runtime.engine) as session:
            # a track a member refused is not held by it: never read as its removal
            held = {
                int(m["member_id"]): {
                    own: key
                    for own, key in m["held"].items()
                    if own not in (done.get(str(m["member_id"])) or {}).get("refused", {})
                }
                for m in plan["members"]
            }
            save_base(session, int(group.id), plan["order"], held, ctx.job_id)
    summary["applied"] = done
    return summary


def _refuse_concurrent(ctx: JobContext, group_id: int) -> None:
    """Two applying runs of one group would each merge against the same base:
    refuse while another holds a live lease (a killed one's lapses)."""
    from datetime import UTC, datetime

    from engine.store.models import Job, aware

    now = datetime.now(UTC)
    with ctx.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(Job.id, Job.params, Job.lease_until).where(
                Job.kind == "sync_group", Job.state == "running", Job.id != ctx.job_id
            )
        ).all()
    for row in rows:
        params = row.params or {}
        live = row.lease_until is not None and aware(row.lease_until) > now
        if live and int(params.get("group_id", 0)) == group_id and not params.get("dry_run", True):
            raise ConflictError(
                f"sync group {group_id} is being applied by job {row.id}; run it again when it ends"
            )


def _match_reviews(ctx: JobContext, group: SyncGroup, plan: dict[str, Any]) -> None:
    """One ``match`` item per member and track waiting for a person (the
    decision itself is on the Review page; the member gets it next run)."""
    from engine.store.group_reviews import close_decided_matches, record_match_review

    waiting: set[str] = set()
    with session_scope(ctx.runtime.engine) as session:
        for member in plan["members"]:
            for key, why in (member.get("review") or {}).items():
                item = record_match_review(
                    session, group.user_id, int(group.id), ctx.job_id, key, member["label"], why
                )
                waiting.add(str(item.detail["key"]))
        close_decided_matches(session, int(group.id), waiting)


def _guard_review(ctx: JobContext, group: SyncGroup, blocked: list[dict[str, Any]]) -> None:
    """Leave the guard hit where a person sees it (the Review page)."""
    from engine.store.group_reviews import record_guard_hit

    with session_scope(ctx.runtime.engine) as session:
        record_guard_hit(session, group, ctx.job_id, [m["label"] for m in blocked])
