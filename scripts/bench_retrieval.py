"""Retrieval benchmark: does the migration's candidate gathering find the song?

A noisy source is generated (seeded) from real titles: the bundled sandbox
catalogue (``engine/samples``, 423 recordings, 340 of them real iTunes rows) or,
with ``--itunes PATH``, the iTunes side of the iTunes-Amazon benchmark
(``itunes_tracks.csv``, ~6,900 real rows) as the sandbox catalogue. Each source
row is a catalogue recording with one everyday blemish that keeps the recording
the same, in rotation: two neighbouring letters swapped, a remaster suffix,
``feat.`` in the title, the last title word dropped, the artist's first name
only, accents stripped, and YouTube-style video titles (``Artist - Title
(Official Video)`` and the like, no artist, no album). Rows carry no ISRC (a
text-only playlist file), so the text rungs do the work.

For each provider, the rows go through exactly what a migration's plan does
(``engine.jobs.search_ladder.Ladder`` over the production client and HTTP
stack against the in-process sandbox, then ``engine.matching.match`` and the
``skip`` review policy); printed per provider: retrieval recall (the true
target among the candidates), auto / review / none, auto and right (what a
``--review skip`` migration adds correctly), bulk ``match()`` of the same rows
against the whole catalogue as each provider's search presents it (auto and
right), requests per track and YouTube
units per track; then requests (and searches) per track on the clean
source (the same recordings, unblemished, no ISRC: the floor is one search per
track, plus on YouTube one ``videos.list`` per 50 found videos for durations).

Last, sandbox search latency on a catalogue of ``--latency-tracks`` (100,000)
tracks built from the same real titles: median and p95 per query of the index
(free text, Spotify fields, Deezer fuzzy) and of a whole in-process
``GET /search`` through the emulated Spotify API. Usage::

    .venv/bin/python scripts/bench_retrieval.py [--rows 120] [--seed 13]
        [--providers spotify,deezer,tidal,youtube] [--itunes PATH]
        [--latency-tracks 100000] [--latency-queries 2000] [--check]

``--check`` exits 1 when a target of issue 13 is missed (recall >= 0.98,
YouTube >= 0.95; clean <= 1.02 requests per track; median <= 5 ms).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import polars as pl
from unidecode import unidecode

from engine.frame import tracks_frame
from engine.http import HttpFactory, StaticToken
from engine.jobs.plan import decide
from engine.jobs.search_ladder import Ladder, MemoryStore, budget_for
from engine.matching import MatchConfig, match, normalize_frame
from engine.providers import build_provider, provider_http_config
from engine.providers.base import Provider
from engine.samples import CATALOG, sample_path
from engine.sandbox import DEFAULT_ROOT, Sandbox, base_urls
from engine.sandbox.catalog import Catalog, CatalogTrack, catalog_from_records
from engine.sandbox.search_index import field_query
from engine.sandbox.search_syntax import spotify_search
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings

PROVIDERS = ("spotify", "deezer", "tidal", "youtube")
CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "spotify": {"market": "GB"},
    "tidal": {"country": "GB"},
    "youtube": {"daily_quota": None},  # the bench counts units; it does not wait days
}
BLEMISHES = ("swap", "remaster", "feat", "truncate", "first_name", "accents", "video")
VIDEO_SUFFIXES = ("(Official Video)", "(Official Music Video)", "[Official Audio]", "(Lyrics)")
TARGETS = {"recall": 0.98, "recall_youtube": 0.95, "clean_requests": 1.02, "median_ms": 5.0}


# -- catalogue and source ---------------------------------------------------------------
def itunes_records(path: Path) -> list[dict[str, Any]]:
    """Catalogue rows from ``itunes_tracks.csv`` (title, artist, album, m:ss, date)."""
    records = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            title, artist = (row.get("Song_Name") or "").strip(), (row.get("Artist_Name") or "")
            if not title or not artist.strip():
                continue
            minutes, _, seconds = (row.get("Time") or "").partition(":")
            duration = (
                (int(minutes) * 60 + int(seconds)) * 1000
                if minutes.isdigit() and seconds.isdigit()
                else None
            )
            records.append(
                {
                    "title": title,
                    "artists": [a.strip() for a in artist.split(",") if a.strip()],
                    "album": (row.get("Album_Name") or "").strip() or None,
                    "duration_ms": duration,
                }
            )
    return records


def load_catalog(itunes: Path | None) -> Catalog:
    if itunes is None:
        return Sandbox.from_catalog(sample_path(CATALOG)).catalog
    return catalog_from_records(itunes_records(itunes))


def unambiguous(tracks: list[CatalogTrack]) -> list[CatalogTrack]:
    """Recordings whose normalised title + primary artist no other recording
    shares (a live or remaster sibling would make "the right one" a matter of
    taste, not of retrieval)."""
    frame = tracks_frame(
        [{"title": t.title, "artists": list(t.artists), "album": t.album} for t in tracks]
    )
    keys = normalize_frame(frame).select(pl.concat_str("n_title", "n_artist", separator="|"))
    counts = keys.to_series().value_counts()
    shared = set(counts.filter(pl.col("count") > 1).to_series(0).to_list())
    return [t for t, k in zip(tracks, keys.to_series().to_list(), strict=True) if k not in shared]


def _swap(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def blemish(track: CatalogTrack, kind: str, rng: random.Random) -> dict[str, Any]:
    """One source row: ``track`` with one everyday blemish of ``kind``."""
    title, artists, album = track.title, list(track.artists), track.album
    words = title.split()
    if kind == "swap":
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            i = rng.choice(long)
            words[i] = _swap(words[i], rng)
            title = " ".join(words)
        else:
            kind = "remaster"
    if kind == "remaster":
        title = f"{title} - {rng.choice(['2011', '2009', '2015'])} Remaster"
    elif kind == "feat":
        if len(artists) > 1 and "feat" not in title.casefold():
            title, artists = f"{title} (feat. {', '.join(artists[1:])})", artists[:1]
        else:
            title = f"{title} (Remastered)"
    elif kind == "truncate":
        title = " ".join(words[:-1]) if len(words) >= 3 else f"{title} (Radio Edit)"
    elif kind == "first_name":
        first = artists[0].split()
        artists[0] = first[0] if len(first) > 1 else artists[0].lower()
    elif kind == "accents":
        title, artists = unidecode(title), [unidecode(a) for a in artists]
        if title == track.title:
            title = title.lower()
    elif kind == "video":
        title = f"{', '.join(artists)} - {title} {rng.choice(VIDEO_SUFFIXES)}"
        artists, album = [], ""
    return {
        "title": title,
        "artists": artists,
        "album": album or None,
        "duration_ms": track.duration_ms + rng.choice((-1000, 0, 0, 1000)),
    }


def make_sources(
    catalog: Catalog, rows: int, seed: int
) -> tuple[list[CatalogTrack], list[dict[str, Any]], list[dict[str, Any]]]:
    """The sampled recordings, their noisy rows (blemishes in rotation) and clean rows."""
    rng = random.Random(seed)
    pool = unambiguous(catalog.listing("spotify"))
    picked = rng.sample(pool, min(rows, len(pool)))
    noisy = [blemish(t, BLEMISHES[i % len(BLEMISHES)], rng) for i, t in enumerate(picked)]
    clean = [
        {
            "title": t.title,
            "artists": list(t.artists),
            "album": t.album,
            "duration_ms": t.duration_ms,
        }
        for t in picked
    ]
    return picked, noisy, clean


def source_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return tracks_frame(rows).with_columns(id=pl.int_range(pl.len()).cast(pl.Utf8))


# -- one provider -------------------------------------------------------------------------
@dataclass
class Outcome:
    provider: str
    rows: int
    recall: float
    auto: int
    review: int
    none: int
    auto_right: int
    bulk_auto_right: int
    requests_per_track: float
    searches_per_track: float
    units_per_track: float
    clean_requests_per_track: float
    clean_searches_per_track: float
    clean_recall: float


@dataclass
class VirtualClock:
    """Seconds that pass only when the stack sleeps (its rate limits), shared by
    sandbox and stack, so the run takes CPU time only."""

    now: float = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@contextmanager
def clients(sandbox: Sandbox, folder: Path, clock: VirtualClock) -> Iterator[dict[str, Provider]]:
    """Production clients over a fresh HTTP stack (its own cache) on ``sandbox``."""
    settings = Settings(data_dir=folder, sandbox_url=DEFAULT_ROOT, env="test")
    factory = HttpFactory(
        settings,
        transport=sandbox.transport(),
        cache_dir=folder / "cache",
        sleep=clock.sleep,
        clock=clock,
        wall_clock=clock,
        shared_clock=clock,
    )
    made = {}
    try:
        for name in PROVIDERS:
            pair = sandbox.issue_token(name, "bench")
            http = factory.session(
                provider_http_config(name, settings),
                user_key=f"{name}:bench:{folder.name}",
                token=StaticToken(pair.access_token),
            )
            made[name] = build_provider(name, http, **CLIENT_OPTIONS.get(name, {}))
        yield made
    finally:
        factory.close()


def truths(catalog: Catalog, provider: str, picked: list[CatalogTrack]) -> list[set[str]]:
    """Every id of each recording on ``provider`` (Deezer lists some twice)."""
    listing = catalog.listing(provider)
    by_isrc: dict[str, set[str]] = {}
    for t in listing:
        if t.isrc:
            by_isrc.setdefault(t.isrc, set()).add(t.ids[provider])
    return [by_isrc.get(t.isrc or "", set()) | {t.ids[provider]} for t in picked]


SEARCH_PATHS = {
    "spotify": "/search",
    "deezer": "/search",
    "tidal": "/searchResults",
    "youtube": "/search",
}


def gather(
    provider: Provider, sandbox: Sandbox, source: pl.DataFrame, config: MatchConfig
) -> tuple[pl.DataFrame, int, int, int]:
    """Candidates, requests sent, of them searches, and units spent by the
    ladder for ``source``."""
    before = sandbox.log.count(provider.name)
    searches = sandbox.log.count(provider.name, "GET", SEARCH_PATHS[provider.name])
    units = provider.quota_used()
    ladder = Ladder(provider, MemoryStore(), config=config, budget=budget_for(provider, Settings()))
    candidates, _ = ladder.run(source)
    searched = sandbox.log.count(provider.name, "GET", SEARCH_PATHS[provider.name]) - searches
    spent = provider.quota_used() - units
    return candidates, sandbox.log.count(provider.name) - before, searched, spent


def catalogue_frame(name: str, catalog: Catalog) -> pl.DataFrame:
    """The whole catalogue as provider ``name``'s client reads it (YouTube:
    video titles and channel artists, no album), for bulk ``match()``."""
    if name == "youtube":
        from engine.providers.youtube import video_row

        rows = []
        for t in catalog.listing(name):
            artist = t.artists[0]
            snippet = {
                "title": f"{', '.join(t.artists)} - {t.title}",
                "channelTitle": f"{artist} - Topic",
            }
            row = video_row(t.ids[name], snippet)
            row["duration_ms"] = t.duration_ms // 1000 * 1000
            rows.append(row)
        return tracks_frame(rows).with_columns(id=pl.col("provider_id"))
    # As each search answers: Deezer's search results omit the ISRC
    # (endpoints-derived.json) and give whole seconds, TIDAL durations are ISO seconds.
    seconds = name in ("deezer", "tidal")
    return tracks_frame(
        [
            {
                "title": t.title,
                "artists": list(t.artists),
                "album": t.album,
                "duration_ms": t.duration_ms // 1000 * 1000 if seconds else t.duration_ms,
                "isrc": None if name == "deezer" else t.isrc,
                "provider": name,
                "provider_id": t.ids[name],
            }
            for t in catalog.listing(name)
        ]
    ).with_columns(id=pl.col("provider_id"))


def run_provider(
    name: str,
    catalog: Catalog,
    picked: list[CatalogTrack],
    noisy: list[dict[str, Any]],
    clean: list[dict[str, Any]],
    *,
    verbose: bool = False,
) -> Outcome:
    config = MatchConfig()
    clock = VirtualClock()
    sandbox = Sandbox(
        catalog, config=SandboxConfig(deezer_quota=None, youtube_daily_units=10**9), clock=clock
    )
    right = truths(catalog, name, picked)
    source = source_frame(noisy)
    with tempfile.TemporaryDirectory() as tmp:
        with clients(sandbox, Path(tmp) / "noisy", clock) as made:
            provider = made[name]
            candidates, requests, searches, units = gather(provider, sandbox, source, config)
            whole = catalogue_frame(name, catalog)
        with clients(sandbox, Path(tmp) / "clean", clock) as made:
            clean_candidates, clean_requests, clean_searches, _ = gather(
                made[name], sandbox, source_frame(clean), config
            )
    found = set(candidates["id"].to_list()) if candidates.height else set()
    recall = sum(bool(ids & found) for ids in right) / len(right)
    decided = decide(match(source, candidates, config=config), "skip")
    by_id = {r["source_id"]: r for r in decided.iter_rows(named=True)}
    tiers = [by_id[str(i)]["decision"] or "none" for i in range(len(noisy))]
    auto_right = sum(
        by_id[str(i)]["take"] in right[i] for i in range(len(noisy)) if tiers[i] == "auto"
    )
    bulk = match(source, whole, config=config)
    bulk_right = sum(
        r["decision"] == "auto" and r["catalog_id"] in right[int(r["source_id"])]
        for r in bulk.iter_rows(named=True)
    )
    if verbose:
        bulk_by = {r["source_id"]: r for r in bulk.iter_rows(named=True)}
        for i, row in enumerate(noisy):
            b = bulk_by[str(i)]
            if b["decision"] == "auto" and b["catalog_id"] in right[i] and tiers[i] != "auto":
                print(f"  {name}: bulk auto-right, ladder {tiers[i]}: {row['title']!r}")
        for i, row in enumerate(noisy):
            ok = bool(right[i] & found)
            if not ok or tiers[i] != "auto" or by_id[str(i)]["take"] not in right[i]:
                print(
                    f"  {name}: {row['title']!r} {row['artists']} -> {tiers[i]} "
                    f"retrieved={ok} picked={by_id[str(i)]['catalog_id']} want={sorted(right[i])}"
                )
    clean_found = set(clean_candidates["id"].to_list()) if clean_candidates.height else set()
    clean_recall = sum(bool(ids & clean_found) for ids in right) / len(right)
    rows = len(noisy)
    return Outcome(
        provider=name,
        rows=rows,
        recall=recall,
        auto=tiers.count("auto"),
        review=tiers.count("review"),
        none=tiers.count("none"),
        auto_right=auto_right,
        bulk_auto_right=bulk_right,
        requests_per_track=requests / rows,
        searches_per_track=searches / rows,
        units_per_track=units / rows,
        clean_requests_per_track=clean_requests / rows,
        clean_searches_per_track=clean_searches / rows,
        clean_recall=clean_recall,
    )


# -- latency ------------------------------------------------------------------------------
def latency_catalog(catalog: Catalog, size: int, seed: int) -> Catalog:
    """``size`` tracks mixing the real titles, artists and albums of ``catalog``."""
    rng = random.Random(seed)
    base = catalog.listing("spotify")
    titles = [t.title for t in base]
    artists = sorted({a for t in base for a in t.artists})
    albums = sorted({t.album for t in base})
    records = []
    for i in range(size):
        title = rng.choice(titles)
        if i >= len(base):  # vary the title so most tracks are distinct recordings
            title = f"{title} {rng.choice(titles).split()[0]}"
        records.append(
            {
                "title": title,
                "artists": [rng.choice(artists)],
                "album": rng.choice(albums),
                "duration_ms": 150_000 + rng.randrange(150_000),
            }
        )
    return catalog_from_records(records)


def _median_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def latency(catalog: Catalog, size: int, queries: int, seed: int) -> dict[str, tuple[float, float]]:
    started = time.perf_counter()
    big = latency_catalog(catalog, size, seed)
    built = time.perf_counter()
    index = big.index("spotify")
    indexed = time.perf_counter()
    big.index("deezer")
    print(
        f"latency catalogue: {len(big):,} tracks built in {built - started:.1f} s, "
        f"Spotify index in {indexed - built:.1f} s"
    )
    rng = random.Random(seed + 1)
    picks = [rng.choice(index.tracks) for _ in range(queries)]
    results: dict[str, tuple[float, float]] = {}

    def timed(label: str, run: Any) -> None:
        samples = []
        for track in picks:
            t0 = time.perf_counter()
            run(track)
            samples.append((time.perf_counter() - t0) * 1000)
        results[label] = _median_p95(samples)

    timed(
        "free text (artist + title)", lambda t: big.search("spotify", f"{t.artists[0]} {t.title}")
    )
    timed("title alone", lambda t: big.search("spotify", t.title))
    timed(
        "Spotify track:/artist:",
        lambda t: spotify_search(big, "spotify", f'track:"{t.title}" artist:"{t.artists[0]}"'),
    )
    timed(
        "Deezer fuzzy",
        lambda t: big.search_fields(
            "deezer", field_query([], {"artist": t.artists[0], "title": t.title}), fuzzy=True
        ),
    )
    sandbox = Sandbox(big)
    url = base_urls()["spotify"]["api"] + "/search"
    headers = {"Authorization": "Bearer " + sandbox.issue_token("spotify", "bench").access_token}
    with httpx.Client(transport=sandbox.transport()) as client:
        timed(
            "GET /search in-process (Spotify)",
            lambda t: client.get(
                url,
                params={"q": f"{t.artists[0]} {t.title}", "type": "track", "limit": 10},
                headers=headers,
            ).raise_for_status(),
        )
    return results


# -- main -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--providers", default=",".join(PROVIDERS))
    parser.add_argument("--itunes", type=Path, default=None, help="path to itunes_tracks.csv")
    parser.add_argument("--latency-tracks", type=int, default=100_000)
    parser.add_argument("--latency-queries", type=int, default=2000)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--verbose", action="store_true", help="print each row not added right")
    args = parser.parse_args(argv)
    catalog = load_catalog(args.itunes)
    picked, noisy, clean = make_sources(catalog, args.rows, args.seed)
    print(
        f"catalogue: {len(catalog):,} recordings ({args.itunes or 'engine/samples'}); "
        f"noisy source: {len(noisy)} rows, blemishes {', '.join(BLEMISHES)} in rotation"
    )
    header = (
        f"{'provider':<9}{'recall':>8}{'auto':>6}{'review':>8}{'none':>6}{'auto ok':>9}"
        f"{'bulk ok':>9}{'req/trk':>9}{'search/trk':>12}{'units/trk':>11}"
        f"{'clean req/trk':>15}{'clean search/trk':>18}{'clean recall':>14}"
    )
    print(header)
    missed = []
    for name in [p.strip() for p in args.providers.split(",") if p.strip()]:
        o = run_provider(name, catalog, picked, noisy, clean, verbose=args.verbose)
        print(
            f"{o.provider:<9}{o.recall:>8.3f}{o.auto:>6}{o.review:>8}{o.none:>6}"
            f"{o.auto_right:>9}{o.bulk_auto_right:>9}{o.requests_per_track:>9.2f}"
            f"{o.searches_per_track:>12.2f}"
            f"{o.units_per_track:>11.1f}{o.clean_requests_per_track:>15.3f}"
            f"{o.clean_searches_per_track:>18.3f}{o.clean_recall:>14.3f}"
        )
        floor = TARGETS["recall_youtube" if name == "youtube" else "recall"]
        if o.recall < floor:
            missed.append(f"{name} recall {o.recall:.3f} < {floor}")
        # YouTube's floor also holds one videos.list (durations) per 50 found ids
        if o.clean_searches_per_track > TARGETS["clean_requests"]:
            missed.append(f"{name} clean searches/track {o.clean_searches_per_track:.3f}")
        if o.auto_right < o.bulk_auto_right:
            missed.append(f"{name}: ladder auto-right {o.auto_right} < bulk {o.bulk_auto_right}")
        if o.auto_right < 0.9 * o.rows:
            missed.append(f"{name}: ladder auto-right {o.auto_right} < 90% of {o.rows}")
    if args.latency_tracks:
        print(f"\nsandbox search latency, {args.latency_queries} queries (ms)")
        for label, (median, p95) in latency(
            catalog, args.latency_tracks, args.latency_queries, args.seed
        ).items():
            print(f"  {label:<36} median {median:7.3f}   p95 {p95:7.3f}")
            if median > TARGETS["median_ms"]:
                missed.append(f"{label} median {median:.2f} ms > {TARGETS['median_ms']} ms")
    if missed:
        print("\nmissed: " + "; ".join(missed))
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
