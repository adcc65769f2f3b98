"""Provider benchmark: the whole HTTP stack against the in-process sandbox.

For each provider: look up N tracks that carry ISRCs (YouTube: one text search
per track, it has no ISRC lookup, and one ``videos.list`` per 50 found videos
for their durations), create a playlist and add them all, then

1. compare the HTTP requests made with the floor for that provider: the
   lookups its API forces (one per ISRC, or one per ``isrc_batch_max`` ISRCs plus
   any extra result pages), one create, and ``ceil(N / add_batch_max)`` adds;
2. do the same work again with the same factory: the lookups must all come from
   the cache (zero new lookup requests);
3. do it once more on a fresh sandbox injecting faults into a share of requests
   (429 with and without Retry-After, 500/502/503, timeouts, dropped
   connections; Deezer also its code-4 quota errors): every track must arrive
   exactly once and in order;
4. force consecutive 500s: the breaker must open after ``breaker_fail_max``
   failures, fail fast without sending, and close after a successful probe;

and print what one request costs through the stack against bare httpx.

Time is virtual (sandbox and stack share a clock that moves when the stack
sleeps) except for the breaker's reset timeout, which pybreaker measures on
the wall clock; so the run takes well under a minute. Usage::

    .venv/bin/python scripts/bench_providers.py [--tracks 1000] [--fault-rate 0.1]
        [--providers spotify,deezer,tidal,youtube] [--redis redis://...] [--check]
        [--no-overhead]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from engine.errors import CircuitOpenError, CrossfadeError
from engine.http import HttpFactory, StaticToken
from engine.providers import build_provider, provider_class, provider_http_config
from engine.providers.base import Provider
from engine.providers.youtube import YouTube
from engine.sandbox import DEFAULT_ROOT, Sandbox
from engine.sandbox.faults import TRANSIENT_KINDS
from engine.sandbox.state import SandboxConfig
from engine.settings import Settings

T = TypeVar("T")

TARGET_OVER_FLOOR = 0.02
CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "spotify": {"market": "GB"},
    "tidal": {"country": "GB"},
    "youtube": {"daily_quota": None},  # 1,000 tracks cost ~15 days of real quota
}


@dataclass
class VirtualClock:
    """Seconds that pass only when someone sleeps; shared by sandbox and stack."""

    now: float = field(default_factory=time.time)
    slept: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        self.slept += max(0.0, seconds)


def catalogue(count: int) -> list[dict[str, Any]]:
    """``count`` distinct tracks, each with an ISRC and a title unique in its words."""
    return [
        {
            "title": f"Benchmark k{i:05d} Song",
            "artists": [f"Bench Artist {i % 97}"],
            "album": f"Bench Album {i % 211}",
            "isrc": f"QZBEN26{i:05d}",
            "duration_ms": 150_000 + (i * 7919) % 120_000,
            "release_date": "2024-05-17",
        }
        for i in range(count)
    ]


@dataclass
class World:
    sandbox: Sandbox
    factory: HttpFactory
    clock: VirtualClock
    settings: Settings
    run_id: str

    def client(self, name: str) -> Provider:
        pair = self.sandbox.issue_token(name)
        http = self.factory.session(
            provider_http_config(name, self.settings),
            user_key=f"{name}:{pair.user_id}:{self.run_id}",  # no cache from earlier runs
            token=StaticToken(pair.access_token),
        )
        return build_provider(name, http, **CLIENT_OPTIONS.get(name, {}))

    def requests(self, name: str) -> int:
        return int(self.factory.counters(name)["requests"])

    def close(self) -> None:
        self.factory.close()
        if self.factory.redis is not None:
            self.factory.redis.close()


def make_world(
    name: str,
    records: list[dict[str, Any]],
    args: argparse.Namespace,
    workdir: Path,
    seed: int,
    clock: VirtualClock,
) -> World:
    """A fresh sandbox and HTTP factory; ``clock`` only moves forward, so state
    shared through Redis (the token bucket) stays consistent between worlds."""
    config = SandboxConfig(youtube_daily_units=None)
    sandbox = Sandbox.from_records(records, config=config, seed=seed, clock=clock)
    settings = Settings(
        env="test",
        data_dir=workdir,
        sandbox_url=DEFAULT_ROOT,
        breaker_reset_s=args.breaker_reset,
        REDIS_URL=args.redis,
    )
    redis = None
    if args.redis:
        from redis import Redis

        redis = Redis.from_url(args.redis)
    factory = HttpFactory(
        settings,
        redis=redis,
        transport=sandbox.transport(),
        cache_dir=workdir / f"http-cache-{seed}",
        sleep=clock.sleep,
        clock=clock,
        wall_clock=clock,
        shared_clock=clock,
    )
    factory.reset_counters(name)
    factory.breaker(name).reset()
    return World(sandbox, factory, clock, settings, uuid.uuid4().hex)


# -- the work ---------------------------------------------------------------------------


def lookup(client: Provider, name: str, records: Sequence[dict[str, Any]]) -> list[str | None]:
    """One provider id per record (None when not found), in the records' order."""
    if name == "youtube":
        queries = [f"{record['title']} {record['artists'][0]}" for record in records]
        frames = client.search_many(queries, limit=1)
        return [frame["provider_id"][0] if frame.height else None for frame in frames]
    frame = client.lookup_isrcs([r["isrc"] for r in records])
    first: dict[str, str] = {}
    for isrc, provider_id in zip(frame["isrc"], frame["provider_id"], strict=True):
        if isrc and provider_id and isrc.upper() not in first:
            first[isrc.upper()] = provider_id
    return [first.get(r["isrc"]) for r in records]


def add_resuming(
    client: Provider, playlist_id: str, ids: list[str], wait: Callable[[], None]
) -> None:
    """Add ``ids`` in order; after an open circuit, wait for the probe, read the
    playlist and add only what is missing (as a sync job resumes)."""
    while True:
        present = list(client.playlist_items(playlist_id)["provider_id"])
        if present != ids[: len(present)]:
            raise CrossfadeError(f"playlist {playlist_id} diverged from the plan at a resume")
        rest = ids[len(present) :]
        if not rest:
            return
        try:
            client.add_items(playlist_id, rest)
            return
        except CircuitOpenError:
            wait()


def through_open_circuits(call: Callable[[], T], wait: Callable[[], None]) -> T:
    """Repeat an idempotent call after waiting out an open circuit."""
    while True:
        try:
            return call()
        except CircuitOpenError:
            wait()


@dataclass
class Outcome:
    requests: int
    lookup_requests: int
    found: int
    correct: int
    arrived: list[str]
    expected: list[str]
    seconds: float
    units: int | None = None

    @property
    def exact(self) -> bool:
        return self.arrived == self.expected

    @property
    def duplicates(self) -> int:
        return len(self.arrived) - len(set(self.arrived))


def run_work(
    world: World, name: str, records: list[dict[str, Any]], label: str, *, resume: bool = False
) -> Outcome:
    client = world.client(name)
    wait = _breaker_wait(world, name)
    started = time.perf_counter()
    before = world.requests(name)
    if resume:
        found = through_open_circuits(lambda: lookup(client, name, records), wait)
    else:
        found = lookup(client, name, records)
    lookup_requests = world.requests(name) - before
    ids = [i for i in found if i is not None]
    if resume:
        playlist = through_open_circuits(lambda: client.create_playlist(f"Bench {label}"), wait)
        add_resuming(client, playlist.id, ids, wait)
    else:
        playlist = client.create_playlist(f"Bench {label}")
        client.add_items(playlist.id, ids)
    seconds = time.perf_counter() - started
    # every id the catalogue lists for the ISRC counts (Deezer has alternates)
    truth = [
        {t.id_for(name) for t in world.sandbox.catalog.by_isrc(name, r["isrc"])} for r in records
    ]
    correct = sum(1 for got, ids_ in zip(found, truth, strict=True) if got in ids_)
    return Outcome(
        requests=world.requests(name) - before,
        lookup_requests=lookup_requests,
        found=len(ids),
        correct=correct,
        arrived=world.sandbox.playlist_track_ids(name, playlist.id),
        expected=ids,
        seconds=seconds,
        units=client.quota_used() if isinstance(client, YouTube) else None,
    )


def _breaker_wait(world: World, name: str) -> Callable[[], None]:
    def wait() -> None:
        time.sleep(world.factory.breaker(name).seconds_until_probe() + 0.01)

    return wait


def floor(name: str, world: World, records: list[dict[str, Any]]) -> tuple[int, str]:
    """The fewest requests the provider's API allows for the work, and how."""
    caps = provider_class(name).capabilities
    n = len(records)
    adds = math.ceil(n / caps.add_batch_max)
    if caps.isrc_lookup == "batch":
        lookups = 0
        page = caps.page_size_max
        for start in range(0, n, caps.isrc_batch_max):
            batch = records[start : start + caps.isrc_batch_max]
            hits = sum(len(world.sandbox.catalog.by_isrc(name, r["isrc"])) for r in batch)
            lookups += max(1, math.ceil(hits / page))
        how = f"{lookups} batched lookups"
    elif name == "youtube":
        # one search.list per track (limit 1), then videos.list for the durations
        # of the found videos, at most 50 ids per call
        details = math.ceil(n / caps.page_size_max)
        lookups = n + details
        how = f"{n} searches + {details} videos.list"
    else:
        lookups = n
        how = f"{n} {'searches' if caps.isrc_lookup in ('none', 'search') else 'lookups'}"
    return lookups + 1 + adds, f"{how} + 1 create + {adds} adds"


# -- the breaker --------------------------------------------------------------------------


@dataclass
class BreakerCheck:
    opened_after: int
    fast_fail_sent: int
    closed_after_probe: bool


def check_breaker(world: World, name: str) -> BreakerCheck:
    client = world.client(name)
    fail_max = world.settings.breaker_fail_max
    log_before = world.sandbox.log.count(name)
    world.sandbox.faults.fail_next(fail_max, "500", name)
    with contextlib.suppress(CircuitOpenError):
        client.playlists()
    opened_after = world.sandbox.log.count(name) - log_before
    state = world.factory.breaker(name).state
    sent_before = world.sandbox.log.count(name)
    try:
        client.playlists()
        failed_fast = False
    except CircuitOpenError:
        failed_fast = True
    fast_fail_sent = world.sandbox.log.count(name) - sent_before
    _breaker_wait(world, name)()
    client.playlists()
    closed = world.factory.breaker(name).state == "closed"
    return BreakerCheck(
        opened_after=opened_after if state == "open" and failed_fast else -1,
        fast_fail_sent=fast_fail_sent,
        closed_after_probe=closed,
    )


# -- reporting ------------------------------------------------------------------------------


def bench_provider(
    name: str, records: list[dict[str, Any]], args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    clock = VirtualClock()
    clean = make_world(name, records, args, workdir / name / "clean", args.seed, clock)
    try:
        first = run_work(clean, name, records, "first")
        least, how = floor(name, clean, records)
        second = run_work(clean, name, records, "second")
        counters = clean.factory.counters(name)
    finally:
        clean.close()

    faulty = make_world(name, records, args, workdir / name / "faults", args.seed + 1, clock)
    try:
        kinds = TRANSIENT_KINDS + (("quota",) if name == "deezer" else ())
        faulty.sandbox.faults.set(args.fault_rate, kinds, [name])
        faults_run = run_work(faulty, name, records, "faults", resume=True)
        injected = faulty.sandbox.log.counts.get(f"{name}:fault", 0)
        fault_counters = faulty.factory.counters(name)
        faulty.sandbox.faults.clear()
        breaker = check_breaker(faulty, name)
    finally:
        faulty.close()

    over = first.requests / least - 1
    return {
        "provider": name,
        "tracks": len(records),
        "found": first.found,
        "correct": first.correct,
        "requests": first.requests,
        "floor": least,
        "floor_how": how,
        "per_track": first.requests / len(records),
        "floor_per_track": least / len(records),
        "over_floor": over,
        "first_exact": first.exact,
        "second_lookup_requests": second.lookup_requests,
        "second_requests": second.requests,
        "cache_hits": counters["cache_hits"],
        "fault_requests": faults_run.requests,
        "faults_injected": injected,
        "fault_retries": fault_counters["retries"],
        "fault_exact": faults_run.exact,
        "fault_duplicates": faults_run.duplicates,
        "fault_arrived": len(faults_run.arrived),
        "breaker": breaker,
        "youtube_units": first.units,
        "seconds": first.seconds + second.seconds + faults_run.seconds,
    }


def print_report(rows: list[dict[str, Any]], args: argparse.Namespace) -> bool:
    ok = True
    print(
        f"\n{args.tracks} ISRC tracks per provider; fault rate {args.fault_rate:.0%}; "
        f"{'Redis' if args.redis else 'embedded'} stack\n"
    )
    header = (
        f"{'provider':<9}{'found':>7}{'requests':>10}{'floor':>7}{'req/track':>11}"
        f"{'floor/track':>13}{'over':>8}{'2nd-run lookups':>17}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['provider']:<9}{r['found']:>7}{r['requests']:>10}{r['floor']:>7}"
            f"{r['per_track']:>11.3f}{r['floor_per_track']:>13.3f}{r['over_floor']:>8.1%}"
            f"{r['second_lookup_requests']:>17}"
        )
    print()
    for r in rows:
        b: BreakerCheck = r["breaker"]
        print(
            f"{r['provider']}: floor = {r['floor_how']}; faults run: {r['faults_injected']} "
            f"faults injected, {r['fault_retries']} retries, {r['fault_requests']} requests, "
            f"{r['fault_arrived']}/{r['found']} arrived, {r['fault_duplicates']} duplicates, "
            f"exactly once in order: {'yes' if r['fault_exact'] else 'NO'}; breaker opened "
            f"after {b.opened_after} failures, fast fail sent {b.fast_fail_sent} requests, "
            f"closed after probe: {'yes' if b.closed_after_probe else 'NO'}; "
            f"{r['seconds']:.1f}s"
        )
        if r["youtube_units"] is not None:
            print(
                f"  youtube quota: {r['youtube_units']:,} units for one run "
                f"({r['youtube_units'] / 10_000:.1f} x the default daily 10,000)"
            )
        checks = {
            "requests within 2% of the floor": r["over_floor"] <= TARGET_OVER_FLOOR,
            "second run made no lookups": r["second_lookup_requests"] == 0,
            "all tracks found": r["found"] == r["tracks"] and r["correct"] == r["tracks"],
            "clean run exact": r["first_exact"],
            "fault run exactly once, in order": r["fault_exact"] and r["fault_duplicates"] == 0,
            "breaker opened and fast-failed": b.opened_after == 5 and b.fast_fail_sent == 0,
            "breaker closed after probe": b.closed_after_probe,
        }
        failed = [what for what, good in checks.items() if not good]
        ok = ok and not failed
        print(f"  targets: {'all met' if not failed else 'MISSED: ' + '; '.join(failed)}")
    return ok


def stack_overhead(workdir: Path, count: int = 2000) -> dict[str, float]:
    """Milliseconds per request: bare httpx vs the stack (uncached, cache miss
    and store, cache hit), on a transport that answers at once."""
    import httpx

    from engine.http import ProviderHttpConfig

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": request.url.params.get("q")})

    settings = Settings(env="test", data_dir=workdir)
    config = ProviderHttpConfig("bench", "https://api.example.test/v1", rate_per_s=1e9, burst=10**9)
    figures: dict[str, float] = {}
    with httpx.Client(transport=httpx.MockTransport(answer)) as bare:
        started = time.perf_counter()
        for i in range(count):
            bare.get("https://api.example.test/v1/me", params={"q": i}).json()
        figures["bare httpx"] = (time.perf_counter() - started) / count * 1000
    with HttpFactory(settings, transport=httpx.MockTransport(answer)) as factory:
        http = factory.session(config, user_key="bench", token=StaticToken("t"))
        for label, cache in (("stack, uncached", False), ("stack, miss+store", True)):
            started = time.perf_counter()
            for i in range(count):
                http.get_json("me", {"q": i, "c": label}, cache=cache)
            figures[label] = (time.perf_counter() - started) / count * 1000
        started = time.perf_counter()
        for i in range(count):
            http.get_json("me", {"q": i, "c": "stack, miss+store"})
        figures["stack, cache hit"] = (time.perf_counter() - started) / count * 1000
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--providers", default="spotify,deezer,tidal,youtube")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--breaker-reset", type=float, default=0.5, help="seconds (wall clock)")
    parser.add_argument("--redis", default=None, help="run the stack on this Redis")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--no-overhead", dest="overhead", action="store_false", help="skip the overhead figures"
    )
    args = parser.parse_args(argv)
    records = catalogue(args.tracks)
    rows = []
    with tempfile.TemporaryDirectory(prefix="crossfade-bench-") as tmp:
        for name in [p.strip() for p in args.providers.split(",") if p.strip()]:
            rows.append(bench_provider(name, records, args, Path(tmp)))
        overhead = stack_overhead(Path(tmp) / "overhead") if args.overhead else {}
    ok = print_report(rows, args)
    if overhead:
        print("\nper-request cost, ms: " + ", ".join(f"{k} {v:.3f}" for k, v in overhead.items()))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
