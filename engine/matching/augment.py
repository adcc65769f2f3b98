"""Generated training pairs: the hard cases a few hundred labelled pairs lack.

From the records of a labelled ``train`` split, ``candidate_groups`` builds
groups the way ``match`` meets them: one source record, its true catalogue record
made messier (typos in title and artist at once, album/year/track number glued
onto the title, a remaster word added, squashed spaces, the artist moved into the
title, attributes moved into the title, durations in seconds, missing fields)
and hard negatives beside it (the same title by other artists, sometimes by very
many; live, karaoke, acoustic and remix siblings;
another title by the same artist, also on the same album at the same length;
another edit of the same title, half a minute or more longer or shorter).
Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

SIBLINGS: tuple[tuple[str, int, bool], ...] = (
    (" (Live)", 25_000, False),
    (" - Live at Wembley", 60_000, False),
    (" (Karaoke Version)", 800, True),
    (" (Acoustic Version)", -15_000, False),
    (" (Instrumental)", 400, False),
    (" - Remix", 45_000, False),
    (" (Cover)", 2_000, True),
)
"""Version suffix, duration shift (ms), and whether another act performs it."""


def typo(text: str, rng: random.Random) -> str:
    """One dropped, doubled or swapped character inside ``text``."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _artist(record: Record) -> str:
    return str((record.get("artists") or [""])[0])


def _double_typo(r: Record, rng: random.Random) -> Record:
    artists = [typo(a, rng) for a in r.get("artists") or []]
    return {**r, "title": typo(str(r["title"]), rng), "artists": artists}


def _glued(r: Record, rng: random.Random) -> Record:
    extra = rng.choice(
        [
            str(r.get("album") or ""),
            str(rng.randrange(1970, 2024)),
            f"{rng.randrange(1, 20):02d}",
        ]
    )
    title = f"{r['title']} {extra}" if rng.random() < 0.7 else f"{extra} - {r['title']}"
    return {**r, "title": title.strip()}


def _squashed(r: Record, rng: random.Random) -> Record:
    words = str(r["title"]).split()
    if len(words) < 2:
        return _double_typo(r, rng)
    i = rng.randrange(len(words) - 1)
    return {**r, "title": " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])}


def _artist_in_title(r: Record, rng: random.Random) -> Record:
    video = rng.choice(["", " (Official Video)", " (Official Audio)", " [HD]"])
    return {**r, "title": f"{_artist(r)} - {r['title']}{video}", "artists": [], "album": None}


def _dirty_export(r: Record, rng: random.Random) -> Record:
    """Attributes moved into the title, as dirty store exports do."""
    moved: list[str] = []
    out = dict(r)
    if rng.random() < 0.6 and r.get("artists"):
        moved.append(_artist(r))
        out["artists"] = []
    if rng.random() < 0.6 and r.get("album"):
        moved.append(str(r["album"]))
        out["album"] = None
    if rng.random() < 0.4:
        moved.append(rng.choice(["$ 1.29", "$ 0.99", "Album Only"]))
    if rng.random() < 0.5 and r.get("duration_ms"):
        seconds = int(r["duration_ms"]) // 1000
        moved.append(f"{seconds // 60}:{seconds % 60:02d}")
        out["duration_ms"] = None
    if rng.random() < 0.4 and r.get("release_date"):
        moved.append(str(r["release_date"]))
    out["title"] = " ".join([str(r["title"]), *moved])
    return out


def _remastered(r: Record, rng: random.Random) -> Record:
    """A store that adds "Remastered" to the title of the same recording."""
    word = rng.choice([" - Remastered", " - Remastered 2011", " (Remastered)", " - 2015 Remaster"])
    return {**r, "title": f"{r['title']}{word}"}


def _seconds(r: Record, rng: random.Random) -> Record:
    ms = r.get("duration_ms")
    return {**r, "duration_ms": None if ms is None else int(ms) // 1000}


def _bare(r: Record, rng: random.Random) -> Record:
    return {**r, "album": None, "duration_ms": None if rng.random() < 0.5 else r.get("duration_ms")}


def _jitter(r: Record, rng: random.Random) -> Record:
    ms = r.get("duration_ms")
    shifted = None if ms is None else int(ms) + rng.randrange(-2500, 2500)
    return {**r, "duration_ms": shifted, "title": str(r["title"]).upper()}


MESS: tuple[Callable[[Record, random.Random], Record], ...] = (
    _double_typo,
    _glued,
    _squashed,
    _artist_in_title,
    _dirty_export,
    _dirty_export,
    _remastered,
    _seconds,
    _bare,
    _jitter,
)
"""Ways a true match arrives messier than the source."""


@dataclass
class Groups:
    """Source records, catalogue records, and labelled ``(s, c, g)`` pairs."""

    source: list[Record] = field(default_factory=list)
    catalog: list[Record] = field(default_factory=list)
    pairs: list[tuple[int, int, int, int]] = field(default_factory=list)

    def add(self, source: Record, candidates: list[tuple[Record, int]]) -> None:
        s = len(self.source)
        self.source.append(source)
        for record, label in candidates:
            self.pairs.append((s, len(self.catalog), s, label))
            self.catalog.append(record)


def _sibling(r: Record, rng: random.Random) -> Record:
    suffix, shift, other_act = rng.choice(SIBLINGS)
    ms = r.get("duration_ms")
    return {
        **r,
        "title": f"{r['title']}{suffix}",
        "artists": ["The Karaoke Crew"] if other_act else r.get("artists"),
        "duration_ms": None if ms is None else int(ms) + shift,
    }


def _negatives(r: Record, pool: list[Record], rng: random.Random) -> list[Record]:
    others = [p for p in pool if _artist(p) and _artist(p) != _artist(r)]
    same_artist = [p for p in pool if _artist(p) == _artist(r) and p["title"] != r["title"]]
    out: list[Record] = []
    # The same title by other artists, sometimes by very many (a common title).
    for other in rng.sample(others, min(len(others), rng.choice([1, 2, 5, 30]))):
        out.append({**r, "artists": other.get("artists"), "album": other.get("album")})
    out.append(_sibling(r, rng))
    ms = r.get("duration_ms")
    if ms is not None and rng.random() < 0.5:  # another edit: same words, other length
        shift = rng.choice([-1, 1]) * rng.randrange(25_000, 90_000)
        out.append({**r, "duration_ms": max(60_000, int(ms) + shift)})
    if same_artist:
        out.append(rng.choice(same_artist))
    # Another track of the same album: artist, album and length agree, the title not.
    other = rng.choice(pool)
    ms = r.get("duration_ms")
    out.append(
        {
            **r,
            "title": other["title"],
            "duration_ms": None if ms is None else int(ms) + rng.randrange(-4000, 4000),
        }
    )
    return out


def candidate_groups(records: list[Record], seed: int, per_record: int = 3) -> Groups:
    """``per_record`` groups per record: a messier true match plus hard negatives
    (see the module docstring); records need ``title`` and ``artists``."""
    rng = random.Random(seed)
    usable = [r for r in records if r.get("title") and _artist(r)]
    groups = Groups()
    for record in usable:
        for _ in range(per_record):
            mess = rng.choice(MESS)
            true = mess(record, rng)
            source = record
            if rng.random() < 0.3:  # the mess may be on the source side too
                source, true = true, record
            candidates = [(true, 1)] + [(n, 0) for n in _negatives(record, usable, rng)]
            if rng.random() < 0.15:  # the true match is missing from the catalogue
                candidates = candidates[1:]
            groups.add(source, candidates)
    return groups
