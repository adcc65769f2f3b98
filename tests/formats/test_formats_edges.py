"""Hostile and malformed input, encodings, detection, atomic writes, helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from formats_helpers import FIXTURES, rows
from hypothesis import given
from hypothesis import strategies as st

import engine.formats as formats
from engine.errors import FormatError, UsageError
from engine.formats import split_artists
from engine.formats._common import normalize_isrc, parse_bool, parse_track_link
from engine.formats._io import atomic_write, decode_text
from engine.formats.m3u import guess_from_location
from engine.frame import tracks_frame

# --- hostile XML ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["billion-laughs.xspf", "external-entity.xspf"])
def test_hostile_xspf_is_refused_with_a_clear_error(name: str) -> None:
    with pytest.raises(FormatError) as caught:
        formats.read(FIXTURES / name)
    assert name in str(caught.value)
    assert "refused unsafe XML" in str(caught.value)
    assert "/etc/passwd" not in str(caught.value)


def test_hostile_xspf_without_doctype_keyword_in_head_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "sneaky.xspf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:1/x">]>'
        '<playlist xmlns="http://xspf.org/ns/0/"><trackList><track><title>&e;</title>'
        "</track></trackList></playlist>",
        "utf-8",
    )
    problems = formats.validate(path)
    assert len(problems) == 1 and "refused unsafe XML" in problems[0].message


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.xspf"
    path.write_text(
        '<?xml version="1.0"?>\n<playlist xmlns="http://xspf.org/ns/0/">\n<trackList>\n'
        "<track><title>x</track>\n</trackList></playlist>\n",
        "utf-8",
    )
    with pytest.raises(FormatError) as caught:
        formats.read(path)
    assert caught.value.line == 4


def test_xspf_wrong_root_element(tmp_path: Path) -> None:
    path = tmp_path / "x.xspf"
    path.write_text('<rss version="2.0"></rss>', "utf-8")
    with pytest.raises(FormatError, match="expected <playlist>"):
        formats.read(path)


# --- encodings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xef\xbb\xbfCaf\xc3\xa9\r\n", "Café\n"),
        ("Café\r\n".encode("utf-16"), "Café\n"),
        (b"Caf\xe9\rX", "Café\nX"),  # Latin-1 / Windows-1252, old Mac line ends
        (b"\x93quoted\x94", "\u201cquoted\u201d"),  # Windows-1252 smart quotes
        (b"\x81", "\x81"),  # undefined in cp1252 -> Latin-1
    ],
)
def test_decode_text(data: bytes, text: str) -> None:
    assert decode_text(data) == text


def test_utf16_m3u_reads(tmp_path: Path) -> None:
    path = tmp_path / "w.m3u"
    path.write_bytes("#EXTM3U\r\n#EXTINF:200,Zoé - Labios Rotos\r\nx.mp3\r\n".encode("utf-16"))
    assert rows(formats.read(path))[0]["artists"] == ["Zoé"]


def test_csv_with_bom_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("Title,Artist\nJóga,Björk\n".encode("latin-1"))
    assert rows(formats.read(path))[0]["title"] == "Jóga"
    path.write_bytes(b"\xef\xbb\xbf" + "title,artist\nJóga,Björk\n".encode())
    assert formats.detect_format(path) == "csv"


# --- malformed CSV / JSON ---------------------------------------------------------


def test_csv_row_with_too_many_cells_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("title,artist\na,b\nc,d,e\n", "utf-8")
    result = formats.load(path)
    assert result.tracks == 2
    assert [(w.line, w.reason) for w in result.warnings] == [
        (3, "3 cells in a 2-column file; cells after column 2 dropped")
    ]
    with pytest.raises(FormatError) as caught:
        formats.load(path, strict=True)
    assert caught.value.line == 3


def test_csv_unclosed_quote(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('title,artist\n"abc,def\n', "utf-8")
    with pytest.raises(FormatError, match=r"q\.csv"):
        formats.read(path, "csv")


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("", "utf-8")
    with pytest.raises(FormatError, match="empty file"):
        formats.read(path, "csv")


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("jspf", '{"playlist": []}', "no playlist object"),
        ("jspf", '{"playlist": {"track": {}}}', "track is not a list"),
        ("jspf", '{"playlist": {"track": [1]}}', "track is not an object"),
        ("spotify", '{"other": 1}', "not a Spotify data export"),
        ("spotify", '{"playlists": [{"items": [{"x": 1}]}]}', "item has no track"),
        ("pif", "[1, 2", "invalid JSON"),
    ],
)
def test_malformed_json_formats(tmp_path: Path, fmt: str, text: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text, "utf-8")
    with pytest.raises(FormatError, match=message):
        formats.read(path, fmt)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        formats.read(tmp_path / "nope.csv")
    with pytest.raises(FormatError, match="is a directory"):
        formats.read(tmp_path)


# --- detection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.json", '{"pif": "1.0", "playlists": []}', "pif"),
        ("a.json", '{"playlist": {"title": "x", "track": []}}', "jspf"),
        ("Playlist1.json", '{"playlists": []}', "spotify"),
        ("export.json", '{"playlists": [{"name": "x", "items": []}]}', "spotify"),
        ("a.txt", "#EXTM3U\n", "m3u"),
        ("a.csv", '"Track URI","Track Name"\n', "exportify"),
        ("a.csv", "Song,Artist\n", "csv"),
        ("a.m3u", "/music/a.mp3\n", "m3u"),  # plain list: by extension
        ("a.xml", '<playlist xmlns="http://xspf.org/ns/0/">', "xspf"),
    ],
)
def test_detect_format(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    assert formats.detect_format(path) == expected


def test_undetectable_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n", "utf-8")
    with pytest.raises(FormatError, match="cannot tell the format"):
        formats.read(path)


def test_unknown_format_name() -> None:
    with pytest.raises(UsageError, match="unknown format"):
        formats.by_name("wma")


# --- atomic writes ----------------------------------------------------------------


def test_failed_write_leaves_existing_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "keep.m3u8"
    target.write_text("#EXTM3U\nold.mp3\n", "utf-8")
    frame = tracks_frame([{"title": "x"}])
    with pytest.raises(UsageError):
        formats.write(frame, target, "nope")
    assert target.read_text("utf-8") == "#EXTM3U\nold.mp3\n"


def test_failed_rename_leaves_no_temp_file(tmp_path: Path) -> None:
    blocker = tmp_path / "out.csv"
    blocker.mkdir()
    (blocker / "inside").write_text("x", "utf-8")
    with pytest.raises(OSError):
        atomic_write(blocker, b"data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert (blocker / "inside").read_text("utf-8") == "x"


def test_write_into_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="directory does not exist"):
        formats.write(tracks_frame([{"title": "x"}]), tmp_path / "no" / "x.csv")


def test_written_file_mode_follows_umask(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    formats.write(tracks_frame([{"title": "x"}]), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


# --- helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Queen", ["Queen"]),
        ("Queen, David Bowie", ["Queen", "David Bowie"]),
        ("Queen; David Bowie", ["Queen", "David Bowie"]),
        ("Zedd | Foxes", ["Zedd", "Foxes"]),
        ("Calvin Harris feat. Rihanna", ["Calvin Harris", "Rihanna"]),
        ("Eminem ft. Rihanna", ["Eminem", "Rihanna"]),
        ("Simon & Garfunkel", ["Simon & Garfunkel"]),
        ("AC/DC", ["AC/DC"]),
        ("Tyler, The Creator, Kali Uchis", ["Tyler, The Creator", "Kali Uchis"]),
        ("earth, wind & fire", ["earth, wind & fire"]),
        ("", []),
        (None, []),
    ],
)
def test_split_artists(cell: str | None, expected: list[str]) -> None:
    assert split_artists(cell) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("spotify:track:4uLU6hMCjMI75M1A2tKUQC", ("spotify", "4uLU6hMCjMI75M1A2tKUQC")),
        (
            "https://open.spotify.com/intl-de/track/4uLU6hMCjMI75M1A2tKUQC",
            ("spotify", "4uLU6hMCjMI75M1A2tKUQC"),
        ),
        ("https://www.deezer.com/fr/track/3135556", ("deezer", "3135556")),
        ("https://tidal.com/browse/track/77646168", ("tidal", "77646168")),
        ("https://listen.tidal.com/track/77646168", ("tidal", "77646168")),
        ("https://youtu.be/dQw4w9WgXcQ", ("youtube", "dQw4w9WgXcQ")),
        ("https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=x", ("youtube", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/watch?v=short", None),
        ("https://example.com/track/1", None),
        ("", None),
    ],
)
def test_parse_track_link(link: str, expected: tuple[str, str] | None) -> None:
    assert parse_track_link(link) == expected


def test_isrc_and_bool_normalisation() -> None:
    assert normalize_isrc(" us-rc1-71-23456 ") == "USRC17123456"
    assert normalize_isrc("USRC1712345") is None
    assert normalize_isrc(None) is None
    assert [parse_bool(v) for v in ("Yes", "explicit", "0", "clean", "", "maybe")] == [
        True,
        True,
        False,
        False,
        None,
        None,
    ]


def test_guess_from_location() -> None:
    guess = guess_from_location("file:///home/a/Music/Caf%C3%A9%20Tacvba/Re/07%20La%20Ingrata.mp3")
    assert guess == {"title": "La Ingrata", "artists": ["Café Tacvba"], "album": "Re"}
    assert guess_from_location("C:\\Music\\Motörhead\\Ace of Spades.mp3") == {
        "title": "Ace of Spades",
        "artists": [],
    }


def test_validate_reports_unreadable_values_in_other_formats(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("title,isrc,length\nA,bogus,3:99\nB,USRC17123456,abc\n", "utf-8")
    problems = [str(p) for p in formats.validate(path)]
    assert problems == [
        "/playlists/0/tracks/0/isrc: unreadable isrc 'bogus'",
        "/playlists/0/tracks/0/duration: unreadable duration '3:99'",
        "/playlists/0/tracks/1/duration: unreadable duration 'abc'",
    ]


@pytest.mark.parametrize("name", formats.writable_formats())
def test_preferred_extension_writes_and_detects_the_same_format(name: str, tmp_path: Path) -> None:
    fmt = formats.FORMATS[name]
    path = tmp_path / f"out{fmt.extensions[0]}"
    formats.write(tracks_frame([{"title": "Yellow", "artists": ["Coldplay"]}]), path)
    assert formats.detect_format(path) == name
    assert formats.read(path)["title"].to_list() == ["Yellow"]


def test_content_wins_over_a_misleading_extension(tmp_path: Path) -> None:
    path = tmp_path / "actually-jspf.pif.json"
    path.write_text('{"playlist": {"title": "x", "track": [{"title": "Yellow"}]}}', "utf-8")
    assert formats.detect_format(path) == "jspf"
    plain = tmp_path / "list.m3u"
    plain.write_text("title,artist\n", "utf-8")  # weak CSV sniff loses to the extension
    assert formats.detect_format(plain) == "m3u"


_name = (
    st.text(
        st.characters(categories=("L", "N", "Zs"), exclude_characters="\x00"),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.lists(_name, min_size=1, max_size=4))
def test_split_artists_inverts_semicolon_join(names: list[str]) -> None:
    assert split_artists("; ".join(names)) == names
