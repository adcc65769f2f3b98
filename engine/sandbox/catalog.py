"""The sandbox catalogue: every track the emulated providers know, with its ids.

Seeded from a catalogue file read through ``engine.formats.read`` (PIF, CSV and
every other format it knows); before that module exists, CSV and JSON lists are
read directly. Each track gets one id per provider: the file's own provider id
when present (``provider``/``provider_id`` columns or ``ids.<provider>`` extras),
else one derived deterministically from the track, so the same file always
gives the same ids. Deezer often lists one recording on several albums (same
ISRC, different catalogue ids); :func:`deezer_alternates` emulates that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from engine import formats
from engine.errors import DataError
from engine.frame import conform, tracks_frame
from engine.sandbox.search_index import Query, SearchIndex, parse_free

PROVIDERS = ("spotify", "deezer", "tidal", "youtube")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

DEEZER_ALTERNATE_SHARE = 4
"""One catalogue track in this many gets a second Deezer id (a compilation)."""


@dataclass(frozen=True)
class CatalogTrack:
    """One recording as the providers list it."""

    key: str
    title: str
    artists: tuple[str, ...]
    album: str
    duration_ms: int
    isrc: str | None
    explicit: bool = False
    release_date: str | None = None
    ids: Mapping[str, str] = field(default_factory=dict)
    album_ids: Mapping[str, str] = field(default_factory=dict)

    def id_for(self, provider: str) -> str:
        return self.ids[provider]


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def _encode(data: bytes, alphabet: str, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, len(alphabet))
        chars.append(alphabet[rem])
    return "".join(chars)


def derive_id(provider: str, *parts: object) -> str:
    """A deterministic id in the provider's own id format.

    >>> len(derive_id("spotify", "x")), len(derive_id("youtube", "x"))
    (22, 11)
    """
    data = _digest(provider, *parts)
    if provider == "spotify":
        return _encode(data, _BASE62, 22)
    if provider == "youtube":
        return _encode(data, _B64URL, 11)
    if provider == "deezer":
        return str(100_000_000 + int.from_bytes(data[:8], "big") % 3_000_000_000)
    return str(10_000_000 + int.from_bytes(data[:8], "big") % 900_000_000)


def _track_from_row(row: Mapping[str, Any], index: int) -> CatalogTrack:
    title = (row.get("title") or "").strip()
    if not title:
        raise DataError(f"catalogue row {index + 1}: a track needs a title")
    artists = tuple(a for a in (row.get("artists") or []) if a)
    album = (row.get("album") or "").strip() or title
    isrc = (row.get("isrc") or "").strip().upper() or None
    duration = row.get("duration_ms")
    duration_ms = (
        int(duration) if duration else 180_000 + int.from_bytes(_digest(title)[:2]) % 120_000
    )
    key = isrc or "|".join([title, *artists, album])
    given = {p: str(v) for p, v in formats.all_provider_ids(row).items() if p in PROVIDERS}
    ids = {p: given.get(p) or derive_id(p, key, index) for p in PROVIDERS}
    album_key = "|".join([album, *artists[:1]])
    album_ids = {p: derive_id(p, "album", album_key) for p in PROVIDERS}
    return CatalogTrack(
        key=f"{index}:{key}",
        title=title,
        artists=artists or ("Unknown Artist",),
        album=album,
        duration_ms=duration_ms,
        isrc=isrc,
        explicit=bool(row.get("explicit")),
        release_date=row.get("release_date") or None,
        ids=ids,
        album_ids=album_ids,
    )


def deezer_alternates(track: CatalogTrack) -> list[CatalogTrack]:
    """The extra Deezer listings of ``track`` (same ISRC, another album and id).

    Deterministic: a fixed share of ISRC-carrying tracks appear once more, on a
    compilation, as real Deezer lists many recordings.
    """
    if not track.isrc or _digest("alt", track.isrc)[0] % DEEZER_ALTERNATE_SHARE:
        return []
    album = f"{track.album} (Compilation)"
    ids = {**track.ids, "deezer": derive_id("deezer", "alt", track.key)}
    album_ids = {**track.album_ids, "deezer": derive_id("deezer", "album", album)}
    return [
        CatalogTrack(
            key=track.key + ":alt",
            title=track.title,
            artists=track.artists,
            album=album,
            duration_ms=track.duration_ms,
            isrc=track.isrc,
            explicit=track.explicit,
            release_date=track.release_date,
            ids=ids,
            album_ids=album_ids,
        )
    ]


@dataclass(frozen=True)
class Album:
    id: str
    title: str
    artists: tuple[str, ...]
    release_date: str | None
    track_ids: tuple[str, ...]
    upc: str = ""
    """One barcode per release, the same on every provider (derived from it)."""


def derive_upc(title: str, artists: tuple[str, ...]) -> str:
    """A deterministic 12-digit UPC for an album (title + first artist)."""
    return str(int.from_bytes(_digest("upc", title, *artists[:1])[:8], "big") % 10**12).zfill(12)


class Catalog:
    """Read-only index of catalogue tracks per provider: by id, by ISRC, by text."""

    def __init__(self, tracks: Iterable[CatalogTrack]) -> None:
        self.tracks: list[CatalogTrack] = list(tracks)
        self._by_id: dict[str, dict[str, CatalogTrack]] = {p: {} for p in PROVIDERS}
        self._by_isrc: dict[str, dict[str, list[CatalogTrack]]] = {p: {} for p in PROVIDERS}
        self._albums: dict[str, dict[str, Album]] = {p: {} for p in PROVIDERS}
        self._indexes: dict[str, SearchIndex] = {}
        for track in self.tracks:
            listings = {p: [track] for p in PROVIDERS}
            listings["deezer"] = [track, *deezer_alternates(track)]
            for provider, items in listings.items():
                for item in items:
                    self._index(provider, item)

    def _index(self, provider: str, track: CatalogTrack) -> None:
        self._by_id[provider].setdefault(track.ids[provider], track)
        if track.isrc:
            self._by_isrc[provider].setdefault(track.isrc, []).append(track)
        album_id = track.album_ids[provider]
        album = self._albums[provider].get(album_id)
        ids = (*album.track_ids, track.ids[provider]) if album else (track.ids[provider],)
        self._albums[provider][album_id] = Album(
            album_id,
            track.album,
            track.artists,
            track.release_date,
            ids,
            derive_upc(track.album, track.artists),
        )

    def __len__(self) -> int:
        return len(self.tracks)

    def track(self, provider: str, track_id: str) -> CatalogTrack | None:
        return self._by_id[provider].get(track_id)

    def by_isrc(self, provider: str, isrc: str) -> list[CatalogTrack]:
        return list(self._by_isrc[provider].get(isrc.upper(), []))

    def album(self, provider: str, album_id: str) -> Album | None:
        return self._albums[provider].get(album_id)

    def albums_by_upc(self, provider: str, upc: str) -> list[Album]:
        """Albums of ``provider`` with this barcode (leading zeros ignored)."""
        wanted = upc.strip().lstrip("0")
        return [a for a in self._albums[provider].values() if a.upc.lstrip("0") == wanted]

    def search_albums(self, provider: str, words: list[str]) -> list[Album]:
        """Albums whose title or artists contain every word (case-folded)."""
        folded = [w.casefold() for w in words if w]
        if not folded:
            return []
        hits = []
        for album in self._albums[provider].values():
            text = " ".join([album.title, *album.artists]).casefold()
            if all(w in text for w in folded):
                hits.append(album)
        return hits

    def listing(self, provider: str) -> list[CatalogTrack]:
        """Every track as ``provider`` lists it (Deezer includes alternates)."""
        return list(self._by_id[provider].values())

    def index(self, provider: str) -> SearchIndex:
        """The inverted word index of ``provider``'s listing, built on first use."""
        index = self._indexes.get(provider)
        if index is None:
            index = self._indexes[provider] = SearchIndex(self.listing(provider))
        return index

    def search(self, provider: str, query: str) -> list[CatalogTrack]:
        """Tracks holding every word of the free-text ``query`` in their title,
        artists or album, best first (see ``engine.sandbox.search_index``)."""
        return self.index(provider).search(parse_free(query))

    def search_fields(
        self, provider: str, query: Query, *, fuzzy: bool = False
    ) -> list[CatalogTrack]:
        """Tracks matching a parsed query (free words and field filters)."""
        return self.index(provider).search(query, fuzzy=fuzzy)


def catalog_from_frame(frame: pl.DataFrame) -> Catalog:
    """A catalogue from a canonical track frame (``engine.frame``)."""
    rows = conform(frame).iter_rows(named=True)
    return Catalog(_track_from_row(row, i) for i, row in enumerate(rows))


def catalog_from_records(records: Iterable[Mapping[str, Any]]) -> Catalog:
    """A catalogue from dict-like records with canonical column names."""
    return catalog_from_frame(tracks_frame(records))


def _csv_record(row: Mapping[str, Any], cols: Mapping[str, str]) -> dict[str, Any]:
    def get(name: str) -> Any:
        return row.get(cols.get(name, ""))

    artists = get("artists") or get("artist") or ""
    duration = get("duration_ms")
    return {
        "title": get("title") or get("name"),
        "artists": [a.strip() for a in artists.replace(";", ",").split(",") if a.strip()],
        "album": get("album"),
        "isrc": get("isrc"),
        "duration_ms": int(float(duration)) if duration else None,
        "explicit": (get("explicit") or "").lower() in ("1", "true", "yes"),
        "release_date": get("release_date"),
    }


def _read_plain(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read catalogue: {exc}") from exc
        records = data.get("tracks", []) if isinstance(data, dict) else data
        if not isinstance(records, list):
            raise DataError(f"{path}: expected a list of tracks")
        return tracks_frame(records)
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"{path}: cannot read catalogue: {exc}") from exc
    cols = {c.lower(): c for c in raw.columns}
    records = [_csv_record(row, cols) for row in raw.iter_rows(named=True)]
    return tracks_frame(records)


def _is_plain_json(path: Path) -> bool:
    """A bare JSON list (or ``{"tracks": [...]}``) rather than PIF/JSPF."""
    if path.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # let the plain reader name the problem
    return not (isinstance(data, dict) and ("pif" in data or "playlist" in data))


def load_catalog(path: str | Path) -> Catalog:
    """Read a catalogue file: PIF, CSV or anything ``engine.formats`` reads, or a
    plain JSON list of track records with canonical column names."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: catalogue file not found")
    frame = _read_plain(path) if _is_plain_json(path) else formats.read(path)
    if frame.height == 0:
        raise DataError(f"{path}: the catalogue holds no tracks")
    return catalog_from_frame(frame)
