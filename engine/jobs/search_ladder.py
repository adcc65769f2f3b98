"""The query ladder: how a migration finds each source track on the target.

Rungs, cheapest and most precise first (:data:`RUNGS`):

``isrc``
    the provider's own ISRC lookup (Spotify ``isrc:`` in ``q``, Deezer
    ``track/isrc:``, TIDAL ``filter[isrc]``), batched as it allows;
``fielded``
    the title as given and the primary artist in the provider's documented
    field filters (Spotify ``track:``/``artist:``, Deezer's advanced search);
    providers without field filters skip it;
``normalised``
    the matcher's normalised title (version tags, brackets, ``feat.`` parts
    and "Artist - " prefixes removed, ``engine.matching.normalize_frame``)
    with the primary artist, as free text;
``title``
    the normalised title alone (for a row without artists, such as a video
    title, the whole title without its brackets);
``album``
    the primary artist and the album, for rows that name one.

The ladder runs in waves: one rung for every track still looking, then one
``match`` of those tracks against every candidate gathered so far; only the
tracks with nothing at review level or better climb to the next rung. A
clean library therefore costs one request per track. Each track has a budget
(:class:`LadderBudget`, from the typed settings): requests per track, and on
YouTube units per track, priced from the provider's ``method_costs``.

Every lookup and query is written to the job's candidate log as soon as it
returns (:class:`CandidateStore`), so a resumed job skips what it already
asked; each track's trail (rung, query, hits, outcome) goes into its plan row
and the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from engine.batching import chunks
from engine.frame import conform
from engine.jobs.isolation import isolated_lookups, isolated_lookups_by_id, isolated_searches
from engine.jobs.known_ids import known_target_ids
from engine.matching import MatchConfig, normalize_frame, score_pairs
from engine.providers.base import Provider

RUNGS = ("isrc", "fielded", "normalised", "title", "album")
"""Ladder rungs in the order they are tried."""

FOUND = ("auto", "review")
"""Decisions that stop the climb for a track."""

SEARCH_LIMIT = 5
"""Candidates asked for per search on the first text rungs."""

WIDE_LIMIT = 10
"""Candidates asked for on the wide rungs (title alone, artist + album), whose
results hold more unrelated tracks."""

WIDE_RUNGS = ("title", "album")

ALBUM_LIMIT = 20
"""Candidates asked for on the artist + album rung: a whole album's tracks where
one page holds them (Spotify's page maximum, 10, caps it there)."""

_BRACKETS = re.compile(r"[\(\[\{][^\)\]\}]*[\)\]\}]")

CANDIDATE_COLUMNS = [
    "title",
    "artists",
    "album",
    "duration_ms",
    "isrc",
    "explicit",
    "release_date",
    "provider",
    "provider_id",
    "url",
]
"""What a candidate keeps in the log (enough for the matcher)."""


@dataclass(frozen=True)
class LadderBudget:
    """How much one track may cost: requests, and on a unit-quota provider
    (YouTube) units priced from ``Capabilities.method_costs``."""

    requests_per_track: int = 5
    units_per_track: int | None = None


def budget_for(provider: Provider, settings: Any) -> LadderBudget:
    """The budget of ``provider`` under the typed settings."""
    units = None
    if provider.capabilities.quota == "daily_units":
        units = int(settings.ladder_youtube_units_per_track)
    return LadderBudget(int(settings.ladder_requests_per_track), units)


class CandidateStore(Protocol):
    """Where gathered candidates are kept: the job's log, or memory (a dry run)."""

    rows: list[dict[str, Any]]
    isrcs_done: set[str]
    results: dict[str, list[dict[str, Any]]]
    """Candidate rows of each text query asked."""

    def add(
        self,
        frame: pl.DataFrame,
        *,
        isrcs: list[str] | None = None,
        query: str | None = None,
        rung: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None: ...


@dataclass
class MemoryStore:
    """A :class:`CandidateStore` that forgets (dry runs, benchmarks)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    isrcs_done: set[str] = field(default_factory=set)
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(
        self,
        frame: pl.DataFrame,
        *,
        isrcs: list[str] | None = None,
        query: str | None = None,
        rung: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        rows = candidate_rows(frame)
        self.rows.extend(rows)
        if isrcs is not None:
            self.isrcs_done.update(isrcs)
        if query is not None:
            self.results[query] = rows


def candidate_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return conform(frame).select(CANDIDATE_COLUMNS).to_dicts()


def candidates_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Distinct candidates (``id`` = provider id), first seen first."""
    if not rows:
        frame = conform(pl.DataFrame())
    else:
        frame = conform(pl.DataFrame(rows, infer_schema_length=None))
    frame = frame.filter(pl.col("provider_id").is_not_null())
    return frame.with_columns(id=pl.col("provider_id")).unique("id", keep="first")


@dataclass(frozen=True)
class TrackTerms:
    """What the rungs build queries from, for one source track."""

    source_id: str
    title: str
    artist: str
    album: str
    n_title: str
    isrc: str | None
    credited: bool = True
    """Whether the row named its artists (a video title often does not)."""


def track_terms(source: pl.DataFrame) -> list[TrackTerms]:
    """One :class:`TrackTerms` per source row (``id`` as a string)."""
    normal = normalize_frame(source)
    terms = []
    for row in normal.iter_rows(named=True):
        artists = [a for a in row["artists"] or [] if a]
        artist = artists[0] if artists else (row["n_artist"] or "")
        title = (row["title"] or "").strip()
        n_title = row["n_title"] or row["n_title_base"] or ""
        isrc = (row["isrc"] or "").strip().upper() or None
        album = (row["album"] or "").strip()
        terms.append(TrackTerms(str(row["id"]), title, artist, album, n_title, isrc, bool(artists)))
    return terms


def rung_query(provider: Provider, rung: str, terms: TrackTerms) -> str | None:
    """The query of one text rung for one track, or None when it does not apply."""
    build = getattr(provider, "ladder_query", None)
    if build is None:
        return None
    title = terms.title if rung == "fielded" else terms.n_title
    if rung == "title" and not terms.credited:
        # No artist credit ("Artist - Song (Official Video)" from a video): the
        # whole title, brackets dropped, holds the artist; the normalised split
        # may have guessed the wrong half.
        title = " ".join(_BRACKETS.sub(" ", terms.title).split()) or title
    query = build(rung, title=title, artist=terms.artist, album=terms.album)
    return query.strip() if query and query.strip() else None


@dataclass
class Trail:
    """The rungs one track climbed: each query, its hits, and the outcome."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    spent_requests: int = 0
    spent_units: int = 0
    asked: set[str] = field(default_factory=set)
    own: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The candidates this track's own lookups and queries found, by provider id."""
    found_by_id: bool = False
    """The track named its target (a link, a known id) and the id lookup found it."""


class Ladder:
    """Climb the rungs for ``source`` on ``provider`` (see the module docstring)."""

    def __init__(
        self,
        provider: Provider,
        store: CandidateStore,
        *,
        config: MatchConfig,
        budget: LadderBudget,
        phase: Callable[[str, int, int], None] | None = None,
        advance: Callable[[int], None] | None = None,
    ) -> None:
        self.provider = provider
        self.store = store
        self.config = config
        self.budget = budget
        self._phase = phase or (lambda name, total, done: None)
        self._advance = advance or (lambda n: None)
        caps = provider.capabilities
        self._search_units = caps.method_costs.get("search.list", 0)
        self.requests = 0
        """Lookup and search calls this ladder sent (the store's answers excluded)."""

    def run(self, source: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, list[dict[str, Any]]]]:
        """Candidates (distinct, ``id`` = provider id) and each track's trail by source id."""
        terms = {t.source_id: t for t in track_terms(source.with_columns(pl.col("id").cast(str)))}
        trails = {sid: Trail() for sid in terms}
        looking = list(terms)
        asked_ids = self._ids_rung(source, trails, looking)
        if asked_ids:  # a track its own id found stops here, whatever the score
            looking = self._still_looking(source, looking, asked_ids, trails)
            looking = [sid for sid in looking if not trails[sid].found_by_id]
        for rung in RUNGS:
            if not looking:
                break
            asked = self._isrc_rung(terms, trails, looking) if rung == "isrc" else None
            if rung != "isrc":
                asked = self._text_rung(rung, terms, trails, looking)
            if not asked:
                continue
            looking = self._still_looking(source, looking, asked, trails)
        return candidates_frame(self.store.rows), {s: t.steps for s, t in trails.items()}

    # -- rungs ------------------------------------------------------------------------
    def _isrc_rung(
        self, terms: dict[str, TrackTerms], trails: dict[str, Trail], looking: list[str]
    ) -> list[str]:
        caps = self.provider.capabilities
        if caps.isrc_lookup == "none":
            return []
        wanted = [s for s in looking if terms[s].isrc]
        isrcs = sorted({str(terms[s].isrc) for s in wanted})
        if not isrcs:
            return []
        todo = [i for i in isrcs if i not in self.store.isrcs_done]
        self._phase("looking up ISRCs", len(isrcs), len(isrcs) - len(todo))
        batch = max(caps.isrc_batch_max, 1)
        for chunk in chunks(todo, batch * 10):
            for done, frame, errors in isolated_lookups(self.provider, chunk):
                self.store.add(frame, isrcs=done, rung="isrc", errors=errors)
                self.requests += -(-len(done) // batch)
            self._advance(len(chunk))
        hits: dict[str, list[dict[str, Any]]] = {}
        for row in self.store.rows:
            if row.get("isrc") and row.get("provider_id"):
                hits.setdefault(str(row["isrc"]).upper(), []).append(row)
        cost = 0 if caps.isrc_lookup == "batch" else 1
        for sid in wanted:
            isrc = str(terms[sid].isrc)
            trail = trails[sid]
            trail.spent_requests += cost
            found = hits.get(isrc, [])
            trail.own.update((str(r["provider_id"]), r) for r in found)
            trail.steps.append({"rung": "isrc", "query": f"isrc:{isrc}", "found": len(found)})
        return wanted

    def _ids_rung(
        self, source: pl.DataFrame, trails: dict[str, Trail], looking: list[str]
    ) -> list[str]:
        """Tracks that already name their target (an id, a link), looked up by id
        where the provider can (YouTube: 1 unit per 50 ids), before any search."""
        lookup = getattr(self.provider, "lookup_ids", None)
        if lookup is None:
            return []
        known = known_target_ids(
            source.with_columns(pl.col("id").cast(pl.Utf8)), self.provider.name
        )
        known = {sid: tid for sid, tid in known.items() if sid in looking}
        if not known:
            return []
        ids = sorted(set(known.values()))
        batches = list(chunks(ids, max(1, self.provider.capabilities.page_size_max)))
        self._phase("looking up known ids", len(ids), 0)
        for batch in batches:
            key = "ids:" + ",".join(batch)
            if key not in self.store.results:  # a resumed job does not ask again
                groups = isolated_lookups_by_id(lookup, batch)
                frame = pl.concat([found for _, found, _ in groups], how="diagonal_relaxed")
                errors = {k: v for _, _, failed in groups for k, v in failed.items()}
                self.store.add(frame, query=key, rung="ids", errors=errors or None)
                self.requests += 1
            self._advance(len(batch))
        rows: dict[str, dict[str, Any]] = {}
        for batch in batches:
            for row in self.store.results.get("ids:" + ",".join(batch), []):
                rows[str(row.get("provider_id"))] = row
        for sid, target_id in known.items():
            trail = trails[sid]
            hit = rows.get(target_id)
            if hit is not None:
                trail.own[target_id] = hit
                trail.found_by_id = True
            trail.steps.append({"rung": "ids", "query": f"id:{target_id}", "found": int(bool(hit))})
        return list(known)

    def _affordable(self, trail: Trail) -> bool:
        if trail.spent_requests + 1 > self.budget.requests_per_track:
            return False
        units = self.budget.units_per_track
        return units is None or trail.spent_units + self._search_units <= units

    def _text_rung(
        self, rung: str, terms: dict[str, TrackTerms], trails: dict[str, Trail], looking: list[str]
    ) -> list[str]:
        by_query: dict[str, list[str]] = {}
        for sid in looking:
            trail = trails[sid]
            query = rung_query(self.provider, rung, terms[sid])
            if query is None or query.casefold() in trail.asked or not self._affordable(trail):
                continue
            by_query.setdefault(query, []).append(sid)
        if not by_query:
            return []
        queries = list(by_query)
        todo = [q for q in queries if q not in self.store.results]
        self._phase(f"searching ({rung})", len(queries), len(queries) - len(todo))
        caps = self.provider.capabilities
        wanted = (
            ALBUM_LIMIT if rung == "album" else WIDE_LIMIT if rung in WIDE_RUNGS else SEARCH_LIMIT
        )
        limit = min(wanted, caps.search_limit_max)
        # Groups whose results fill one page of ids (YouTube then asks the
        # durations of all of them in one call), small enough that a quota stop
        # loses little; each result is logged as soon as its group returns.
        group = max(1, caps.page_size_max // limit)
        for chunk in chunks(todo, group):
            # one query's 404/400 marks that query, never the group (engine.jobs.isolation)
            found = isolated_searches(self.provider, chunk, limit)
            for query, (frame, error) in zip(chunk, found, strict=True):
                errors = {query: error} if error else None
                self.store.add(frame, query=query, rung=rung, errors=errors)
            self.requests += len(chunk)
            self._advance(len(chunk))
        asked = []
        for query, sids in by_query.items():
            hits = [r for r in self.store.results.get(query, []) if r.get("provider_id")]
            for sid in sids:
                trail = trails[sid]
                trail.asked.add(query.casefold())
                trail.spent_requests += 1
                trail.spent_units += self._search_units
                trail.own.update((str(r["provider_id"]), r) for r in hits)
                trail.steps.append({"rung": rung, "query": query, "found": len(hits)})
                asked.append(sid)
        return asked

    def _still_looking(
        self,
        source: pl.DataFrame,
        looking: list[str],
        asked: Sequence[str],
        trails: dict[str, Trail],
    ) -> list[str]:
        """Score each track still looking against the candidates its own queries
        found (``score_pairs``: another track's results never stop a climb);
        note the best tier on each asked track's last step; those with nothing
        at review level or better climb on."""
        rows = {str(r["id"]): r for r in source.with_columns(pl.col("id").cast(pl.Utf8)).to_dicts()}
        left: list[dict[str, Any]] = []
        right: list[dict[str, Any]] = []
        owners: list[str] = []
        for sid in looking:
            for candidate in trails[sid].own.values():
                left.append(rows[sid])
                right.append(candidate)
                owners.append(sid)
        best: dict[str, str] = {}
        if left:
            scored = score_pairs(
                conform(pl.DataFrame(left, infer_schema_length=None)),
                conform(pl.DataFrame(right, infer_schema_length=None)),
                self.config,
            )
            rank = {"auto": 0, "review": 1, "none": 2}
            for sid, decision in zip(owners, scored["decision"].to_list(), strict=True):
                decision = decision or "none"
                if rank[decision] < rank[best.get(sid, "none")]:
                    best[sid] = decision
        for sid in set(asked):
            trails[sid].steps[-1]["outcome"] = best.get(sid, "none")
        return [sid for sid in looking if best.get(sid, "none") not in FOUND]


def trail_text(steps: list[dict[str, Any]]) -> str:
    """One line for a report cell: ``rung: query -> hits (outcome)`` per step.

    >>> trail_text([{"rung": "title", "query": "hey jude", "found": 3, "outcome": "auto"}])
    'title: hey jude -> 3 (auto)'
    """
    parts = []
    for step in steps:
        outcome = f" ({step['outcome']})" if step.get("outcome") else ""
        parts.append(f"{step['rung']}: {step['query']} -> {step['found']}{outcome}")
    return " | ".join(parts)
