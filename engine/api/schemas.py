"""Request and response bodies of the HTTP API (pydantic, so OpenAPI documents them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from engine.store.models import aware

T = TypeVar("T")

MAX_PAGE = 500

Offset = Annotated[int, Query(ge=0, le=10**9)]
"""The ``offset`` query parameter of every paged list."""
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
"""The ``limit`` query parameter of every paged list."""


UtcDatetime = Annotated[datetime, AfterValidator(aware)]


class Page(BaseModel, Generic[T]):
    """One page of a longer list."""

    items: list[T]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)


class Account(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    provider: str
    display_name: str | None
    external_user_id: str | None
    status: str = Field(description="connected | needs_reconnect | disconnected")
    status_reason: str | None
    expires_at: UtcDatetime | None


class Playlist(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    source: str = Field(description="provider | file")
    provider: str | None
    provider_playlist_id: str | None
    kind: str
    description: str | None
    item_count: int = Field(0, description="Items shown (latest complete snapshot).")
    created_at: UtcDatetime


class PlaylistItem(BaseModel):
    position: int
    track_id: int
    title: str
    artists: list[str]
    album: str | None
    duration_ms: int | None
    isrc: str | None
    explicit: bool | None
    provider: str | None
    provider_id: str | None
    override: str | None = Field(description="'replace' when a curator swapped the track.")


ParamName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
ParamText = Annotated[str, Field(max_length=4096, pattern=r"^[^\x00]*$")]
ParamScalar = ParamText | int | Annotated[float, Field(allow_inf_nan=False)] | bool | None
ParamValue = ParamScalar | list[ParamScalar] | dict[ParamName, ParamScalar | list[ParamScalar]]


class JobRequest(BaseModel):
    """A job to start: its kind and its parameters, checked against the kind's
    model before anything is queued. Parameters name ids (accounts, playlists,
    snapshots) and uploads (``{"upload_id": n}``), never server paths, never
    tokens; written files become the caller's exports."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    params: dict[ParamName, ParamValue] = Field(default_factory=dict)


class Job(BaseModel):
    id: str
    kind: str
    state: str = Field(description="queued | running | waiting | succeeded | failed | cancelled")
    params: dict[str, Any]
    progress: dict[str, Any]
    result: dict[str, Any]
    error: str | None
    attempts: int
    created_at: str | None
    started_at: str | None
    finished_at: str | None


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    playlist_id: int = Field(ge=1, le=2**53)
    format: str = Field(
        "pif", min_length=1, max_length=16, description="pif, csv, m3u, xspf, jspf..."
    )
    raw: bool = Field(
        False,
        description="CSV cells exactly as they are, for programs; by default cells "
        "starting with = + - @ tab or CR get a leading ' (spreadsheet formula guard).",
    )


class Export(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    playlist_id: int | None
    job_id: str | None
    format: str
    size_bytes: int | None
    created_at: UtcDatetime
    download_url: str


class FileWarning(BaseModel):
    """One repair or dropped line while reading a file (``file:line: reason``)."""

    file: str
    line: int | None
    pointer: str | None = Field(None, description="JSON pointer, for JSON files.")
    reason: str


class Upload(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    filename: str
    format: str
    size_bytes: int
    tracks: int | None = Field(None, description="Tracks read (in the upload's answer).")
    warnings: list[FileWarning] = Field(
        default_factory=list,
        description="What the reader repaired or dropped (in the upload's answer).",
    )
    created_at: UtcDatetime


class Review(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source_track_id: int
    target_provider: str
    score: float | None
    tier: str | None
    candidates: list[dict[str, Any]]
    decided_at: UtcDatetime


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_track_id: str | None = Field(
        max_length=255, description="The chosen candidate, or null for 'not available'."
    )


class Decision(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    source_track_id: int
    target_provider: str
    target_track_id: str | None
    status: str = Field(description="matched | not_available | pending | reviewed")
    score: float | None
    tier: str | None
    decided_by: str
    decided_at: UtcDatetime
    undone_at: UtcDatetime | None


class Flag(BaseModel):
    name: str
    enabled: bool
    origin: str = Field(description="default | settings | database")
    description: str


class Health(BaseModel):
    status: str
