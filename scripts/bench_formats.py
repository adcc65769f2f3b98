"""Reading and writing speed of the playlist formats, with Polars' bare CSV reader
as the floor.

    .venv/bin/python scripts/bench_formats.py                 # 1M-row CSVs, 100k XSPF/JSPF/M3U8
    .venv/bin/python scripts/bench_formats.py --rows 20000 --entries 5000   # quick

Each measurement runs in a fresh child process, so its peak memory (max RSS above
the interpreter with Polars and engine.formats imported) is its own. Targets (2
cores): a 1M-row CSV, generic and Exportify, into the canonical frame in <= 1.5 s
and <= 3x the file size; 100k-entry XSPF, JSPF and M3U8 in <= 1.5 s, both ways.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARTISTS = ["Daft Punk", "Björk", "Earth, Wind & Fire", "Simon & Garfunkel", "Zoé", "AC/DC"]
WORDS = ["love", "night", "blue", "heart", "fire", "dream", "city", "road", "rain", "gold"]
_ID = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title()


def _spotify_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ID) for _ in range(22))


def _isrc(rng: random.Random) -> str:
    return f"US{rng.choice('ABCDEF')}{rng.randint(10, 99)}{rng.randint(0, 9_999_999):07d}"


def write_generic_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Title,Artist,Album,Duration,ISRC,Year\n")
        for _ in range(rows):
            artist = rng.choice(ARTISTS)
            artist = f'"{artist}"' if "," in artist else artist
            out.write(
                f"{_title(rng)},{artist},{_title(rng)},{rng.randint(120, 420)},"
                f"{_isrc(rng)},{rng.randint(1960, 2024)}\n"
            )


EXPORTIFY_HEADER = (
    "Track URI,Track Name,Album Name,Artist Name(s),Release Date,Duration (ms),Popularity,"
    "Explicit,Added By,Added At,Genres,Record Label,Danceability,Energy,Key,Loudness,Mode,"
    "Speechiness,Acousticness,Instrumentalness,Liveness,Valence,Tempo,Time Signature"
)


def write_exportify_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(EXPORTIFY_HEADER + "\n")
        for _ in range(rows):
            features = ",".join(f"{rng.random():.3f}" for _ in range(12))
            out.write(
                f'"spotify:track:{_spotify_id(rng)}","{_title(rng)}","{_title(rng)}",'
                f'"{rng.choice(ARTISTS)}","{rng.randint(1960, 2024)}-01-01",'
                f'"{rng.randint(120_000, 420_000)}","{rng.randint(0, 100)}",'
                f'"{rng.choice(["true", "false"])}","","2024-03-01T10:00:00Z","pop,rock",'
                f'"Label",{features}\n'
            )


def _frame(entries: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from engine.frame import tracks_frame

    rng = random.Random(seed)
    return tracks_frame(
        {
            "title": _title(rng),
            "artists": [rng.choice(ARTISTS)],
            "album": _title(rng),
            "duration_ms": rng.randint(120_000, 420_000),
            "isrc": _isrc(rng),
            "url": f"/music/{n}.mp3",
        }
        for n in range(entries)
    )


def _child(task: str, path: str, fmt: str) -> None:
    import polars as pl

    import engine.formats as formats

    if task == "write":
        frame = _frame(int(fmt.split(":")[1]))
        fmt = fmt.split(":")[0]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu = time.process_time()
    if task == "read":
        rows = formats.load(path, fmt).tracks
    elif task == "polars":
        rows = pl.read_csv(path, infer_schema=False).height
    else:
        formats.write(frame, path, fmt)
        rows = frame.height
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    print(
        json.dumps({"seconds": seconds, "cpu": cpu_seconds, "rows": rows, "extra_mb": peak / 1024})
    )


def _measure(task: str, path: Path, fmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, str(path), fmt],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of each CSV")
    parser.add_argument("--entries", type=int, default=100_000, help="entries of XSPF/JSPF/M3U8")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the files")
    parser.add_argument("--only-csv", action="store_true", help="skip XSPF/JSPF/M3U8")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-formats-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"files in {folder}")
    csvs = [
        ("generic CSV", "csv", write_generic_csv),
        ("Exportify CSV", "exportify", write_exportify_csv),
    ]
    for label, fmt, writer in csvs:
        path = folder / f"{fmt}-{args.rows}.csv"
        if not path.exists():
            writer(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        ours = _measure("read", path, fmt)
        floor = _measure("polars", path, fmt)
        print(
            f"{label:14} read  {args.rows:>9,} rows {size_mb:7.1f} MB: {ours['seconds']:6.2f} s "
            f"(cpu {ours['cpu']:.2f} s) {ours['extra_mb']:7.0f} MB "
            f"({ours['extra_mb'] / size_mb:.1f}x file) | bare pl.read_csv "
            f"{floor['seconds']:5.2f} s (cpu {floor['cpu']:.2f} s) {floor['extra_mb']:6.0f} MB"
        )
    for fmt, ext in (
        () if args.only_csv else (("xspf", ".xspf"), ("jspf", ".jspf"), ("m3u", ".m3u8"))
    ):
        path = folder / f"bench-{args.entries}{ext}"
        wrote = _measure("write", path, f"{fmt}:{args.entries}")
        read = _measure("read", path, fmt)
        size_mb = path.stat().st_size / 2**20
        print(
            f"{fmt:14} write {args.entries:>9,} entries {size_mb:6.1f} MB: "
            f"{wrote['seconds']:6.2f} s (cpu {wrote['cpu']:.2f} s) | read {read['seconds']:6.2f} s "
            f"(cpu {read['cpu']:.2f} s) {read['extra_mb']:6.0f} MB"
        )


if __name__ == "__main__":
    main()
