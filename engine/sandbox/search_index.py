"""An inverted token index of one provider's catalogue listing, and the query
semantics every emulated search shares (see ``docs/sandbox.md``, "Search").

Text is compared the way the real services compare it: case, accents
(transliterated, "Beyoncé" = "beyonce"), punctuation and word order do not
matter; apostrophes vanish ("Don't" = "dont") and "&" reads "and". A query
matches a track when every query word occurs in one of the searched fields
(AND: the documents never promise that a missing word still matches).
Field filters name the field a word must be in. Typos are tolerated only where
a document says the service is fuzzy (Deezer, unless ``strict=on``): a word
then also matches the words one edit away (a swapped, missing, extra or
wrong letter), for words of :data:`FUZZY_MIN_LENGTH` letters or more.

Lookups walk posting lists, rarest word first, never the whole catalogue; a
100k-track index answers a search in well under a millisecond or two
(``scripts/bench_retrieval.py`` prints the median).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from unidecode import unidecode

if TYPE_CHECKING:
    from engine.sandbox.catalog import CatalogTrack

FIELDS = ("title", "artist", "album")
FUZZY_MIN_LENGTH = 4
"""Shorter words must match exactly even in fuzzy mode (one edit away from a
three-letter word is nearly any three-letter word)."""

_APOSTROPHES = re.compile(r"['`\u2019\u00b4]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case ASCII: accents transliterated, apostrophes dropped, "&" = "and".

    >>> fold("Beyoncé & Jay-Z: Don't")
    'beyonce and jay z dont'
    """
    if not text.isascii():
        text = unidecode(text)
    text = _APOSTROPHES.sub("", text.lower()).replace("&", " and ")
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return fold(text).split()


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at most one edit apart (Damerau: a swap of
    two neighbouring letters counts as one edit)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    if la > lb:
        a, b = b, a
    return any(b[:i] + b[i + 1 :] == a for i in range(len(a) + 1))


def _deletes(word: str) -> set[str]:
    """``word`` and every string one deleted letter away from it."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


@dataclass(frozen=True)
class Query:
    """A parsed search: free words (in any field) and words per field."""

    free: tuple[str, ...] = ()
    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.free and not any(w for _, w in self.fields)


class SearchIndex:
    """Postings of the words of every track's title, artists and album (per
    field and for any field) over one provider's listing."""

    def __init__(self, tracks: Sequence[CatalogTrack]) -> None:
        self.tracks = list(tracks)
        self._postings: dict[str, dict[str, list[int]]] = {f: {} for f in (*FIELDS, "any")}
        self._title_len: list[int] = []
        self._deletes: dict[str, list[str]] | None = None
        self._sets: dict[tuple[str, str, bool], frozenset[int]] = {}
        """Posting sets of the words queries used (built on first use, kept)."""
        for doc, track in enumerate(self.tracks):
            texts = {
                "title": words(track.title),
                "artist": words(" ".join(track.artists)),
                "album": words(track.album),
            }
            self._title_len.append(len(texts["title"]))
            every: set[str] = set()
            for name, found in texts.items():
                for word in dict.fromkeys(found):
                    self._postings[name].setdefault(word, []).append(doc)
                every.update(found)
            for word in every:
                self._postings["any"].setdefault(word, []).append(doc)

    def __len__(self) -> int:
        return len(self.tracks)

    # -- fuzzy vocabulary ---------------------------------------------------------------
    def _neighbours(self, word: str) -> list[str]:
        """Indexed words one edit from ``word`` (symmetric-delete lookup)."""
        if self._deletes is None:
            deletes: dict[str, list[str]] = {}
            for known in self._postings["any"]:
                if len(known) >= FUZZY_MIN_LENGTH - 1:
                    for variant in _deletes(known):
                        deletes.setdefault(variant, []).append(known)
            self._deletes = deletes
        found = {k for v in _deletes(word) for k in self._deletes.get(v, ())}
        return sorted(k for k in found if _one_edit(word, k))

    # -- search ---------------------------------------------------------------------------
    def _docs(self, field: str, word: str, fuzzy: bool) -> frozenset[int]:
        fuzzy = fuzzy and len(word) >= FUZZY_MIN_LENGTH
        key = (field, word, fuzzy)
        found = self._sets.get(key)
        if found is None:
            postings = self._postings[field]
            if fuzzy:
                found = frozenset(
                    d for near in self._neighbours(word) for d in postings.get(near, ())
                )
            else:
                found = frozenset(postings.get(word, ()))
            self._sets[key] = found
        return found

    def search(self, query: Query, *, fuzzy: bool = False) -> list[CatalogTrack]:
        """Tracks holding every word of ``query`` (in its field, for field
        filters), best first: most words in the title, then the title with the
        fewest other words, then catalogue order."""
        if query.empty:
            return []
        wanted = [("any", w) for w in query.free]
        wanted += [(name, w) for name, field_words in query.fields for w in field_words]
        sets = [self._docs(name, w, fuzzy) for name, w in dict.fromkeys(wanted)]
        sets.sort(key=len)
        if not sets or not sets[0]:
            return []
        hits = set(sets[0])
        for other in sets[1:]:
            hits &= other  # walks the smaller side: the hits so far
            if not hits:
                return []
        title_words = set(query.free) | {w for n, ws in query.fields if n == "title" for w in ws}
        title_docs = [self._docs("title", w, fuzzy) for w in title_words]

        def rank(doc: int) -> tuple[int, int, int]:
            in_title = sum(doc in docs for docs in title_docs)
            return (-in_title, self._title_len[doc] - in_title, doc)

        return [self.tracks[doc] for doc in sorted(hits, key=rank)]


def parse_free(text: str) -> Query:
    """A query of free words only (TIDAL, YouTube ``q``)."""
    return Query(free=tuple(words(text)))


def field_query(free: Iterable[str], fields: dict[str, str]) -> Query:
    """A query from free text parts and ``{field: text}`` filters."""
    return Query(
        free=tuple(w for part in free for w in words(part)),
        fields=tuple((name, tuple(words(text))) for name, text in fields.items()),
    )
