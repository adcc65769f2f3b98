"""Every weight, tolerance and threshold of the matcher, in one named object.

The fuzzy score is a weighted mean of the named parts that both records know
(title, artists, album, duration), minus penalties for disagreeing version tags
and explicit flags. Two thresholds cut it into the tiers ``auto`` / ``review`` /
``none``. Defaults were tuned on the iTunes-Amazon ``train`` split (see
``docs/matching.md``).

>>> MatchConfig().auto_threshold
0.82
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from engine.errors import UsageError

STRONG_TAGS: frozenset[str] = frozenset(
    {
        "live",
        "remix",
        "acoustic",
        "instrumental",
        "karaoke",
        "cover",
        "sped_up",
        "slowed",
        "remaster",
        "demo",
        "acapella",
        "orchestral",
    }
)
"""Version tags naming a different recording: on one side only they are a strong penalty."""


@dataclass(frozen=True)
class MatchConfig:
    """Weights, tolerances and thresholds of the matcher; immutable, pass it in."""

    weight_title: float = 0.45
    """Weight of the title similarity in the weighted mean."""
    weight_artists: float = 0.25
    """Weight of the artist-list similarity."""
    weight_album: float = 0.08
    """Weight of the album similarity (low: one recording sits on many albums)."""
    weight_duration: float = 0.22
    """Weight of the duration agreement."""

    duration_full_ms: int = 3_000
    """Durations closer than this agree fully."""
    duration_zero_ms: int = 20_000
    """Durations this far apart (or more) do not agree at all; linear in between."""
    exact_duration_ms: int = 5_000
    """Ladder rung 3: equal normalised title and primary artist within this duration."""

    version_penalty: float = 0.35
    """Subtracted when a strong version tag (live, remix, karaoke...) is on one side only.
    Must exceed ``1 - auto_threshold`` so that such a pair is never ``auto``."""
    same_length_tags: frozenset[str] = frozenset({"remix", "remaster", "demo"})
    """Strong tags that one store often drops from its title: on one side only, but with
    durations within ``duration_full_ms``, they cost ``same_length_version_penalty``.
    Live, karaoke, cover, instrumental, acoustic... are never forgiven."""
    same_length_version_penalty: float = 0.1
    """Penalty for a forgiven tag (see ``same_length_tags``)."""
    soft_version_penalty: float = 0.04
    """Subtracted when only soft tags (edit, extended, mono...) disagree."""
    explicit_penalty: float = 0.03
    """Subtracted when the explicit flags are known on both sides and differ."""
    base_title_factor: float = 0.96
    """Weight of the title compared without any bracketed subtitle (one store may drop it)."""
    dirty_prefix_chars: int = 8
    """Two carrying titles that begin with the same words (this many characters or more)..."""
    dirty_prefix_score: float = 0.9
    """...get this title score: enough for auto only when everything else agrees."""
    dirty_title_factor: float = 0.95
    """Weight of a title found as the leading words of a title that carries other fields."""
    title_gate: float = 0.55
    """A pair whose title part is below this is capped under the review threshold."""
    artist_gate: float = 0.5
    """A pair whose artists disagree (part below this) and whose titles are not close
    (below ``title_auto_min``) is capped under the review threshold."""
    number_mismatch_factor: float = 0.75
    """Title part multiplier when the titles carry different numbers ("Pt. II", "No. 5")."""
    title_auto_min: float = 0.85
    """A pair whose title part is below this is capped under the auto threshold: strong
    artist, album and duration agreement never make up for a different title."""

    auto_threshold: float = 0.82
    """Scores at or above: ``auto`` (matched without asking)."""
    review_threshold: float = 0.6
    """Scores at or above (and below ``auto_threshold``): ``review``."""

    max_block: int = 300
    """A blocking key shared by more catalogue rows than this is refined or dropped."""
    max_candidates: int = 12
    """Candidates per source track kept for full scoring, ranked by a quick title ratio
    (ISRC-equal and curated pairs are always kept)."""
    rare_tokens: int = 3
    """How many of a title's rarest tokens are used as blocking keys."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes carried along (never read by the matcher)."""

    def __post_init__(self) -> None:
        weights = (self.weight_title, self.weight_artists, self.weight_album, self.weight_duration)
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise UsageError("MatchConfig: weights must be >= 0 and not all zero")
        if not 0 < self.review_threshold <= self.auto_threshold <= 1:
            raise UsageError(
                "MatchConfig: need 0 < review_threshold <= auto_threshold <= 1, got "
                f"{self.review_threshold} and {self.auto_threshold}"
            )
        if self.version_penalty <= 1 - self.auto_threshold:
            raise UsageError(
                "MatchConfig: version_penalty must exceed 1 - auto_threshold so that a "
                "live/remix/karaoke version is never auto"
            )
        if self.duration_zero_ms <= self.duration_full_ms:
            raise UsageError("MatchConfig: duration_zero_ms must exceed duration_full_ms")

    def with_(self, **changes: Any) -> MatchConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


DEFAULT_CONFIG = MatchConfig()
