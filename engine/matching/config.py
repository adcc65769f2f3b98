"""Every tolerance, threshold and rule of the matcher, in one named object.

The score is the learned model's calibrated probability that two records are the
same recording (``engine.matching.model``); ``auto_threshold`` and
``review_threshold`` cut it into the tiers ``auto`` / ``review`` / ``none``, and
the rules below hold a pair back from ``auto`` whatever the model says.

>>> MatchConfig().auto_threshold
0.8
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


HARD_TAGS: frozenset[str] = STRONG_TAGS - frozenset({"remix", "remaster", "demo"})
"""Strong tags that are never forgiven: a live, karaoke, cover, instrumental,
acoustic... version on one side only is never ``auto`` for a studio recording."""


@dataclass(frozen=True)
class MatchConfig:
    """Tolerances, thresholds and rules of the matcher; immutable, pass it in."""

    duration_full_ms: int = 3_000
    """Durations closer than this agree fully (the ``part_duration`` shown)."""
    duration_zero_ms: int = 20_000
    """Durations this far apart (or more) do not agree at all; linear in between."""
    exact_duration_ms: int = 5_000
    """Ladder rung 3: equal normalised title and primary artist within this duration."""

    same_length_tags: frozenset[str] = frozenset({"remix", "remaster", "demo"})
    """Strong tags that one store often drops from its title: on one side only, but with
    durations within ``duration_full_ms``, the pair may still be ``auto``.
    Live, karaoke, cover, instrumental, acoustic... are never forgiven."""
    base_title_factor: float = 0.96
    """Weight of the title compared without any bracketed subtitle (one store may drop it)."""
    dirty_prefix_chars: int = 8
    """Two carrying titles that begin with the same words (this many characters or more)..."""
    dirty_prefix_score: float = 0.9
    """...get this title similarity."""
    dirty_title_factor: float = 0.95
    """Weight of a title found as the leading words of a title that carries other fields."""
    number_mismatch_factor: float = 0.75
    """Title part multiplier when the titles carry different numbers ("Pt. II", "No. 5")."""

    auto_threshold: float = 0.8
    """Probability at or above which a pair is ``auto`` (matched without asking)."""
    review_threshold: float = 0.2
    """Probability at or above (and below ``auto_threshold``): ``review``."""
    artist_gate: float = 0.5
    """Artists less similar than this disagree: such a pair is never ``auto`` unless
    the ISRCs agree (a common title by an unrelated artist)."""
    title_auto_min: float = 0.8
    """Titles less similar than this (also when searched for inside a title that
    carries other fields) are never ``auto``: artist, album and duration agreeing
    never make up for a different title."""
    title_review_min: float = 0.55
    """Titles less similar than this are not even ``review``: the probability shown is
    capped below ``review_threshold``."""
    auto_margin: float = 0.15
    """A pair is ``auto`` only when its probability beats the best candidate of another
    title or artist by this much (the runner-up is not nearly as good)."""
    model_path: str = ""
    """A model file to score with instead of the shipped one (``crossfade matcher
    retrain`` writes one); empty = the model shipped in the package."""

    max_block: int = 300
    """A blocking key shared by more catalogue rows than this is refined or dropped."""
    max_candidates: int = 12
    """Candidates per source track kept for the model, ranked by a quick score over
    title and artist together (ISRC-equal and curated pairs are always kept)."""
    rare_tokens: int = 3
    """How many of a title's rarest tokens are used as blocking keys."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes carried along (never read by the matcher)."""

    def __post_init__(self) -> None:
        if not 0 < self.review_threshold <= self.auto_threshold <= 1:
            raise UsageError(
                "MatchConfig: need 0 < review_threshold <= auto_threshold <= 1, got "
                f"{self.review_threshold} and {self.auto_threshold}"
            )
        if not 0 <= self.auto_margin < 1:
            raise UsageError(f"MatchConfig: auto_margin must be in [0, 1), got {self.auto_margin}")
        if self.duration_zero_ms <= self.duration_full_ms:
            raise UsageError("MatchConfig: duration_zero_ms must exceed duration_full_ms")

    def with_(self, **changes: Any) -> MatchConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


DEFAULT_CONFIG = MatchConfig()
