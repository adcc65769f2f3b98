"""The normaliser on real-world title and artist variants."""

from __future__ import annotations

import pytest

from engine.frame import tracks_frame
from engine.matching import normalize_frame
from engine.matching.normalize import fold_text, title_numbers

# (title, artists, album) -> (n_title, n_artists, n_tags, n_soft, n_explicit)
CASES = [
    (
        "Hey Jude - Remastered 2015",
        ["The Beatles"],
        None,
        ("hey jude", ["the beatles"], "remaster", "", None),
    ),
    (
        "Daft Punk - Get Lucky (Official Video) ft. Pharrell Williams",
        [],
        None,
        ("get lucky", ["daft punk", "pharrell williams"], "", "", None),
    ),
    (
        "Get Lucky (Official Video)",
        ["Daft Punk - Topic"],
        None,
        ("get lucky", ["daft punk"], "", "", None),
    ),
    ("Adele - Hello", ["Adele"], None, ("hello", ["adele"], "", "", None)),
    ("002-Yesterday", ["The Beatles"], None, ("yesterday", ["the beatles"], "", "", None)),
    ("01. Intro", ["The xx"], None, ("intro", ["the xx"], "", "", None)),
    ("99 Problems", ["JAY-Z"], None, ("99 problems", ["jay z"], "", "", None)),
    ("1-800-273-8255", ["Logic"], None, ("1 800 273 8255", ["logic"], "", "", None)),
    (
        "Illusion ( feat . Echosmith )",
        ["Zedd"],
        None,
        ("illusion", ["zedd", "echosmith"], "", "", None),
    ),
    (
        "Stay With Me [feat. Mary J. Blige]",
        ["Sam Smith"],
        None,
        ("stay with me", ["sam smith", "mary j blige"], "", "", None),
    ),
    (
        "Sicko Mode featuring Drake",
        ["Travis Scott"],
        None,
        ("sicko mode", ["travis scott", "drake"], "", "", None),
    ),
    (
        "Gone ( Album Version ( Edited ) ) [ Clean ]",
        ["The Weeknd"],
        None,
        ("gone", ["the weeknd"], "", "", False),
    ),
    ("HUMBLE. [Explicit]", ["Kendrick Lamar"], None, ("humble", ["kendrick lamar"], "", "", True)),
    ("Halo (Live at Wembley)", ["Beyoncé"], None, ("halo", ["beyonce"], "live", "", None)),
    (
        "Over When It's Over",
        ["Eric Church"],
        "Caught In The Act: Live",
        ("over when its over", ["eric church"], "live", "", None),
    ),
    (
        "Firefly (Bravado Dubstep Remix)",
        ["Ed Sheeran"],
        None,
        ("firefly", ["ed sheeran"], "remix", "", None),
    ),
    ("Levels (Original Mix)", ["Avicii"], None, ("levels", ["avicii"], "", "", None)),
    ("Wonderwall (Radio Edit)", ["Oasis"], None, ("wonderwall", ["oasis"], "", "edit", None)),
    (
        "Shallow (Karaoke Version) [In the Style of Lady Gaga]",
        ["Karaoke Hits"],
        None,
        ("shallow", ["karaoke hits"], "karaoke", "", None),
    ),
    (
        "Blinding Lights (Sped Up)",
        ["The Weeknd"],
        None,
        ("blinding lights", ["the weeknd"], "sped_up", "", None),
    ),
    ("Creep (Acoustic)", ["Radiohead"], None, ("creep", ["radiohead"], "acoustic", "", None)),
    (
        "Clair de Lune - Instrumental",
        ["Debussy"],
        None,
        ("clair de lune", ["debussy"], "instrumental", "", None),
    ),
    (
        "Tu Boca (Deluxe Version)",
        ["Sebastián Yatra"],
        None,
        ("tu boca", ["sebastian yatra"], "", "", None),
    ),
    (
        "Turn Around ( 5,4,3,2,1 )",
        ["Flo Rida"],
        None,
        ("turn around 5 4 3 2 1", ["flo rida"], "", "", None),
    ),
    ("Человек и кошка", ["Ноль"], None, ("chelovek i koshka", ["nol"], "", "", None)),
    ("夜に駆ける", ["YOASOBI"], None, ("ye niqu keru", ["yoasobi"], "", "", None)),
    ("Déjà Vu", ["Olivia Rodrigo"], None, ("deja vu", ["olivia rodrigo"], "", "", None)),
    (
        "The Back Roads & The Back Row",
        ["Cole Swindell"],
        None,
        ("the back roads and the back row", ["cole swindell"], "", "", None),
    ),
    (
        "Under Pressure",
        ["Queen & David Bowie"],
        None,
        ("under pressure", ["queen", "david bowie"], "", "", None),
    ),
    (
        "Rain On Me",
        ["Lady Gaga, Ariana Grande"],
        None,
        ("rain on me", ["lady gaga", "ariana grande"], "", "", None),
    ),
    (
        "Fake Love",
        ["Drake x Future / Lil Wayne"],
        None,
        ("fake love", ["drake", "future", "lil wayne"], "", "", None),
    ),
    (
        "Devlin Khalifa - Let's Go Dirty (Official Video)",
        [],
        None,
        ("lets go dirty", ["devlin khalifa"], "", "", None),
    ),
    (
        "Artist - Song From Paris",
        [],
        None,
        ("song from paris", ["artist"], "", "", None),
    ),
    ("Song - 2011 Remaster", ["A"], None, ("song", ["a"], "remaster", "", None)),
    (
        "Bigger Than (feat. Beyoncé © , Rihanna)",
        ["Silk"],
        None,
        ("bigger than", ["silk", "beyonce c", "rihanna"], "", "", None),
    ),
    (
        "Crack In the Pearl , Pt . II",
        ["Mark Ronson"],
        None,
        ("crack in the pearl pt ii", ["mark ronson"], "", "", None),
    ),
]


@pytest.mark.parametrize(("title", "artists", "album", "expected"), CASES)
def test_normalize_variants(
    title: str, artists: list[str], album: str | None, expected: tuple[object, ...]
) -> None:
    frame = normalize_frame(tracks_frame([{"title": title, "artists": artists, "album": album}]))
    row = frame.select("n_title", "n_artists", "n_tags", "n_soft", "n_explicit").row(0)
    assert row == expected


def test_normalize_keeps_rows_and_order() -> None:
    titles = [f"Song {i} (Live)" if i % 3 == 0 else f"Song {i}" for i in range(50)]
    frame = normalize_frame(
        tracks_frame([{"id": f"t{i}", "title": t, "artists": ["A"]} for i, t in enumerate(titles)])
    )
    assert frame["id"].to_list() == [f"t{i}" for i in range(50)]
    assert frame["n_title"].to_list() == [f"song {i}" for i in range(50)]
    assert frame["n_tags"].to_list() == ["live" if i % 3 == 0 else "" for i in range(50)]


def test_carried_data_is_cut_from_the_head() -> None:
    frame = normalize_frame(
        tracks_frame([{"title": "Halcyon Ellie Goulding $ 1.29 (C) 2013 Polydor 3:24"}])
    )
    assert frame["n_head"][0] == "halcyon ellie goulding"
    assert frame["n_duration"][0] == 204_000


def test_empty_and_null_values() -> None:
    frame = normalize_frame(tracks_frame([{"title": None, "artists": []}]))
    assert frame.select("n_title", "n_artist", "n_album", "n_tags").row(0) == ("", "", "", "")
    assert fold_text(None) == ""
    assert fold_text("Ærø") == "aero"


def test_title_numbers() -> None:
    assert title_numbers("crack in the pearl pt ii") == ["pt ii"]
    assert title_numbers("22") == ["22"]
    assert title_numbers("take ii there") == []


@pytest.mark.parametrize(
    ("title", "n_title", "n_tags"),
    [
        # "Live" followed by ordinary title words is part of the title, not a version.
        ("Kenny Chesney - Live a Little (Lyrics)", "kenny chesney live a little", ""),
        ("Song - Live Forever", "song live forever", ""),
        ("Song - Live and Let Die", "song live and let die", ""),
        # A live suffix: alone, with a venue, a year, a kind of recording or a bracket.
        ("Song - Live", "song", "live"),
        ("Song - Live at Wembley 1986", "song", "live"),
        ("Song - Live 2004", "song", "live"),
        ("Song - Live Version", "song", "live"),
        ("Song - Live (Bonus Track)", "song", "live"),
        ("Song - En Vivo", "song", "live"),
        ("Song - 2011 Remaster", "song", "remaster"),
    ],
)
def test_live_opens_a_dash_suffix_only_as_a_version(title: str, n_title: str, n_tags: str) -> None:
    frame = normalize_frame(tracks_frame([{"title": title, "artists": ["Someone Else"]}]))
    assert frame.select("n_title", "n_tags").row(0) == (n_title, n_tags)
