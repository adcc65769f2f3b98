"""The readers for files people bring from other services: streaming histories
as play-count tables, iTunes libraries with their playlists, text lists of links."""

from __future__ import annotations

from pathlib import Path

import pytest
from formats_helpers import FIXTURES

import engine.formats as formats
from engine.cli import main
from engine.errors import FormatError, UsageError
from engine.formats import streaming, text_list

EXTENDED = FIXTURES / "Streaming_History_Audio_2023-2024_0.json"
BASIC = FIXTURES / "StreamingHistory_music_0.json"


def test_extended_history_gives_plays_and_a_most_played_table() -> None:
    plays = streaming.plays(str(EXTENDED))
    assert plays.height == 3  # the podcast episode is not a track
    assert "username" not in plays.columns and "ip_addr_decrypted" not in plays.columns
    top = streaming.play_counts(plays, year=2024)
    assert top.select("artist", "title", "plays", "ms_played").rows() == [
        ("Daft Punk", "Get Lucky (feat. Pharrell Williams and Nile Rodgers)", 1, 248413),
        ("Björk", "Jóga", 1, 12034),
    ]
    everything = streaming.play_counts(plays)
    assert everything.row(0, named=True)["plays"] == 2
    assert everything.row(0, named=True)["uri"] == "spotify:track:3A5JyI1QmBFIs0ASbzmhfu"


def test_basic_history_counts_plays_per_track() -> None:
    result = formats.load(BASIC)
    assert (result.format, result.variant) == ("spotify-history", "spotify-account")
    frame = result.frame()
    assert frame["artists"].to_list()[2] == ["Tyler, The Creator"]  # one artist, never split
    top = streaming.play_counts(streaming.plays(str(BASIC)), limit=1)
    assert top.select("title", "plays", "first_played").row(0) == ("Jóga", 2, "2023-12-31 23:58")


def test_history_cannot_be_written(tmp_path: Path) -> None:
    frame = formats.read(BASIC)
    with pytest.raises(UsageError, match="can be read but not written"):
        formats.write(frame, tmp_path / "x.json", "spotify-history")
    assert "spotify-history" not in formats.writable_formats()


def test_itunes_library_keeps_playlists_counts_ratings_and_ids() -> None:
    result = formats.load(FIXTURES / "Library.xml")
    assert (result.format, result.variant) == ("itunes", "music-app")
    names = [p.name for p in result.playlists]
    assert names == ["Library", "Saturday Night", "Top Rated"]  # the folder holds no tracks
    saturday = result.playlists[1]
    assert saturday.extras["itunes.parent_persistent_id"] == "AB00000000000010"
    lucky = "Get Lucky (feat. Pharrell Williams & Nile Rodgers)"
    assert saturday.tracks["title"].to_list() == ["September", lucky]
    jóga = result.playlists[0].tracks.row(0, named=True)
    extras = dict((e["key"], e["value"]) for e in jóga["extras"])
    kept = (extras["plays"], extras["rating"], extras["itunes.persistent_id"])
    assert kept == ("42", "100", "9A1B2C3D4E5F6071")
    assert [(w.pointer, w.reason[:31]) for w in result.warnings] == [
        ("/Playlists/2/Playlist Items/2", "playlist 'Saturday Night' names")
    ]


def test_itunes_library_refuses_entity_declarations(tmp_path: Path) -> None:
    text = (FIXTURES / "Library.xml").read_text("utf-8")
    bomb = text.replace(
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
        '"x" [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>',
    ).replace("<string>Jóga</string>", "<string>&lol2;</string>")
    path = tmp_path / "Library.xml"
    path.write_text(bomb, "utf-8")
    with pytest.raises(FormatError, match="entity"):
        formats.load(path, "itunes")


def test_link_lists_keep_ids_until_a_provider_resolves_them() -> None:
    result = formats.load(FIXTURES / "links.txt")
    assert (result.format, result.variant) == ("text", "links")
    frame = result.frame()
    assert frame.select("provider", "provider_id").rows()[:3] == [
        ("spotify", "4uLU6hMCjMI75M1A2tKUQC"),
        ("spotify", "3A5JyI1QmBFIs0ASbzmhfu"),
        ("deezer", "3135556"),
    ]
    assert text_list.unresolved(frame).height == 6


def test_inspect_names_the_new_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(EXTENDED)]) == 0
    out = capsys.readouterr()
    assert "format: spotify-history, spotify-extended" in out.out
    assert "podcast episode plays skipped" in out.err
    assert main(["inspect", str(FIXTURES / "artist-title.txt")]) == 0
    assert "format: text, artist-title" in capsys.readouterr().out
