"""What a migration will cost on a provider with a daily unit quota (YouTube),
said before anything starts: units needed and days at the account's quota.

The default 10,000 units a day buy about 100 searches (``search.list``: 100
units), so a 400-track migration to YouTube takes days; the job waits for each
reset and resumes by itself. Tracks that already name their video (a link, a
known id) cost a 1-unit ``videos.list`` per 50 and are looked up first
(``engine.jobs.known_ids``); identical rows are searched once.

>>> # estimate_quota(caps, "youtube", frame, settings).message()
>>> # 'youtube: about 42,350 quota units (at most 82,350): 5 day(s) at 10,000 a day ...'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from engine.jobs.duplicates import source_key
from engine.jobs.known_ids import known_target_ids
from engine.jobs.search_ladder import SEARCH_LIMIT

if TYPE_CHECKING:
    from engine.providers.base import Capabilities
    from engine.runtime import Runtime
    from engine.settings import Settings


@dataclass(frozen=True)
class QuotaEstimate:
    """Units a migration needs on a daily-quota provider, and the days that makes."""

    provider: str
    tracks: int
    known_ids: int
    """Tracks resolved by id (1 unit per 50) before any search."""
    searches: int
    """Distinct tracks that need a search (100 units each, more if they climb rungs)."""
    units: int
    """Units at least: one search per searched track, every add, every playlist."""
    units_most: int
    """Units at most: every searched track climbing to its per-track budget."""
    daily_quota: int
    days: int
    days_most: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def message(self) -> str:
        known = (
            f"; {self.known_ids} with a known id first, at 1 unit per 50" if self.known_ids else ""
        )
        return (
            f"{self.provider}: about {self.units:,} quota units (at most {self.units_most:,}) "
            f"for {self.tracks} track(s): {self.days} day(s) at {self.daily_quota:,} a day "
            f"(at most {self.days_most}); {self.searches} search(es) at "
            f"100 units{known}. The job waits for each daily reset and resumes by itself."
        )


def estimate_quota(
    caps: Capabilities, provider: str, source: pl.DataFrame, settings: Settings
) -> QuotaEstimate | None:
    """The estimate for migrating ``source`` (a canonical frame) to ``provider``;
    None when the provider has no daily unit quota."""
    if caps.quota != "daily_units" or not caps.daily_quota_units:
        return None
    costs = caps.method_costs
    search, lookup = costs.get("search.list", 100), costs.get("videos.list", 1)
    insert, create = costs.get("playlistItems.insert", 50), costs.get("playlists.insert", 50)
    frame = source.with_columns(pl.col("id").cast(pl.Utf8))
    known = known_target_ids(frame, provider)
    rest = frame.filter(~pl.col("id").is_in(list(known)))
    searches = rest.select(source_key().n_unique()).item() if rest.height else 0
    page = max(1, caps.page_size_max)
    limit = min(SEARCH_LIMIT, caps.search_limit_max)
    durations = math.ceil(searches * limit / page) * lookup  # one videos.list per 50 results
    adds = frame.select(source_key().n_unique()).item() if frame.height else 0
    parts = max(1, math.ceil(adds / caps.max_playlist_size)) if caps.max_playlist_size else 1
    fixed = math.ceil(len(set(known.values())) / page) * lookup + adds * insert + parts * create
    units = fixed + searches * search + durations
    rungs = max(1, settings.ladder_youtube_units_per_track // max(1, search))
    units_most = fixed + rungs * (searches * search + durations)
    daily = int(caps.daily_quota_units)
    return QuotaEstimate(
        provider=provider,
        tracks=frame.height,
        known_ids=len(known),
        searches=int(searches),
        units=int(units),
        units_most=int(units_most),
        daily_quota=daily,
        days=max(1, math.ceil(units / daily)),
        days_most=max(1, math.ceil(units_most / daily)),
    )


def estimate_for_account(
    runtime: Runtime, user_id: int | None, account_id: int, source: pl.DataFrame
) -> QuotaEstimate | None:
    """:func:`estimate_quota` for one of the user's accounts, without any request."""
    from sqlalchemy.orm import Session

    from engine.errors import NotFoundError
    from engine.providers import provider_class
    from engine.store.models import ProviderAccount

    with Session(runtime.engine) as session:
        account = session.get(ProviderAccount, account_id)
        if account is None or (user_id is not None and account.user_id != user_id):
            raise NotFoundError(f"no provider account {account_id}")
        name = account.provider
    caps = provider_class(name).capabilities
    return estimate_quota(caps, name, source, runtime.settings)
