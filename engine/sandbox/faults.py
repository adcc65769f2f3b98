"""Fault injection and the request log.

A :class:`FaultPlan` decides, per request, whether the sandbox answers
normally or with a fault. It is seeded (deterministic), configurable per
provider and at runtime, and can force N consecutive failures and then
recover (breaker tests). Spec syntax, as on the command line::

    rate=0.1,kinds=429+429-noretry+500+timeout+drop,seed=7,providers=spotify+deezer

(``kinds``/``providers`` take ``+`` or ``|`` separated lists; a bare
``kinds=429,429-noretry`` list is accepted too.)

Kinds: ``429`` (with ``Retry-After: 1``), ``429-noretry`` (no Retry-After),
``429-zero`` (``Retry-After: 0``), ``429-empty`` (no header, empty body),
``500``, ``502``, ``503``, ``timeout`` (in-process: ``httpx.ReadTimeout``;
server: sleeps past the client timeout), ``drop`` (in-process:
``httpx.RemoteProtocolError``; server: closes the socket), ``timeout-after`` and
``drop-after`` (the same, but only after the request took effect: a write whose
outcome the client cannot know), ``quota`` (the
provider's own quota error: Deezer code 4, YouTube 403 quotaExceeded,
Spotify/TIDAL 429).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

from engine.errors import UsageError
from engine.sandbox.catalog import PROVIDERS

TRANSIENT_KINDS = (
    "429",
    "429-noretry",
    "429-zero",
    "429-empty",
    "500",
    "502",
    "503",
    "timeout",
    "drop",
)
"""Faults answered before the request takes effect, in the same form on every
provider: what a client's retries must ride out (benchmarks inject these)."""

KINDS = (*TRANSIENT_KINDS, "timeout-after", "drop-after", "quota")


@dataclass
class RequestRecord:
    """One request the sandbox saw and what it did with it."""

    provider: str
    method: str
    path: str
    query: str
    status: int | None
    fault: str | None = None


@dataclass
class _Rule:
    rate: float = 0.0
    kinds: tuple[str, ...] = ("500",)
    forced: list[str] = field(default_factory=list)


class FaultPlan:
    """Which requests fail and how; thread-safe and seeded."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._rules: dict[str, _Rule] = {p: _Rule() for p in (*PROVIDERS, "oauth")}

    def seed(self, seed: int) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def set(
        self,
        rate: float,
        kinds: tuple[str, ...] | list[str] = ("500",),
        providers: tuple[str, ...] | list[str] | None = None,
    ) -> None:
        """Fail a share ``rate`` of requests to ``providers`` (default: the four APIs)."""
        kinds = tuple(kinds)
        _check(rate, kinds)
        with self._lock:
            for name in providers or PROVIDERS:
                rule = self._rule(name)
                rule.rate, rule.kinds = rate, kinds

    def fail_next(self, count: int, kind: str = "500", provider: str | None = None) -> None:
        """Fail the next ``count`` requests (per provider) with ``kind``, then recover."""
        _check(0.0, (kind,))
        with self._lock:
            for name in [provider] if provider else PROVIDERS:
                self._rule(name).forced.extend([kind] * count)

    def clear(self) -> None:
        with self._lock:
            self._rules = {p: _Rule() for p in (*PROVIDERS, "oauth")}

    def decide(self, provider: str) -> str | None:
        """The fault for the next request to ``provider``, or None."""
        with self._lock:
            rule = self._rules.get(provider)
            if rule is None:
                return None
            if rule.forced:
                return rule.forced.pop(0)
            if rule.rate > 0 and self._random.random() < rule.rate:
                return self._random.choice(rule.kinds)
            return None

    def _rule(self, name: str) -> _Rule:
        if name not in self._rules:
            raise UsageError(f"unknown provider {name!r} in fault plan")
        return self._rules[name]

    def apply_spec(self, spec: str) -> None:
        """Configure from a ``--faults`` spec (see the module docstring)."""
        values: dict[str, str] = {}
        last = ""
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if "=" in part:
                last, _, value = part.partition("=")
                values[last.strip()] = value.strip()
            elif last in ("kinds", "providers"):
                values[last] += "+" + part
            else:
                raise UsageError(f"bad fault spec part {part!r} (expected key=value)")
        unknown = set(values) - {"rate", "kinds", "seed", "providers", "fail_next"}
        if unknown:
            raise UsageError(f"unknown fault spec keys: {', '.join(sorted(unknown))}")
        try:
            rate = float(values.get("rate", "0"))
            seed = int(values["seed"]) if "seed" in values else None
            fail_next = int(values.get("fail_next", "0"))
        except ValueError as exc:
            raise UsageError(f"bad number in fault spec {spec!r}") from exc
        kinds = _split(values.get("kinds", "500"))
        providers = _split(values["providers"]) if "providers" in values else None
        if seed is not None:
            self.seed(seed)
        self.set(rate, kinds, providers)
        if fail_next:
            for name in providers or PROVIDERS:
                self.fail_next(fail_next, kinds[0], name)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.replace("|", "+").split("+") if v)


def _check(rate: float, kinds: tuple[str, ...]) -> None:
    if not 0.0 <= rate <= 1.0:
        raise UsageError(f"fault rate must be between 0 and 1, got {rate}")
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise UsageError(f"unknown fault kinds {bad}; known: {', '.join(KINDS)}")


class RequestLog:
    """Every request in order, with counters per provider and status."""

    def __init__(self, keep: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._keep = keep
        self.records: list[RequestRecord] = []
        self.counts: Counter[str] = Counter()

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self.records.append(record)
            if len(self.records) > self._keep:
                del self.records[: len(self.records) - self._keep]
            self.counts[record.provider] += 1
            if record.fault:
                self.counts[f"{record.provider}:fault"] += 1
                self.counts[f"{record.provider}:fault:{record.fault}"] += 1

    def clear(self) -> None:
        with self._lock:
            self.records.clear()
            self.counts.clear()

    def count(self, provider: str | None = None, method: str | None = None, path: str = "") -> int:
        """Requests matching provider, method and a path substring."""
        with self._lock:
            return sum(
                1
                for r in self.records
                if provider in (None, r.provider) and method in (None, r.method) and path in r.path
            )
