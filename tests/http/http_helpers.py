"""Shared helpers of the HTTP stack tests: scripted transports and a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from engine.http import HttpFactory
from engine.settings import Settings

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A transport handler answering each request with the next step; the last
    step repeats. Records every request it saw."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, httpx.Response):
            return httpx.Response(
                step.status_code, headers=step.headers, content=step.content, request=request
            )
        return step(request)


@dataclass
class FakeTime:
    """A monotonic and a wall clock that only move when someone sleeps."""

    now: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def factory(
    settings: Settings,
    handler: Callable[[httpx.Request], httpx.Response],
    fake: FakeTime | None = None,
    *,
    redis: Any = None,
    cache_dir: Path | None = None,
    rng: Callable[[], float] = lambda: 1.0,
) -> HttpFactory:
    """An HttpFactory on a MockTransport with fake time (jitter pinned to its max)."""
    fake = fake or FakeTime()
    return HttpFactory(
        settings,
        redis=redis,
        transport=httpx.MockTransport(handler),
        cache_dir=cache_dir,
        sleep=fake.sleep,
        clock=fake.clock,
        wall_clock=fake.clock,
        rng=rng,
    )


def json_response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers=headers)
