"""Words that mark version information in titles and albums, as regular expressions.

Kept apart from the code that applies them so that a new tag is one line here.
All patterns run on ASCII-folded, lower-cased text (Rust regex syntax: no look-around).
"""

from __future__ import annotations

STRONG_TAG_PATTERNS: dict[str, str] = {
    "live": r"\b(live|en vivo|ao vivo|en directo|unplugged|concert)\b",
    "remix": r"\b(re-?mix(es|ed)?|rmx|bootleg|rework|re-?edit|dub|vip mix|mix)\b",
    "acoustic": r"\b(acoustic|acustico|unplugged|stripped)\b",
    "instrumental": r"\b(instrumental|inst\.?|karaoke instrumental)\b",
    "karaoke": (
        r"\b(karaoke|in the style of|originally performed by|made famous by|backing track)\b"
    ),
    "cover": r"\b(cover|tribute)\b",
    "sped_up": r"\b(sped up|speed up|spedup|nightcore)\b",
    "slowed": r"\b(slowed|reverb)\b",
    "remaster": r"\b(re-?master(ed)?|remastered \d{4})\b",
    "demo": r"\bdemo\b",
    "acapella": r"\b(a ?cap+ella|vocals only)\b",
    "orchestral": r"\b(orchestral|symphonic)\b",
}
"""Tags that name a different recording (see ``config.STRONG_TAGS``)."""

SOFT_TAG_PATTERNS: dict[str, str] = {
    "edit": r"\b(radio edit|edit|edited version|short version|single edit)\b",
    "extended": r"\b(extended|long version|full length)\b",
    "mono": r"\bmono\b",
    "explicit": r"\b(explicit|explicit version)\b",
    "clean": r"\b(clean|edited|censored)\b",
}
"""Tags that rarely change the recording much; a mismatch costs a little."""

NEUTRAL_WORDS = (
    r"\b(album version|single version|main version|original version|original mix|"
    r"bonus( track)?|deluxe( edition| version)?|expanded( edition)?|anniversary( edition)?|"
    r"special edition|version|edition|official( music)? (video|audio)|official|music video|"
    r"video|lyric(s)?( video)?|visuali[sz]er|audio|hd|hq|4k|stereo|from .+|"
    r"feat\.?|ft\.?|featuring|with|prod\.?( by)?|produced by|\+ ?video|digital booklet|"
    r"amazon version|itunes version|bonus version|\d{4} version|ep|single)\b"
)
"""Bracket words that say nothing about the recording; such brackets are dropped."""

SUFFIX_WORDS = (
    r"\b(album version|single version|original version|original mix|bonus track|"
    r"\d{4} (mix|version|remaster)|mono version|stereo version|single|ep)\b"
)
"""Neutral words that may open a version suffix after a dash ("- Single Version").
Narrower than ``NEUTRAL_WORDS``: "Artist - From Now On" must stay an artist and a title."""

# Mix names that are the ordinary recording, removed before looking for "mix".
PLAIN_MIX = r"\b(original|album|radio|main|single|clean|explicit|stereo) mix\b"

FEAT = r"\b(?:feat\.?|ft\.?|featuring|with)\s+"
"""Words that introduce featured artists."""

ARTIST_SEPARATORS = (
    r"\s*(?:,|;|&|/|\+|\s(?:feat\.?|ft\.?|featuring|with|and|x|vs\.?|et|y|und)\s)\s*"
)
"""Where an artist credit is split into names."""
