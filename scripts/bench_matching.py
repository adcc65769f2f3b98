"""Speed, memory and quality of ``engine.matching.match`` on synthetic catalogues.

Builds a realistic catalogue from the real titles and artists of
``itunes_tracks.csv`` (version variants: live, remix, acoustic, karaoke,
instrumental; featured artists; the same recording on several albums; explicit
and clean editions) and a source library drawn from it with known truth
(missing ISRCs, typos, "(feat. X)" in titles, YouTube-style "Artist - Title
(Official Video)", case changes, duration jitter, and tracks the catalogue lacks).
Each size runs in a fresh process so that peak memory is its own.

Usage:
    python scripts/bench_matching.py                         # 10k, 100k, 1M
    python scripts/bench_matching.py --sizes 10000,100000 --source 100000
    python scripts/bench_matching.py --retrain 500 --valid ../shared/.../structured/valid.csv
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from engine.frame import tracks_frame
from engine.matching import MatchConfig, match
from engine.matching.matcher import candidates
from engine.matching.normalize import normalize_frame
from engine.matching.scoring import compact

DEFAULT_TRACKS = Path("../shared/data/matching/itunes-amazon/itunes_tracks.csv")
VARIANTS = [
    (" (Live)", 25_000, False),
    (" - Remix", 40_000, False),
    (" (Acoustic Version)", -15_000, False),
    (" (Karaoke Version)", 500, True),
    (" (Instrumental)", 300, False),
]
"""Version suffix, duration shift (ms), and whether a cover band performs it."""


COMMON_TITLES = [
    "Home",
    "Intro",
    "Forever",
    "Stay",
    "Hold On",
    "Alive",
    "Angel",
    "Runaway",
    "Heaven",
    "Closer",
    "Gravity",
    "Ghost",
    "Fire",
    "Breathe",
    "Wonderland",
    "Sunrise",
    "Outro",
    "Interlude",
    "Paradise",
    "Believe",
]
"""Titles that exist under hundreds of artists in a large catalogue."""
COMMON_SHARE = 0.04
"""Share of recordings given one of ``COMMON_TITLES``."""


def _seed_lists(path: Path) -> tuple[list[str], list[str], list[str], list[int]]:
    raw = pl.read_csv(path, infer_schema_length=0)
    strip = r"\s*[\(\[][^\)\]]*[\)\]]"
    titles = raw["Song_Name"].str.replace_all(strip, "").str.strip_chars().unique().sort()
    titles = titles.filter(titles.str.len_chars() > 0)
    artists = raw["Artist_Name"].drop_nulls().unique().sort()
    albums = raw["Album_Name"].str.replace_all(strip, "").str.strip_chars().unique().sort()
    # Studio recordings go on studio albums: live or concert album names would make
    # the synthetic truth contradict itself.
    albums = albums.filter(~albums.str.contains(r"(?i)\b(live|concert|unplugged|karaoke)\b"))
    clock = raw["Time"].str.extract_groups(r"(\d+):(\d\d)")
    seconds = (
        clock.struct.field("1").cast(pl.Int64) * 60 + clock.struct.field("2").cast(pl.Int64)
    ).drop_nulls()
    return titles.to_list(), artists.to_list(), albums.to_list(), (seconds * 1000).to_list()


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


class World:
    """Synthetic recordings built from real titles, artists, albums and durations."""

    def __init__(self, tracks: Path, seed: int) -> None:
        self.titles, self.artists, self.albums, self.durations = _seed_lists(tracks)
        self.words = sorted({w for t in self.titles for w in t.split() if w.isalpha()})
        self.rng = random.Random(seed)

    def recordings(self, count: int, offset: int) -> list[dict[str, object]]:
        """``count`` distinct recordings; ``offset`` keeps ids apart between calls."""
        rng, out = self.rng, []
        n_artists = max(len(self.artists), count // 8)
        firsts = [a.split()[0] for a in self.artists]
        lasts = [a.split()[-1] for a in self.artists]
        for k in range(count):
            rec = offset + k
            title = self.titles[rec % len(self.titles)]
            if rng.random() < COMMON_SHARE:
                title = rng.choice(COMMON_TITLES)
            elif rec >= len(self.titles):
                title = f"{title} {rng.choice(self.words)}"
                if rng.random() < 0.5:
                    title = f"{rng.choice(self.words)} {title}"
            a = rng.randrange(n_artists)
            artist = (
                self.artists[a]
                if a < len(self.artists)
                else f"{firsts[a % len(firsts)]} {lasts[(a * 7919) % len(lasts)]}"
            )
            featured = rng.choice(self.artists) if rng.random() < 0.1 else None
            out.append(
                {
                    "rec": rec,
                    "title": title,
                    "artist": artist,
                    "featured": featured,
                    "album": rng.choice(self.albums),
                    "duration_ms": rng.choice(self.durations) + rng.randrange(-3000, 3000),
                    "isrc": f"QZX{rec:09d}",
                    "explicit": rng.random() < 0.15,
                }
            )
        return out

    def catalogue_rows(self, recs: list[dict[str, object]]) -> list[dict[str, object]]:
        """Each recording on 1-3 albums; 15% also get a live/remix/karaoke... variant."""
        rng, rows = self.rng, []
        for r in recs:
            artists = [r["artist"]] + ([r["featured"]] if r["featured"] else [])
            copies = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
            for copy in range(copies):
                rows.append(
                    {
                        **{k: r[k] for k in ("title", "duration_ms", "isrc", "explicit")},
                        "artists": artists,
                        "album": r["album"] if copy == 0 else f"{rng.choice(self.albums)} (Deluxe)",
                        "rec": r["rec"],
                    }
                )
            if rng.random() < 0.15:
                suffix, shift, cover = rng.choice(VARIANTS)
                rows.append(
                    {
                        "title": f"{r['title']}{suffix}",
                        "artists": ["Karaoke Hits Band"] if cover else artists,
                        "album": rng.choice(self.albums),
                        "duration_ms": int(r["duration_ms"]) + shift,  # type: ignore[call-overload]
                        "isrc": f"QZV{r['rec']:09d}",
                        "explicit": r["explicit"],
                        "rec": -1,
                    }
                )
        return rows

    def source_rows(self, recs: list[dict[str, object]]) -> list[dict[str, object]]:
        """How a user's library sees a recording: messier, often without ISRC."""
        rng, rows = self.rng, []
        for i, r in enumerate(recs):
            title, artists = str(r["title"]), [str(r["artist"])]
            if r["featured"]:
                if rng.random() < 0.5:
                    title = f"{title} (feat. {r['featured']})"
                else:
                    artists.append(str(r["featured"]))
            roll = rng.random()
            if roll < 0.12:
                title = _typo(title, rng)
            elif roll < 0.17:
                title, artists = f"{artists[0]} - {title} (Official Video)", []
            elif roll < 0.25:
                title = title.upper()
            elif roll < 0.30 and artists:
                artists[0] = _typo(artists[0], rng)
            elif roll < 0.34 and artists:  # a typo in both fields at once
                title, artists[0] = _typo(title, rng), _typo(artists[0], rng)
            elif roll < 0.38:  # album, year or track number glued onto the title
                glue = rng.choice([str(r["album"]), str(rng.randrange(1970, 2024)), "07"])
                title = f"{title} {glue}" if rng.random() < 0.6 else f"{glue} - {title}"
            duration = int(r["duration_ms"]) + rng.randrange(-2000, 2000)  # type: ignore[call-overload]
            if rng.random() < 0.03:  # an export that wrote seconds into duration_ms
                duration //= 1000
            rows.append(
                {
                    "id": f"s{i}",
                    "title": title,
                    "artists": artists,
                    "album": r["album"] if rng.random() < 0.7 else None,
                    "duration_ms": None if rng.random() < 0.03 else duration,
                    "isrc": r["isrc"] if rng.random() < 0.5 else None,
                    "explicit": r["explicit"] if rng.random() < 0.5 else None,
                    "rec": r["rec"],
                }
            )
        return rows


def _frame(rows: list[dict[str, object]], prefix: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    for i, row in enumerate(rows):
        row.setdefault("id", f"{prefix}{i}")
    truth = pl.DataFrame({"id": [r["id"] for r in rows], "rec": [r["rec"] for r in rows]})
    return tracks_frame(rows), truth


def blocking_recall(
    source: pl.DataFrame, catalog: pl.DataFrame, src_truth: pl.DataFrame, cat_truth: pl.DataFrame
) -> float:
    """Share of source tracks present in the catalogue whose true recording reaches
    the model (is among the candidates ``match`` scores)."""
    src = compact(normalize_frame(source))
    cat = compact(normalize_frame(catalog))
    curated = pl.DataFrame(schema={"s": pl.UInt32, "c": pl.UInt32})
    pairs = candidates(src, cat, curated, MatchConfig())
    want = src_truth["rec"].gather(pairs["s"])
    got = cat_truth["rec"].gather(pairs["c"])
    found = pairs["s"].filter(want == got).n_unique()
    present = int((src_truth["rec"] >= 0).sum())
    return found / present if present else 1.0


def run_one(size: int, n_source: int, tracks: Path, seed: int) -> dict[str, float]:
    """Build one catalogue of ``size`` rows and match ``n_source`` tracks against it."""
    world = World(tracks, seed)
    recs = world.recordings(int(size / 1.5), 0)
    cat_rows = world.catalogue_rows(recs)[:size]
    present = sorted({int(r["rec"]) for r in cat_rows if int(r["rec"]) >= 0})  # type: ignore[call-overload]
    by_rec = {int(r["rec"]): r for r in recs}  # type: ignore[call-overload]
    n_absent = n_source // 10
    picked = [by_rec[world.rng.choice(present)] for _ in range(n_source - n_absent)]
    absent = world.recordings(n_absent, 10**8)
    for r in absent:  # tracks the catalogue lacks, by artists it has
        r["artist"] = world.rng.choice(recs)["artist"]
        r["rec"] = -2
    catalog, cat_truth = _frame(cat_rows, "c")
    source, src_truth = _frame(world.source_rows(picked + absent), "s")
    del cat_rows, recs, by_rec

    load_before = os.getloadavg()[0]
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    result = match(source, catalog)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    recall_of_blocking = blocking_recall(source, catalog, src_truth, cat_truth)

    judged = (
        result.join(src_truth.rename({"id": "source_id", "rec": "want"}), on="source_id")
        .join(cat_truth.rename({"id": "catalog_id", "rec": "got"}), on="catalog_id", how="left")
        .with_columns(auto=pl.col("decision") == "auto")
    )
    tp = judged.filter(pl.col("auto") & (pl.col("got") == pl.col("want"))).height
    fp = judged.filter(pl.col("auto") & (pl.col("got") != pl.col("want"))).height
    fn = judged.filter(pl.col("want") >= 0).height - tp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    rules = result["rule"].value_counts()
    return {
        "catalog": float(catalog.height),
        "source": float(source.height),
        "wall_s": wall,
        "cpu_s": cpu,
        "load": max(load_before, os.getloadavg()[0]),
        "peak_mb": peak_mb,
        "per_s": source.height / wall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "precision": precision,
        "recall": recall,
        "review": float((result["decision"] == "review").sum()) / max(result.height, 1),
        "base_mb": base_mb,
        "blocking_recall": recall_of_blocking,
        **{f"rule_{r}": float(n) for r, n in rules.iter_rows()},
    }


def run_retrain(count: int, tracks: Path, seed: int, valid: list[Path]) -> dict[str, float]:
    """Time ``matcher retrain`` on ``count`` curator decisions: each a messy source
    track, its true catalogue row (chosen) and one or two other candidates."""
    from engine.matching.model import load_model
    from engine.matching.retrain import Decision, retrain

    world = World(tracks, seed)
    recs = world.recordings(count, 0)
    cat_rows = world.catalogue_rows(recs)
    by_rec: dict[int, list[dict[str, object]]] = {}
    for i, row in enumerate(cat_rows):
        by_rec.setdefault(int(row["rec"]), []).append({**row, "id": f"c{i}"})  # type: ignore[call-overload]
    decisions = []
    for r, src in zip(recs, world.source_rows(recs), strict=True):
        true = by_rec[int(r["rec"])][0]  # type: ignore[call-overload]
        other = {**world.rng.choice(cat_rows), "id": "other"}
        decisions.append(Decision(src, [true, other], str(true["id"])))
    started = time.perf_counter()
    outcome = retrain(decisions, load_model(), valid, seed)
    return {
        "decisions": float(outcome.decisions),
        "seconds": time.perf_counter() - started,
        "accepted": float(outcome.accepted),
        **{f"f1 {name} before": f["f1"] for name, f in outcome.before.items() if f},
        **{f"f1 {name} after": f["f1"] for name, f in outcome.after.items() if f},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the matcher.")
    parser.add_argument("--tracks", type=Path, default=DEFAULT_TRACKS)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--source", type=int, default=100_000, help="source tracks per run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--retrain", type=int, help="time retraining on this many curator decisions instead"
    )
    parser.add_argument("--valid", type=Path, action="append", default=[], help="check file")
    args = parser.parse_args(argv)
    if not args.tracks.exists():
        parser.error(f"--tracks: {args.tracks} not found")
    if args.retrain:
        for key, value in run_retrain(args.retrain, args.tracks, args.seed, args.valid).items():
            print(f"{key:<40}{value:>10.3f}")
        return 0
    if args.one:
        print(json.dumps(run_one(args.one, args.source, args.tracks, args.seed)))
        return 0
    results = []
    for size in (int(s) for s in re.split(r"[,\s]+", args.sizes.strip()) if s):
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(size),
            "--source",
            str(args.source),
            "--tracks",
            str(args.tracks),
            "--seed",
            str(args.seed),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(f"catalogue {size:>9,}: done", file=sys.stderr)
    rows = [
        ("catalogue", "catalog", "{:,.0f}"),
        ("source", "source", "{:,.0f}"),
        ("wall s", "wall_s", "{:.1f}"),
        ("cpu s", "cpu_s", "{:.1f}"),
        ("load avg", "load", "{:.1f}"),
        ("peak MB", "peak_mb", "{:,.0f}"),
        ("MB before", "base_mb", "{:,.0f}"),
        ("tracks/s", "per_s", "{:,.0f}"),
        ("F1 (auto)", "f1", "{:.4f}"),
        ("precision", "precision", "{:.4f}"),
        ("recall", "recall", "{:.4f}"),
        ("review", "review", "{:.1%}"),
        ("block recall", "blocking_recall", "{:.4f}"),
    ]
    rows += [(f"rule {r}", f"rule_{r}", "{:,.0f}") for r in ("isrc", "exact", "fuzzy", "none")]
    for label, key, fmt in rows:
        cells = "".join(f"{fmt.format(r.get(key, 0.0)):>14}" for r in results)
        print(f"{label:<12}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
