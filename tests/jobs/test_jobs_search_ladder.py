"""The query ladder (engine.jobs.search_ladder): each rung, the budgets, the
trail in the report, and a resumed job that asks no query twice; against the
provider sandbox, with clients wired as in production."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from jobs_helpers import ensure_user, make_runtime
from test_jobs_migrate import store_playlist

from engine.demo import connect_sandbox_account
from engine.errors import ProviderUnavailableError
from engine.frame import tracks_frame
from engine.http.factory import HttpFactory
from engine.http.types import StaticToken
from engine.jobs import job_row, run_job, submit
from engine.jobs.plan import load_plan
from engine.jobs.search_ladder import Ladder, LadderBudget, MemoryStore, budget_for
from engine.matching import MatchConfig
from engine.providers import build_provider, provider_http_config
from engine.providers.base import Provider
from engine.samples import CATALOG, sample_path
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.catalog import CatalogTrack
from engine.sandbox.server import SandboxServer
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox.from_catalog(sample_path(CATALOG), config=SandboxConfig(deezer_quota=None))


@pytest.fixture
def factory(tmp_path: Path, sandbox: Sandbox) -> Iterator[HttpFactory]:
    settings = Settings(data_dir=tmp_path, sandbox_url=DEFAULT_ROOT, env="test")  # type: ignore[call-arg]
    made = HttpFactory(settings, transport=sandbox.transport(), cache_dir=tmp_path / "cache")
    yield made
    made.close()


def client(sandbox: Sandbox, factory: HttpFactory, name: str) -> Provider:
    settings = Settings(sandbox_url=DEFAULT_ROOT, env="test")  # type: ignore[call-arg]
    pair = sandbox.issue_token(name, "ladder-user")
    http = factory.session(
        provider_http_config(name, settings),
        user_key=f"{name}:ladder-user",
        token=StaticToken(pair.access_token),
    )
    return build_provider(name, http)


def track(sandbox: Sandbox, title: str) -> CatalogTrack:
    return next(t for t in sandbox.catalog.listing("spotify") if t.title == title)


def source_row(t: CatalogTrack, **changes: Any) -> dict[str, Any]:
    row = {
        "title": t.title,
        "artists": list(t.artists),
        "album": t.album,
        "duration_ms": t.duration_ms,
        "isrc": None,
    }
    row.update(changes)
    return row


def climb(
    provider: Provider, rows: list[dict[str, Any]], budget: LadderBudget | None = None
) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    source = tracks_frame(rows).with_columns(id=pl.int_range(pl.len()).cast(pl.Utf8))
    budget = budget or LadderBudget(5, 300)
    ladder = Ladder(provider, MemoryStore(), config=MatchConfig(), budget=budget)
    return ladder.run(source)


def searches(sandbox: Sandbox, provider: str, path: str) -> int:
    return sandbox.log.count(provider, "GET", path)


def test_isrc_rung_finds_it_in_one_request(sandbox: Sandbox, factory: HttpFactory) -> None:
    t = track(sandbox, "Jóga")
    before = searches(sandbox, "spotify", "/search")
    candidates, trails = climb(client(sandbox, factory, "spotify"), [source_row(t, isrc=t.isrc)])
    assert [s["rung"] for s in trails["0"]] == ["isrc"]
    assert trails["0"][0]["outcome"] == "auto"
    assert t.id_for("spotify") in candidates["id"].to_list()
    assert searches(sandbox, "spotify", "/search") - before == 1


def test_fielded_rung_uses_spotify_and_deezer_field_filters(
    sandbox: Sandbox, factory: HttpFactory
) -> None:
    t = track(sandbox, "Ace of Spades")
    for name, expected in (
        ("spotify", 'track:"Ace of Spades" artist:"Motörhead"'),
        ("deezer", 'artist:"Motörhead" track:"Ace of Spades"'),
    ):
        candidates, trails = climb(client(sandbox, factory, name), [source_row(t)])
        assert [(s["rung"], s["query"], s["outcome"]) for s in trails["0"]] == [
            ("fielded", expected, "auto")
        ]
        assert t.id_for(name) in candidates["id"].to_list()


def test_normalised_rung_after_a_remaster_suffix_and_feat(
    sandbox: Sandbox, factory: HttpFactory
) -> None:
    t = track(sandbox, "Ace of Spades")
    messy = source_row(t, title="Ace of Spades (feat. Lemmy) - 2011 Remaster")
    candidates, trails = climb(client(sandbox, factory, "spotify"), [messy])
    steps = trails["0"]
    assert [s["rung"] for s in steps] == ["fielded", "normalised"]
    assert steps[0]["found"] == 0 and steps[0]["outcome"] == "none"
    assert steps[1]["query"] == "Motörhead ace of spades"
    assert steps[1]["outcome"] in ("auto", "review")
    assert t.id_for("spotify") in candidates["id"].to_list()


def test_title_rung_when_the_artist_is_spelled_otherwise(
    sandbox: Sandbox, factory: HttpFactory
) -> None:
    t = track(sandbox, "Hoppípolla")
    row = source_row(t, artists=["The Sigur Ros Band"])
    candidates, trails = climb(client(sandbox, factory, "tidal"), [row])
    steps = trails["0"]
    assert [s["rung"] for s in steps] == ["normalised", "title"]  # TIDAL has no field filters
    assert steps[0]["found"] == 0 and steps[1]["query"] == "hoppipolla"
    assert t.id_for("tidal") in candidates["id"].to_list()


def test_album_rung_for_a_misspelt_title(sandbox: Sandbox, factory: HttpFactory) -> None:
    t = track(sandbox, "Alors on danse")
    row = source_row(t, title="Alors on dnase")
    candidates, trails = climb(client(sandbox, factory, "spotify"), [row])
    steps = trails["0"]
    assert [s["rung"] for s in steps] == ["fielded", "normalised", "title", "album"]
    assert [s["found"] for s in steps[:3]] == [0, 0, 0]
    assert steps[3]["query"] == 'artist:"Stromae" album:"Cheese"'
    assert steps[3]["outcome"] in ("auto", "review")
    assert t.id_for("spotify") in candidates["id"].to_list()


def test_deezer_fuzzy_search_finds_the_typo_at_once(sandbox: Sandbox, factory: HttpFactory) -> None:
    t = track(sandbox, "Alors on danse")
    _, trails = climb(client(sandbox, factory, "deezer"), [source_row(t, title="Alors on dnase")])
    assert [s["rung"] for s in trails["0"]] == ["fielded"]


def test_request_budget_stops_the_climb(sandbox: Sandbox, factory: HttpFactory) -> None:
    t = track(sandbox, "Alors on danse")
    before = searches(sandbox, "spotify", "/search")
    _, trails = climb(
        client(sandbox, factory, "spotify"),
        [source_row(t, title="Alors on dnase")],
        LadderBudget(requests_per_track=2),
    )
    assert [s["rung"] for s in trails["0"]] == ["fielded", "normalised"]
    assert searches(sandbox, "spotify", "/search") - before == 2


def test_youtube_unit_budget_and_settings(sandbox: Sandbox, factory: HttpFactory) -> None:
    youtube = client(sandbox, factory, "youtube")
    settings = Settings(ladder_youtube_units_per_track=100, ladder_requests_per_track=3)  # type: ignore[call-arg]
    budget = budget_for(youtube, settings)
    assert budget == LadderBudget(requests_per_track=3, units_per_track=100)
    assert budget_for(client(sandbox, factory, "spotify"), settings).units_per_track is None
    t = track(sandbox, "Alors on danse")
    before = searches(sandbox, "youtube", "/search")
    _, trails = climb(youtube, [source_row(t, title="Alors on dnase")], budget)
    assert [s["rung"] for s in trails["0"]] == ["normalised"]
    assert searches(sandbox, "youtube", "/search") - before == 1


def test_clean_library_costs_one_request_per_track(sandbox: Sandbox, factory: HttpFactory) -> None:
    tracks = [t for t in sandbox.catalog.listing("spotify") if "(" not in t.title][:40]
    rows = [source_row(t) for t in tracks]
    for name, path in (("spotify", "/search"), ("deezer", "/search"), ("tidal", "/searchResults")):
        before = searches(sandbox, name, path)
        candidates, _ = climb(client(sandbox, factory, name), rows)
        spent = searches(sandbox, name, path) - before
        assert spent <= len(rows) * 1.02, (name, spent)
        found = set(candidates["id"].to_list())
        assert sum(t.ids[name] in found for t in tracks if name in t.ids) >= 0.95 * len(tracks)


class Crashing:
    """A provider that dies (as a killed worker would) after ``left`` searches."""

    def __init__(self, inner: Provider, left: int) -> None:
        self.inner = inner
        self.left = left
        self.name = inner.name
        self.capabilities = inner.capabilities

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def search_many(self, queries: list[str], limit: int = 10) -> list[Any]:
        if self.left < len(queries):
            raise ProviderUnavailableError("worker killed", provider=self.name)
        self.left -= len(queries)
        return self.inner.search_many(queries, limit=limit)


def test_a_resumed_climb_asks_no_query_twice(sandbox: Sandbox, factory: HttpFactory) -> None:
    spotify = client(sandbox, factory, "spotify")
    picked = [track(sandbox, n) for n in ("Alors on danse", "Ace of Spades", "Jóga", "Despacito")]
    rows = [
        source_row(picked[0], title="Alors on dnase"),
        source_row(picked[1], title="Ace of Spades - 2011 Remaster"),
        source_row(picked[2]),
        source_row(picked[3], artists=["Fonsi"]),
    ]
    source = tracks_frame(rows).with_columns(id=pl.int_range(pl.len()).cast(pl.Utf8))
    fresh = Ladder(spotify, MemoryStore(), config=MatchConfig(), budget=LadderBudget(5))
    _, wanted = fresh.run(source)
    store = MemoryStore()
    before = searches(sandbox, "spotify", "/search")
    crashing = Crashing(spotify, left=5)
    with pytest.raises(ProviderUnavailableError):
        Ladder(crashing, store, config=MatchConfig(), budget=LadderBudget(5)).run(source)  # type: ignore[arg-type]
    assert 0 < len(store.results) <= 5
    _, resumed = Ladder(spotify, store, config=MatchConfig(), budget=LadderBudget(5)).run(source)
    assert resumed == wanted
    asked = {s["query"] for steps in resumed.values() for s in steps}
    # the cache is per client; count what reached the sandbox: each query once
    assert searches(sandbox, "spotify", "/search") - before <= len(asked)


class QuotaClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def test_migrate_report_shows_the_trail_and_resume_skips_queries(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A YouTube migration that needs three days of (tiny) quota climbs the
    ladder across the waits: no search is sent twice, and the report carries
    each track's queries."""
    clock = QuotaClock()
    config = SandboxConfig(youtube_daily_units=450, access_token_ttl_s=10 * 86400)
    sandbox = Sandbox.from_catalog(sample_path(CATALOG), config=config, clock=clock)
    picked = [track(sandbox, n) for n in ("Alors on danse", "Ace of Spades", "Jóga", "Despacito")]
    records = [
        source_row(picked[0], title="Alors on dnase"),
        source_row(picked[1], title="Motörhead - Ace of Spades (Official Video)", artists=[]),
        source_row(picked[2]),
        source_row(picked[3], artists=["Someone Else"]),
    ]
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "youtube")
        params = {
            "source": {"playlist_id": store_playlist(runtime, user, records)},
            "target_account_id": account,
            "report_dir": str(tmp_path),
            "review_policy": "best",
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        days = 0
        while run_job(runtime, job) == "waiting":
            clock.now += 86400
            days += 1
            assert days < 10
        row = job_row(runtime, job)
        assert row["state"] == "succeeded", row["error"]
        assert days >= 1
        plan = load_plan(runtime, job)
        asked = [q for r in plan for q in r["queries"].split(" | ") if q]
        distinct = {q.split(" -> ")[0] for q in asked}
        answered = [
            r
            for r in sandbox.log.records
            if r.provider == "youtube" and r.path.endswith("/search") and r.status == 200
        ]
        assert len(answered) == len(distinct)  # a refused (quotaExceeded) one is asked again
        by_title = {r["title"]: r for r in plan}
        assert by_title["Alors on dnase"]["queries"].startswith(
            "normalised: Stromae alors on dnase"
        )
        assert by_title["Motörhead - Ace of Spades (Official Video)"]["queries"].startswith(
            "normalised: motorhead ace of spades"
        )
        added = {r["target_id"] for r in plan if r["target_id"]}
        assert picked[1].id_for("youtube") in added and picked[2].id_for("youtube") in added
        with open(row["result"]["report"], newline="") as handle:
            report = {r["title"]: r for r in csv.DictReader(handle)}
        assert all("queries" in r for r in report.values())
        for title, r in report.items():
            assert r["queries"] == by_title[title]["queries"]
        runtime.close()


def test_titles_with_a_slash_migrate_to_tidal(sqlite_url: str, tmp_path: Path) -> None:
    """ "AC/DC" or "Funeral for a Friend / Love Lies Bleeding" used to make the
    TIDAL search path answer 404; the query now travels as filter[query]."""
    records = [
        {"title": "Back in Black", "artists": ["AC/DC"], "album": "Back in Black"},
        {
            "title": "Funeral for a Friend / Love Lies Bleeding",
            "artists": ["Elton John"],
            "album": "Goodbye Yellow Brick Road",
        },
        {"title": "Either/Or", "artists": ["Elliott Smith"], "album": "Either/Or"},
    ]
    sandbox = Sandbox.from_records(records)
    with SandboxServer(sandbox, port=0) as server:
        runtime = make_runtime(sqlite_url, tmp_path, sandbox_url=server.url)
        user = ensure_user(runtime)
        account = connect_sandbox_account(runtime, sandbox, user, "tidal")
        source = [
            {**r, "duration_ms": t.duration_ms}
            for r, t in zip(records, sandbox.catalog.tracks, strict=True)
        ]
        params = {
            "source": {"playlist_id": store_playlist(runtime, user, source)},
            "target_account_id": account,
            "report_dir": str(tmp_path),
        }
        job = submit(runtime, "migrate", params, user_id=user, start=False)
        assert run_job(runtime, job) == "succeeded", job_row(runtime, job)["error"]
        [playlist] = job_row(runtime, job)["result"]["target_playlists"]
        wanted = [t.id_for("tidal") for t in sandbox.catalog.tracks]
        assert sandbox.playlist_track_ids("tidal", playlist) == wanted
        assert sandbox.log.count("tidal", "GET", "/relationships/tracks") == 0
        runtime.close()
