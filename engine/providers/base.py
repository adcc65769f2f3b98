"""The one small interface every provider implements.

A provider module (``spotify.py``, ``deezer.py``, ``tidal.py``, ``youtube.py``)
holds one class that satisfies :class:`Provider`; it builds requests and maps
payloads to the canonical track frame (``engine.frame``), and does all HTTP
through the :class:`engine.http.types.ProviderHttp` it is given. The engine
reads :class:`Capabilities` instead of hard-coding provider numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol, runtime_checkable

import polars as pl

from engine.http.types import ProviderHttpConfig

Paging = Literal["offset", "index", "cursor", "page_token"]
IsrcLookup = Literal["none", "single", "batch", "search"]
QuotaModel = Literal["rolling_rate", "daily_units"]


@dataclass(frozen=True)
class Capabilities:
    """What a provider's API allows; every number comes from its documents."""

    max_playlist_size: int | None
    add_batch_max: int
    remove_batch_max: int
    page_size_max: int
    paging: Paging
    isrc_lookup: IsrcLookup
    isrc_batch_max: int
    search_limit_max: int
    quota: QuotaModel
    daily_quota_units: int | None = None
    method_costs: dict[str, int] = field(default_factory=dict)
    supports_reorder: bool = False
    supports_remove: bool = True
    supports_saved_albums: bool = False
    idempotency_keys: bool = False


@dataclass(frozen=True)
class UserInfo:
    id: str
    display_name: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class PlaylistInfo:
    id: str
    name: str
    owner_id: str | None = None
    track_count: int | None = None
    description: str | None = None
    owned: bool = True
    version: str | None = None  # snapshot_id / etag where the API has one
    url: str | None = None


@dataclass(frozen=True)
class AlbumInfo:
    id: str
    title: str
    artists: tuple[str, ...] = ()
    upc: str | None = None
    release_date: str | None = None
    track_count: int | None = None


class _Searches(Protocol):
    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame: ...


class _Reorders(Protocol):
    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None: ...


class ProviderDefaults:
    """Default implementations of the :class:`Provider` methods that can be
    written in terms of the others; provider classes inherit it and override
    what their API does better."""

    def search_many(self: _Searches, queries: Sequence[str], limit: int = 10) -> list[pl.DataFrame]:
        """One :meth:`Provider.search_tracks` per query, in order."""
        return [self.search_tracks(query, limit) for query in queries]

    def quota_used(self) -> int:
        """0: only providers with a unit quota (``daily_units``) count spending."""
        return 0

    def arrange(
        self: _Reorders, playlist_id: str, current: Sequence[str], wanted: Sequence[str]
    ) -> int:
        """Put a playlist holding ``current`` (the same ids as ``wanted``, once
        each) into ``wanted`` order with the fewest single moves; returns the
        number of moves. Providers whose API takes a whole order override it."""
        return arrange_by_moves(self, playlist_id, current, wanted)

    def ladder_query(self, rung: str, *, title: str, artist: str, album: str) -> str | None:
        """Free-text queries for the ladder's text rungs; no ``fielded`` rung
        (providers with documented field filters override this)."""
        return free_text_query(rung, title=title, artist=artist, album=album)


def free_text_query(rung: str, *, title: str, artist: str, album: str) -> str | None:
    """The plain-text query of a ladder rung (``engine.jobs.search_ladder``).

    >>> free_text_query("normalised", title="hey jude", artist="The Beatles", album="")
    'The Beatles hey jude'
    """
    if rung == "normalised":
        return f"{artist} {title}".strip() or None
    if rung == "title":
        return title or None
    if rung == "album":
        return f"{artist} {album}".strip() if album else None
    return None


def field_value(text: str) -> str:
    """A field filter value in double quotes (inner quotes dropped)."""
    return '"' + " ".join(text.replace('"', " ").split()) + '"'


def album_filter_query(*, artist: str, album: str) -> str:
    """The ``album`` rung as field filters, artist first when known.

    >>> album_filter_query(artist="The Beatles", album="Abbey Road")
    'artist:"The Beatles" album:"Abbey Road"'
    """
    parts = [f"album:{field_value(album)}"]
    if artist:
        parts.insert(0, f"artist:{field_value(artist)}")
    return " ".join(parts)


@runtime_checkable
class Provider(Protocol):
    """A streaming provider's catalogue and the current user's library."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    default_base_url: ClassVar[str]

    @classmethod
    def http_config(cls, base_url: str | None = None) -> ProviderHttpConfig:
        """How the shared HTTP stack must talk to this API (auth style, rate,
        response check); ``base_url`` defaults to the real API."""
        ...

    def current_user(self) -> UserInfo: ...

    def playlists(self) -> list[PlaylistInfo]:
        """Playlists the user owns or follows, all pages."""
        ...

    def playlist_items(self, playlist_id: str) -> pl.DataFrame:
        """A playlist's tracks in order, all pages, as a canonical frame."""
        ...

    def liked_tracks(self) -> pl.DataFrame:
        """The user's liked / saved tracks, as a canonical frame."""
        ...

    def saved_albums(self) -> list[AlbumInfo]:
        """Saved albums where the API has them; [] otherwise."""
        ...

    def lookup_isrcs(self, isrcs: Sequence[str]) -> pl.DataFrame:
        """Catalogue tracks for these ISRCs (several rows per ISRC allowed),
        batched to the API's maximum; canonical frame with ``isrc`` set."""
        ...

    def get_track(self, track_id: str) -> pl.DataFrame:
        """One catalogue track by its id (one request), as a one-row canonical
        frame; an empty frame when the provider does not know the id."""
        ...

    def search_tracks(self, query: str, limit: int = 10) -> pl.DataFrame:
        """Free-text track search, as a canonical frame ranked as the API ranks."""
        ...

    def search_many(self, queries: Sequence[str], limit: int = 10) -> list[pl.DataFrame]:
        """:meth:`search_tracks` of each query, in order (one frame per query).

        Providers whose search needs a second call per result set (YouTube's
        durations) batch that call across the queries; the others inherit
        :meth:`ProviderDefaults.search_many`."""
        ...

    def create_playlist(
        self, name: str, description: str = "", public: bool = False
    ) -> PlaylistInfo: ...

    def add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        """Append tracks in order, batched to ``capabilities.add_batch_max``."""
        ...

    def remove_items(self, playlist_id: str, track_ids: Sequence[str]) -> None: ...

    def reorder(
        self, playlist_id: str, range_start: int, insert_before: int, range_length: int = 1
    ) -> None:
        """Move items; raise UsageError where ``supports_reorder`` is False."""
        ...

    def arrange(self, playlist_id: str, current: Sequence[str], wanted: Sequence[str]) -> int:
        """Reorder a playlist holding ``current`` into ``wanted`` (same ids);
        returns the moves made (:meth:`ProviderDefaults.arrange`)."""
        ...

    def quota_used(self) -> int:
        """Quota units this client has spent (``daily_units`` providers); 0 otherwise."""
        ...

    def ladder_query(self, rung: str, *, title: str, artist: str, album: str) -> str | None:
        """The search query of one text rung of the query ladder (``fielded``,
        ``normalised``, ``title``, ``album``), or None where it does not apply."""
        ...


def playlist_track_ids(provider: Provider, playlist_id: str) -> list[str]:
    """The ids a provider playlist holds now, in order and with repeats."""
    return [str(i) for i in provider.playlist_items(playlist_id)["provider_id"].to_list()]


def arrange_by_moves(
    provider: _Reorders, playlist_id: str, current: Sequence[str], wanted: Sequence[str]
) -> int:
    """:meth:`ProviderDefaults.arrange` with positional moves: the items off the
    longest run already in order are moved one by one, simulated locally (no
    read between moves)."""
    from engine.diff import longest_increasing

    order = list(current)
    if sorted(order) != sorted(wanted) or len(set(order)) != len(order):
        raise ValueError("arrange needs the same ids, once each, on both sides")
    position = {item: i for i, item in enumerate(wanted)}
    stay = {order[i] for i in longest_increasing([position[i] for i in order])}
    moves = 0
    previous: str | None = None
    for item in wanted:
        if item not in stay:
            at = order.index(item)
            before = 0 if previous is None else order.index(previous) + 1
            if before not in (at, at + 1):
                provider.reorder(playlist_id, at, before)
                order.pop(at)
                order.insert(before if before < at else before - 1, item)
                moves += 1
        previous = item
    return moves
