"""One bad track never sinks a job: per-track errors versus systemic ones.

A 404 or 400 on one search, one ISRC lookup or one add concerns that track
alone: the job marks the track with a reason (in its plan and its report) and
goes on. Everything else that reaches the runner is systemic and fails the job
(or makes it wait), and the runner says which (:func:`systemic_reason`).

>>> is_track_error(NotFoundError("tidal: not found"))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import select

from engine.errors import (
    AuthError,
    CircuitOpenError,
    NotFoundError,
    ProviderError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitedError,
)
from engine.frame import conform
from engine.store.models import JobRecord

if TYPE_CHECKING:
    from engine.providers.base import Provider
    from engine.runtime import Runtime

TRACK_ERROR_KINDS = frozenset({"not-found", "bad-request"})
"""Error kinds that concern the one track a request was about (HTTP 404, 400)."""


def is_track_error(exc: BaseException) -> bool:
    """True for an error about one track (a 404 or 400 answer), never for
    auth, quota, rate limits, breakers or a full playlist."""
    if isinstance(exc, NotFoundError):
        return True
    return isinstance(exc, ProviderError) and exc.kind in TRACK_ERROR_KINDS


def reason(exc: BaseException) -> str:
    """``kind: message``, as a report shows it."""
    return f"{getattr(exc, 'kind', type(exc).__name__)}: {exc}"


def systemic_reason(exc: BaseException) -> str | None:
    """What makes a failure systemic, in the words a user reads (None when the
    error is not one of the systemic kinds: bad input, a bug)."""
    if isinstance(exc, AuthError):
        return "auth revoked or rejected: reconnect the account"
    if isinstance(exc, QuotaExceededError):
        return "quota spent with no reset time"
    if isinstance(exc, CircuitOpenError):
        return "circuit breaker open past its retry budget"
    if isinstance(exc, ProviderUnavailableError):
        return "provider unavailable past its retry budget"
    if isinstance(exc, RateLimitedError):
        return "rate limited past its retry budget"
    return None


def isolated_lookups(
    provider: Provider, isrcs: Sequence[str]
) -> list[tuple[list[str], pl.DataFrame, dict[str, str]]]:
    """ISRC lookups of ``isrcs`` as (isrcs, found, errors) groups: one batch,
    or, when the batch fails on a per-track error, one lookup per ISRC with the
    failing ones' reasons (keyed ``isrc:<ISRC>``). Systemic errors propagate."""
    try:
        return [(list(isrcs), provider.lookup_isrcs(isrcs), {})]
    except Exception as exc:
        if not is_track_error(exc):
            raise
    out: list[tuple[list[str], pl.DataFrame, dict[str, str]]] = []
    for isrc in isrcs:
        try:
            out.append(([isrc], provider.lookup_isrcs([isrc]), {}))
        except Exception as exc:
            if not is_track_error(exc):
                raise
            out.append(([isrc], empty_tracks(), {f"isrc:{isrc}": reason(exc)}))
    return out


def isolated_lookups_by_id(
    lookup: Callable[[Sequence[str]], pl.DataFrame], ids: Sequence[str]
) -> list[tuple[list[str], pl.DataFrame, dict[str, str]]]:
    """Id lookups as (ids, found, errors) groups, like :func:`isolated_lookups`
    (errors keyed ``id:<id>``)."""
    try:
        return [(list(ids), lookup(ids), {})]
    except Exception as exc:
        if not is_track_error(exc):
            raise
    out: list[tuple[list[str], pl.DataFrame, dict[str, str]]] = []
    for one in ids:
        try:
            out.append(([one], lookup([one]), {}))
        except Exception as exc:
            if not is_track_error(exc):
                raise
            out.append(([one], empty_tracks(), {f"id:{one}": reason(exc)}))
    return out


def isolated_searches(
    provider: Provider, queries: Sequence[str], limit: int
) -> list[tuple[pl.DataFrame, str | None]]:
    """``search_many(queries)`` as (found, error) per query; when the batch
    fails on a per-track error, one search per query, the failing ones with
    their reason and nothing found. Systemic errors propagate."""
    try:
        return [(found, None) for found in provider.search_many(queries, limit=limit)]
    except Exception as exc:
        if not is_track_error(exc):
            raise
    out: list[tuple[pl.DataFrame, str | None]] = []
    for query in queries:
        try:
            out.append((provider.search_tracks(query, limit), None))
        except Exception as exc:
            if not is_track_error(exc):
                raise
            out.append((empty_tracks(), reason(exc)))
    return out


def track_errors(runtime: Runtime, job_id: str) -> dict[str, str]:
    """Per-track lookup and search errors so far (query or ``isrc:<ISRC>`` -> reason)."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(JobRecord.data).where(JobRecord.job_id == job_id, JobRecord.kind == "candidates")
        ).all()
    errors: dict[str, str] = {}
    for row in rows:
        errors.update(row.data.get("errors") or {})
    return errors


def search_failure(errors: dict[str, str], steps: list[dict[str, Any]]) -> str | None:
    """Why a track was not found when one of its lookups or searches failed
    (``steps``: its query trail, ``isrc:<ISRC>`` for the lookup)."""
    failed = [errors[step["query"]] for step in steps if step.get("query") in errors]
    return f"search failed: {failed[-1]}" if failed else None


def empty_tracks() -> pl.DataFrame:
    """A canonical track frame with no rows (what a failed search found)."""
    return conform(pl.DataFrame())
