"""Client-side token buckets: in-process and shared through Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from http_helpers import FakeTime, Script, factory, json_response
from redis import Redis

from engine.errors import UsageError
from engine.http import ProviderHttpConfig, StaticToken
from engine.http.ratelimit import LocalRateLimiter, RedisRateLimiter

TIDAL = ProviderHttpConfig("tidal", "https://openapi.tidal.com/v2", rate_per_s=2, burst=3)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def test_local_bucket_allows_a_burst_then_spaces_requests() -> None:
    fake = FakeTime()
    limiter = LocalRateLimiter(fake.clock)
    waits = [limiter.reserve("tidal", 2, 3) for _ in range(5)]
    assert waits == [0, 0, 0, 0.5, 1.0]  # reservations queue up behind each other
    fake.advance(10)
    assert limiter.reserve("tidal", 2, 3) == 0  # refilled, capped at burst
    assert [limiter.reserve("tidal", 2, 3) for _ in range(3)] == [0, 0, 0.5]


def test_buckets_are_per_provider() -> None:
    limiter = LocalRateLimiter(FakeTime().clock)
    assert limiter.reserve("a", 1, 1) == 0
    assert limiter.reserve("b", 1, 1) == 0
    assert limiter.reserve("a", 1, 1) == 1.0


def test_bad_limits_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="rate_per_s"):
        LocalRateLimiter(FakeTime().clock).reserve("x", 0, 1)


def test_session_sleeps_for_throttling_and_counts_it(settings) -> None:
    fake = FakeTime()
    script = Script(json_response(200, {}))
    built = factory(settings, script, fake)
    try:
        http = built.session(TIDAL, user_key="u1", token=StaticToken("t"))
        for n in range(5):
            http.send("GET", f"tracks/{n}")
        assert fake.sleeps == [0.5, 0.5]  # time moves while sleeping
        figures = built.counters("tidal")
        assert figures["throttle_waits"] == 2
        assert figures["throttle_wait_s"] == pytest.approx(1.0)
    finally:
        built.close()


def test_redis_bucket_is_shared_by_two_limiters(redis: Redis) -> None:
    one, two = RedisRateLimiter(redis), RedisRateLimiter(redis)
    started = time.monotonic()
    assert one.reserve("deezer", 5, 2) == 0
    assert two.reserve("deezer", 5, 2) == 0
    third = one.reserve("deezer", 5, 2)
    fourth = two.reserve("deezer", 5, 2)
    # Redis time moves on between the calls by at most the time they took
    # (a loaded machine can take more than a few ms), so bound by that.
    slack = time.monotonic() - started + 0.002
    assert 0.2 - slack <= third <= 0.2 + 0.002
    assert 0.4 - slack <= fourth <= 0.4 + 0.002
    assert one.reserve("spotify", 5, 2) == 0  # another provider has its own bucket


def test_two_factories_on_one_redis_share_one_budget(settings, redis: Redis) -> None:
    config = ProviderHttpConfig(
        "youtube", "https://www.googleapis.com/youtube/v3", rate_per_s=1, burst=2
    )
    fakes = [FakeTime(), FakeTime()]
    built = [factory(settings, Script(json_response(200, {})), f, redis=redis) for f in fakes]
    try:
        sessions = [b.session(config, user_key=f"u{i}", token=None) for i, b in enumerate(built)]
        for session in sessions:
            session.send("GET", "channels")
            session.send("GET", "channels")
        assert fakes[0].sleeps == []
        assert len(fakes[1].sleeps) == 2
        assert fakes[1].sleeps[0] == pytest.approx(1.0, abs=0.05)
        assert fakes[1].sleeps[1] == pytest.approx(2.0, abs=0.05)
        # counters in Redis add up what both processes did
        assert built[0].counters("youtube")["requests"] == 4
        assert built[1].counters("youtube")["throttle_waits"] == 2
    finally:
        for item in built:
            item.close()


def test_redis_bucket_on_a_simulated_clock_gives_exact_waits(redis: Redis) -> None:
    fake = FakeTime()
    limiter = RedisRateLimiter(redis, clock=fake.clock)
    assert [limiter.reserve("tidal", 4, 2) for _ in range(4)] == [0, 0, 0.25, 0.5]
    fake.advance(100)
    assert limiter.reserve("tidal", 4, 2) == 0


def test_local_bucket_is_safe_across_threads() -> None:
    import threading

    limiter = LocalRateLimiter(FakeTime().clock)  # time stands still: pure reservations
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            wait = limiter.reserve("spotify", 100, 10)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 400 reservations: 10 free, then one slot every 10 ms, none shared
    assert sorted(round(w, 6) for w in waits) == [0.0] * 10 + [
        round(n / 100, 6) for n in range(1, 391)
    ]
