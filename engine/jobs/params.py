"""Typed parameters of every job kind, checked before anything is queued.

One pydantic model per kind (:data:`PARAM_MODELS`); the HTTP API, the CLI and
the app all submit through :func:`validate_params`, and the runner checks the
stored parameters once more before a job function sees them, so a job never
fails on a missing key.

Where a job reads or writes files depends on who submitted it:

- ``local`` (the CLI, run by someone who owns the machine): a source may be a
  ``{"file": path}``, ``export`` takes ``out``, ``migrate`` takes ``report_dir``;
- not local (the HTTP API, the app): a job names ids only. It reads files the
  caller uploaded (``{"upload_id": n}``) and writes into the caller's export
  area (``engine.userfiles``); any server path is refused, with the same error
  whether or not the path exists.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from engine.errors import InvalidParamsError

REVIEW_POLICY = Literal["wait", "skip", "best"]

Id = Annotated[int, Field(ge=1, le=2**53, strict=False)]
ProviderId = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")]
LocalPath = Annotated[str, Field(min_length=1, max_length=4096, pattern=r"^[^\x00]+$")]

NO_SERVER_PATHS = (
    "jobs submitted over the API or the app name ids, never server paths: "
    "read an uploaded file with {'upload_id': n} (POST /uploads); "
    "written files go to your exports (GET /exports)"
)


def _local_only(value: Any, info: ValidationInfo) -> Any:
    if value is not None and not (info.context or {}).get("local", False):
        raise ValueError(NO_SERVER_PATHS)
    return value


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlaylistSource(_Params):
    playlist_id: Id


class SnapshotSource(_Params):
    snapshot_id: Id


class UploadSource(_Params):
    upload_id: Id = Field(description="A file the caller uploaded (POST /uploads).")
    name: Name | None = None


class FileSource(_Params):
    """A playlist file on this machine: the CLI only."""

    file: LocalPath
    name: Name | None = None

    _check_file = field_validator("file")(_local_only)


class AccountSource(_Params):
    account_id: Id
    provider_playlist_id: ProviderId = Field(
        "liked", description="A playlist of the account, or 'liked'."
    )


SOURCE_KEYS = {
    "playlist_id": "playlist",
    "snapshot_id": "snapshot",
    "upload_id": "upload",
    "file": "file",
    "account_id": "account",
}


def _source_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return None
    tags = [tag for key, tag in SOURCE_KEYS.items() if key in value]
    return tags[0] if len(tags) == 1 else None


Source = Annotated[
    Annotated[PlaylistSource, Tag("playlist")]
    | Annotated[SnapshotSource, Tag("snapshot")]
    | Annotated[UploadSource, Tag("upload")]
    | Annotated[FileSource, Tag("file")]
    | Annotated[AccountSource, Tag("account")],
    Discriminator(
        _source_tag,
        custom_error_type="source",
        custom_error_message="source names exactly one of playlist_id, snapshot_id, "
        "upload_id, account_id (file: CLI only)",
    ),
]


class PullParams(_Params):
    account_id: Id
    playlists: list[ProviderId] | None = Field(None, max_length=10_000)
    liked: bool = False
    albums: bool = False


class MigrateParams(_Params):
    source: Source
    target_account_id: Id
    name: Name | None = None
    review_policy: REVIEW_POLICY = "wait"
    report_dir: LocalPath | None = Field(
        None, description="CLI only; otherwise the report becomes one of your exports."
    )
    target_playlist_id: ProviderId | None = Field(
        None,
        description="Complete this playlist of the target account (e.g. the one an earlier "
        "run of the same transfer made) instead of creating a new one.",
    )

    _check_report_dir = field_validator("report_dir")(_local_only)


class SyncParams(_Params):
    source: Source
    target_account_id: Id
    target_playlist_id: ProviderId
    dry_run: bool = True
    max_removals: int = Field(20, ge=0, le=1_000_000)
    review_policy: REVIEW_POLICY = "wait"


class ExportParams(_Params):
    out: LocalPath | None = Field(
        None, description="CLI only; otherwise the files become your exports."
    )
    playlists: list[Id] | None = Field(None, max_length=10_000)
    format: str | None = Field(None, min_length=1, max_length=16)
    lake: bool = False
    raw: bool = Field(False, description="CSV cells as they are (no formula guard).")

    _check_out = field_validator("out")(_local_only)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from engine import formats

        writable = sorted(n for n, f in formats.FORMATS.items() if f.encode is not None)
        if value not in writable:
            raise ValueError(f"unknown format {value!r}; one of {', '.join(writable)}")
        return value


class SnapshotGcParams(_Params):
    playlist_id: Id | None = None
    keep_last: int | None = Field(None, ge=1, le=100_000)
    keep_daily_days: int | None = Field(None, ge=0, le=100_000)
    dry_run: bool = False


PARAM_MODELS: dict[str, type[BaseModel]] = {
    "pull": PullParams,
    "migrate": MigrateParams,
    "sync": SyncParams,
    "export": ExportParams,
    "snapshot_gc": SnapshotGcParams,
}
"""Job kind -> its parameter model. ``engine.jobs.register_kind(..., params=Model)``
adds one; a kind without a model cannot be submitted over the API or the app."""


def register_params(kind: str, model: type[BaseModel]) -> None:
    PARAM_MODELS[kind] = model


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as the problem document's ``errors`` entries."""
    return [
        {
            "loc": ["params", *(str(part) for part in error.get("loc", ()))],
            "msg": _message(error),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors(include_url=False, include_input=False)
    ]


def _message(error: Any) -> str:
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ")


def validate_params(kind: str, params: dict[str, Any], *, local: bool) -> dict[str, Any]:
    """``params`` checked against the kind's model, as plain JSON (numbers as
    numbers, only the keys given). InvalidParamsError names every bad field."""
    model = PARAM_MODELS.get(kind)
    if model is None:
        if local:
            return params
        raise InvalidParamsError(
            f"job kind {kind!r} has no parameter model and cannot be submitted here",
            [{"loc": ["kind"], "msg": "no parameter model", "type": "kind"}],
        )
    try:
        checked = model.model_validate(params, context={"local": local})
    except ValidationError as exc:
        errors = field_errors(exc)
        first = errors[0]
        raise InvalidParamsError(
            f"{kind} job: {'.'.join(first['loc'])}: {first['msg']}", errors
        ) from None
    dumped: dict[str, Any] = checked.model_dump(mode="json", exclude_unset=True)
    return dumped


def upload_ids(params: dict[str, Any]) -> list[int]:
    """Upload ids a job's (validated) parameters name."""
    source = params.get("source")
    if isinstance(source, dict) and "upload_id" in source:
        return [int(source["upload_id"])]
    return []
