"""Sync groups: create, list, pause, resume, delete, run, schedule, and the
items a group leaves for a person. Members name accounts and playlist ids
only; a playlist file is a CLI-only member (a request never names a server path)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from engine.api.deps import Caller, get_caller, get_runtime, get_session, require_flag
from engine.api.problems import problem_responses
from engine.jobs.group_runs import submit_run
from engine.jobs.group_schedule import parse_schedule, schedule_group
from engine.runtime import Runtime
from engine.store import group_reviews, sync_groups

router = APIRouter(
    prefix="/sync-groups",
    tags=["sync groups"],
    dependencies=[Depends(require_flag("feature.sync"))],
)

GroupId = Annotated[int, Path(ge=1, le=2**53)]
ItemId = Annotated[int, Path(ge=1, le=2**53)]
ProviderId = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberIn(_Body):
    kind: Literal["playlist", "liked"] = Field(description="playlist | liked (files: CLI only)")
    account_id: int = Field(ge=1, le=2**53)
    playlist_id: ProviderId | None = None

    @model_validator(mode="after")
    def _playlist_named(self) -> MemberIn:
        if self.kind == "playlist" and not self.playlist_id:
            raise ValueError("a playlist member needs playlist_id")
        if self.kind == "liked" and self.playlist_id:
            raise ValueError("a liked member takes no playlist_id")
        return self


class GroupIn(_Body):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")
    members: list[MemberIn] = Field(min_length=2, max_length=20)
    max_removal_share: float = Field(sync_groups.DEFAULT_REMOVAL_SHARE, ge=0.0, le=1.0)


class Member(BaseModel):
    id: int
    position: int
    kind: str
    account_id: int | None
    playlist_id: str | None
    path: str | None
    held: int


class Group(BaseModel):
    id: int
    name: str
    status: str = Field(description="active | paused")
    max_removal_share: float
    schedule: str | None = Field(description="every:<seconds> | cron:<expression> | null")
    next_run_at: str | None
    last_synced_at: str | None
    previewed: bool = Field(description="A dry run has shown the plan: runs may apply.")
    last_job_id: str | None
    tracks: int
    members: list[Member]


class RunIn(_Body):
    apply: bool = Field(False, description="Write the changes (default: a dry run).")
    confirm_removals: bool = Field(False, description="Go past the removal guard.")


class RunOut(BaseModel):
    job_id: str
    dry_run: bool


class ScheduleIn(_Body):
    every: str | None = Field(None, max_length=20, description="6h, 30m, 1d")
    cron: str | None = Field(None, max_length=100, description="'0 */6 * * *'")


class ReviewItem(BaseModel):
    id: int
    group_id: int
    kind: str = Field(description="removal_guard | match")
    job_id: str | None
    detail: dict[str, Any]
    created_at: str | None


class Resolution(_Body):
    resolution: Literal["confirmed", "dismissed"]


def _group(group: Any) -> Group:
    return Group.model_validate(sync_groups.describe(group))


@router.get("", response_model=list[Group], responses=problem_responses(401, 503))
def list_groups(
    caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> list[Group]:
    """The caller's sync groups with their members and schedules."""
    return [_group(g) for g in sync_groups.list_groups(session, caller.user_id)]


@router.post(
    "", response_model=Group, status_code=201, responses=problem_responses(401, 404, 409, 503)
)
def create_group(
    body: GroupIn, caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> Group:
    """A new group; members in precedence order (a later member decides a
    track two members moved). Nothing is read or written until a run."""
    group = sync_groups.create_group(
        session,
        caller.user_id,
        body.name,
        [m.model_dump() for m in body.members],
        max_removal_share=body.max_removal_share,
    )
    return _group(group)


@router.get("/reviews", response_model=list[ReviewItem], responses=problem_responses(401, 503))
def open_reviews(
    caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> list[ReviewItem]:
    """What the caller's groups left for a person (removal guards, review-level matches)."""
    return [ReviewItem.model_validate(i) for i in group_reviews.open_items(session, caller.user_id)]


@router.post(
    "/reviews/{item_id}", response_model=ReviewItem, responses=problem_responses(401, 404, 503)
)
def resolve_review(
    item_id: ItemId,
    body: Resolution,
    request: Request,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
    runtime: Runtime = Depends(get_runtime),
) -> ReviewItem:
    """Confirm a removal guard (the run is submitted again past it) or dismiss an item."""
    item = group_reviews.resolve_item(session, caller.user_id, item_id, body.resolution)
    detail: dict[str, Any] = {
        "id": int(item.id),
        "group_id": int(item.group_id),
        "kind": item.kind,
        "job_id": item.job_id,
        "detail": dict(item.detail or {}),
        "created_at": item.created_at.isoformat() if item.created_at else None,
    }
    if item.kind == "removal_guard" and body.resolution == "confirmed":
        session.commit()
        job = submit_run(
            runtime,
            caller.user_id,
            int(item.group_id),
            apply=True,
            confirm_removals=True,
            start=bool(request.app.state.start_jobs),
            local=False,
        )
        detail["detail"] = {**detail["detail"], "confirmed_job_id": job}
    return ReviewItem.model_validate(detail)


@router.get("/{group_id}", response_model=Group, responses=problem_responses(401, 404, 503))
def get_group(
    group_id: GroupId, caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> Group:
    return _group(sync_groups.get_group(session, caller.user_id, group_id))


@router.post("/{group_id}/pause", response_model=Group, responses=problem_responses(401, 404, 503))
def pause_group(
    group_id: GroupId, caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> Group:
    """Paused: its schedule skips slots until it is resumed."""
    return _group(sync_groups.set_status(session, caller.user_id, group_id, "paused"))


@router.post("/{group_id}/resume", response_model=Group, responses=problem_responses(401, 404, 503))
def resume_group(
    group_id: GroupId, caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> Group:
    return _group(sync_groups.set_status(session, caller.user_id, group_id, "active"))


@router.delete("/{group_id}", status_code=204, responses=problem_responses(401, 404, 503))
def delete_group(
    group_id: GroupId, caller: Caller = Depends(get_caller), session: Session = Depends(get_session)
) -> None:
    """Delete the group (the members' playlists stay as they are)."""
    sync_groups.delete_group(session, caller.user_id, group_id)


@router.post(
    "/{group_id}/runs",
    response_model=RunOut,
    status_code=202,
    responses=problem_responses(401, 404, 503),
)
def run_group(
    group_id: GroupId,
    body: RunIn,
    request: Request,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
    runtime: Runtime = Depends(get_runtime),
) -> RunOut:
    """Start a run (a dry run unless ``apply``); follow it at ``/jobs/{job_id}``.
    An applying run of a group never shown fails with the reason: dry-run first."""
    group = sync_groups.get_group(session, caller.user_id, group_id)
    job = submit_run(
        runtime,
        caller.user_id,
        int(group.id),
        apply=body.apply,
        confirm_removals=body.confirm_removals,
        start=bool(request.app.state.start_jobs),
        local=False,
    )
    return RunOut(job_id=job, dry_run=not body.apply)


@router.put(
    "/{group_id}/schedule", response_model=Group, responses=problem_responses(401, 404, 503)
)
def put_schedule(
    group_id: GroupId,
    body: ScheduleIn,
    caller: Caller = Depends(get_caller),
    session: Session = Depends(get_session),
    runtime: Runtime = Depends(get_runtime),
) -> Group:
    """Set the schedule (``every`` or ``cron``); an empty body removes it."""
    schedule = (
        None if body.every is None and body.cron is None else parse_schedule(body.every, body.cron)
    )
    group = sync_groups.get_group(session, caller.user_id, group_id)
    session.commit()
    schedule_group(runtime, caller.user_id, int(group.id), schedule)
    session.expire_all()
    return _group(sync_groups.get_group(session, caller.user_id, group_id))
