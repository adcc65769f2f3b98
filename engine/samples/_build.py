"""Rebuild the sample catalogue and playlists (deterministic; run by hand).

    python -m engine.samples._build /path/to/itunes_tracks.csv

Titles, artists, albums, lengths and release dates come from the iTunes side of
the iTunes-Amazon matching benchmark (see NOTE.md); ISRCs, explicit flags and
provider ids are synthesised from a hash so that they look and behave like real
ones (same ISRC for the same recording on a compilation, new ISRCs for live,
remix and remaster versions).
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.formats import Playlist, write_playlists
from engine.formats._common import split_artists
from engine.formats.durations import parse_duration
from engine.frame import tracks_frame

HERE = Path(__file__).parent
SEED = 20261126
CATALOG_SIZE = 340
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B64 = _B62 + "-_"

HANDPICKED = HERE / "handpicked.csv"
"""Recordings with accents, non-English names and comma names, written by hand."""


def _handpicked() -> list[dict[str, Any]]:
    with HANDPICKED.open(encoding="utf-8", newline="") as handle:
        return [
            {
                **row,
                "artists": row["artists"].split("; "),
                "explicit": row["explicit"] == "true",
                "duration_ms": parse_duration(row["duration"]),
                "release_date": row["date"],
            }
            for row in csv.DictReader(handle)
        ]


VERSION_SUFFIXES = [
    (" - Live", "Live at the Roundhouse", "live"),
    (" - Remastered 2015", "{album} (Remastered)", "remaster"),
    (" - Radio Edit", "{title} - Single", "edit"),
    (" - Acoustic", "{album} (Acoustic Sessions)", "acoustic"),
    (" - Extended Mix", "{album} (Remixes)", "remix"),
]
COMPILATIONS = [
    "Now That's What I Call Music! 52",
    "Hits 2015",
    "Ultimate Road Trip",
    "Greatest Hits",
]
COUNTRY_BY_LABEL = (
    ("UK", "GB"),
    ("Ltd", "GB"),
    ("Canada", "CA"),
    ("Australia", "AU"),
    ("France", "FR"),
)


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _b(alphabet: str, seed: int, length: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def clean(text: str) -> str:
    """Undo the benchmark's tokenisation: ``Hemingway 's`` -> ``Hemingway's``."""
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\[\s+", "[", text)
    text = re.sub(r"\s+([)\],.!?:])", r"\1", text)
    text = re.sub(r"\s+'\s*(s|t|re|ll|ve|d|m)\b", r"'\1", text)
    text = re.sub(r"\bfeat\s*\.", "feat.", text)
    text = text.replace(" ' ", "' ").replace("Livin'", "Livin'")
    return re.sub(r"\s{2,}", " ", text).strip()


def _date(released: str) -> str | None:
    try:
        return datetime.strptime(released.strip(), "%d-%b-%y").date().isoformat()
    except ValueError:
        return None


def _featured(title: str) -> list[str]:
    match = re.search(r"\(feat\. ([^)]+)\)", title)
    return split_artists(match.group(1).replace(" & ", "; ")) if match else []


def _ids(key: str, rng: random.Random) -> dict[str, str]:
    seed = _h(key)
    ids = {
        "spotify": _b(_B62, seed, 22),
        "deezer": str(100_000_000 + seed % 2_900_000_000),
        "tidal": str(10_000_000 + seed % 390_000_000),
        "youtube": _b(_B64, seed + 1, 11),
    }
    if rng.random() < 0.06:
        del ids["youtube"]
    if rng.random() < 0.03:
        del ids["tidal"]
    return ids


def _isrc(cc: str, artist: str, year: str, key: str) -> str:
    registrant = _b("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", _h(artist), 3)
    return f"{cc}{registrant}{year[2:4]}{_h(key) % 100_000:05d}"


def _itunes_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for raw in csv.DictReader(handle):
            title, artist = clean(raw["Song_Name"]), clean(raw["Artist_Name"])
            date = _date(raw["Released"] or "")
            duration = parse_duration(raw["Time"])
            key = (title.lower(), artist.lower())
            if key in seen or not date or not duration or title.startswith("Track "):
                continue
            seen.add(key)
            label = raw["CopyRight"] or ""
            cc = next((c for word, c in COUNTRY_BY_LABEL if word in label), "US")
            # iTunes joins several artists as "A, B & C"; a lone "&" is usually a duo name.
            if "," in artist:
                artists = [a.strip() for a in re.split(r",| & ", artist) if a.strip()]
            else:
                artists = [artist]
            artists += [a for a in _featured(title) if a not in artists]
            rows.append(
                {
                    "title": title,
                    "artists": artists,
                    "album": clean(raw["Album_Name"]),
                    "duration_ms": duration,
                    "release_date": date,
                    "cc": cc,
                    "genre": (raw["Genre"] or "").split(",")[0].strip(),
                }
            )
    return rows


def _recording(base: dict[str, Any], rng: random.Random, index: int) -> dict[str, Any]:
    key = f"{base['title']}|{'/'.join(base['artists'])}|{base['album']}"
    year = (base["release_date"] or "2000")[:4]
    explicit = base.get("explicit")
    if explicit is None:
        explicit = rng.random() < (0.45 if "Hip-Hop" in base.get("genre", "") else 0.1)
    extras: dict[str, str] = {f"ids.{p}": v for p, v in _ids(key, rng).items()}
    if base.get("genre"):
        extras["genre"] = base["genre"]
    return {
        "id": f"cat-{index:04d}",
        "title": base["title"],
        "artists": base["artists"],
        "album": base["album"],
        "duration_ms": base["duration_ms"],
        "isrc": base.get("isrc") or _isrc(base["cc"], base["artists"][0], year, key),
        "explicit": explicit,
        "release_date": base["release_date"],
        "extras": extras,
    }


def build_catalog(itunes: Path, size: int = CATALOG_SIZE) -> list[dict[str, Any]]:
    """Catalogue records: ``size`` iTunes recordings + hand-written ones + versions."""
    rng = random.Random(SEED)
    pool = _itunes_rows(itunes)
    chosen = rng.sample(pool, size)
    hand = _handpicked()
    records: list[dict[str, Any]] = []
    for base in [*hand, *chosen]:
        records.append(_recording(base, rng, len(records) + 1))
    studio = list(records)
    for n, original in enumerate(rng.sample(studio, 45)):
        suffix, album, kind = VERSION_SUFFIXES[n % len(VERSION_SUFFIXES)]
        variant = {
            **original,
            "title": original["title"] + suffix,
            "album": album.format(album=original["album"], title=original["title"]),
            "duration_ms": original["duration_ms"] + rng.randint(-40_000, 90_000),
            "isrc": None,
            "cc": original["isrc"][:2],
        }
        variant["release_date"] = "2015-06-05" if kind == "remaster" else original["release_date"]
        rec = _recording(variant, rng, len(records) + 1)
        rec["extras"]["version"] = kind
        records.append(rec)
    for n, original in enumerate(rng.sample(studio, 18)):
        copy = {**original, "album": COMPILATIONS[n % len(COMPILATIONS)], "cc": "US"}
        rec = _recording(copy, rng, len(records) + 1)
        rec["isrc"] = original["isrc"]  # same recording, same ISRC, another album
        rec["extras"]["compilation"] = "true"
        records.append(rec)
    return records


NOT_IN_CATALOG: list[dict[str, Any]] = [
    {
        "title": "Kilometre Zero",
        "artists": ["The Lantern Parade"],
        "album": "Backroads EP",
        "duration_ms": 241_000,
    },
    {
        "title": "Café au lait (Demo)",
        "artists": ["Anaïs Moreau"],
        "album": None,
        "duration_ms": None,
    },
    {
        "title": "Dashboard Lights",
        "artists": ["Mile Marker 9", "Juno Reyes"],
        "album": "Exit Ramps",
        "duration_ms": 198_500,
    },
]


def build_road_trip(catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = random.Random(SEED + 1)
    versions = [r for r in catalog if "version" in r["extras"]][:3]
    feat = [r for r in catalog if len(r["artists"]) > 1][:4]
    accents = [
        r for r in catalog[:20] if re.search(r"[^\x00-\x7f]", r["title"] + "".join(r["artists"]))
    ][:4]
    picks = [*accents, *feat, *versions, *rng.sample(catalog[20:], 14)]
    unique = list({r["id"]: r for r in picks}.values())
    rng.shuffle(unique)
    tracks = [
        {**r, "extras": {}, "id": str(i), "isrc": None if rng.random() < 0.3 else r["isrc"]}
        for i, r in enumerate(unique)
    ]
    for n, extra in enumerate(NOT_IN_CATALOG):
        tracks.insert(5 + n * 7, {**extra, "explicit": None})
    for position, track in enumerate(tracks):
        track["position"], track["id"] = position, str(position)
    return tracks


def _local_path(track: dict[str, Any], root: str) -> str:
    safe = [
        re.sub(r'[\\/:*?"<>|]', "_", part)
        for part in (track["artists"][0], track["album"] or "Unknown Album", track["title"])
    ]
    return f"{root}{safe[0]}/{safe[1]}/{track['position'] + 1:02d} {safe[2]}.mp3"


def _with_locations(tracks: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
    located = [{**t, "url": _local_path(t, root)} for t in tracks]
    # Two entries are links, as people paste them into playlists.
    located[1]["url"] = "https://open.spotify.com/track/" + _b(_B62, _h("link1"), 22)
    located[9]["url"] = "https://www.youtube.com/watch?v=" + _b(_B64, _h("link2"), 11)
    return located


def write_user_csv(tracks: list[dict[str, Any]], path: Path) -> None:
    """A CSV as people make them by hand: their own headers, ``m:ss`` lengths."""
    from engine.formats.durations import format_clock

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Song", "Artist", "Album", "Time", "ISRC", "Explicit"])
        for t in tracks:
            writer.writerow(
                [
                    t["title"],
                    ", ".join(t["artists"]),
                    t["album"] or "",
                    format_clock(t["duration_ms"]) or "?",
                    t.get("isrc") or "",
                    {True: "yes", False: "no", None: ""}[t["explicit"]],
                ]
            )


def main(itunes: Path, out_dir: Path = HERE, size: int = CATALOG_SIZE) -> None:
    """Write the catalogue and the road-trip playlists into ``out_dir``."""
    from engine import formats

    catalog = build_catalog(itunes, size)
    write_playlists(
        [
            Playlist(
                name="Crossfade sample catalogue",
                tracks=tracks_frame(catalog),
                description="Sample recordings for the sandbox and the demo (see NOTE.md).",
            )
        ],
        out_dir / "catalog.pif.json",
    )
    tracks = build_road_trip(catalog)
    road = Playlist(name="Road Trip", tracks=tracks_frame(tracks))
    write_playlists([road], out_dir / "road-trip.pif.json")
    m3u = Playlist(name="Road Trip", tracks=tracks_frame(_with_locations(tracks, "Music/")))
    write_playlists([m3u], out_dir / "road-trip.m3u8")
    write_user_csv(tracks, out_dir / "road-trip.csv")
    if "xspf" in formats.FORMATS:
        xspf = _with_locations(tracks, "/home/alex/Music/")
        write_playlists(
            [Playlist(name="Road Trip", tracks=tracks_frame(xspf))], out_dir / "road-trip.xspf"
        )
    print(f"catalogue: {len(catalog)} recordings; road trip: {road.tracks.height} tracks")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
