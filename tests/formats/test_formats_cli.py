"""``crossfade convert / validate / inspect``: exit codes 0/1/2 and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from formats_helpers import FIXTURES, rows

import engine.formats as formats
from engine.cli import main


def test_convert_m3u_to_pif_and_back_to_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pif = tmp_path / "out.pif.json"
    assert main(["convert", str(FIXTURES / "extended.m3u8"), str(pif)]) == 0
    assert "wrote 4 tracks in 1 playlist(s)" in capsys.readouterr().out
    assert rows(formats.read(pif)) == rows(formats.read(FIXTURES / "extended.m3u8"))
    out = tmp_path / "out.txt"
    assert main(["convert", str(pif), str(out), "--to", "csv"]) == 0
    assert formats.detect_format(out) == "csv"


def test_convert_with_from_overrides_sniffing(tmp_path: Path) -> None:
    source = tmp_path / "list.txt"
    source.write_text("Song,Artist\nYellow,Coldplay\n", "utf-8")
    target = tmp_path / "list.m3u8"
    assert main(["convert", str(source), str(target), "--from", "csv"]) == 0
    assert "#EXTINF:-1,Coldplay - Yellow" in target.read_text("utf-8")


def test_validate_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES / "two-playlists.pif.json")]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["validate", str(FIXTURES / "broken.pif.json")]) == 1
    captured = capsys.readouterr()
    assert "/playlists/0/tracks/3/position" in captured.out
    assert captured.err.strip().splitlines() == [
        f"crossfade: error: {FIXTURES / 'broken.pif.json'}: 12 problem(s) found"
    ]


def test_inspect_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(FIXTURES / "generic.csv")]) == 0
    out = capsys.readouterr().out
    assert "with ISRC" in out
    assert "problems found: 1" in out
    assert "unreadable isrc 'NOT-AN-ISRC'" in out


def test_bad_input_is_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Colour,Shape\nred,round\n", "utf-8")
    assert main(["convert", str(bad), str(tmp_path / "x.pif.json")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "bad.csv:1" in err and "title" in err
    assert not (tmp_path / "x.pif.json").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["convert", str(FIXTURES / "generic.csv")]) == 2
    assert main(["inspect"]) == 2


def test_unknown_output_format_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", str(FIXTURES / "generic.csv"), str(tmp_path / "x.docx")]) == 1
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["convert", str(FIXTURES / "generic.csv"), str(tmp_path / "x"), "--to", "wav"]) == 1
    assert "unknown format 'wav'" in capsys.readouterr().err


def test_convert_splits_several_playlists_for_one_playlist_formats(tmp_path: Path) -> None:
    source = FIXTURES / "Playlist1.json"
    assert main(["convert", str(source), str(tmp_path / "out.m3u8")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out-Podcasts-to-finish.m3u8",
        "out-Summer-23.m3u8",
    ]
    summer = formats.read_playlists(tmp_path / "out-Summer-23.m3u8")
    assert [p.name for p in summer] == ["Summer '23"]
    assert main(["convert", str(source), str(tmp_path / "all.m3u8"), "--merge"]) == 0
    assert formats.read(tmp_path / "all.m3u8").height == 4
    assert main(["convert", str(source), str(tmp_path / "all.csv")]) == 0  # CSV holds several
    assert [p.name for p in formats.read_playlists(tmp_path / "all.csv")] == [
        "Summer '23",
        "Podcasts to finish",
    ]


def test_inspect_an_unreadable_file_lists_its_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(FIXTURES / "broken.pif.json")]) == 1
    captured = capsys.readouterr()
    assert "problems found: 12" in captured.out
    assert "/playlists/0/tracks/2: unknown field 'titel'" in captured.out
    assert "cannot be read as pif" in captured.err


def test_warnings_reach_stderr_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "list.m3u"
    source.write_text("#EXTM3U\n#EXTINF:x,A - B\na.mp3\n", "utf-8")
    assert main(["convert", str(source), str(tmp_path / "out.pif.json")]) == 0
    captured = capsys.readouterr()
    assert f"warning: {source}:2: malformed #EXTINF" in captured.err
    assert "read with 1 warning(s)" in captured.out
    assert main(["convert", str(source), str(tmp_path / "o.pif.json"), "--strict"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--strict" in err[0] and ":2:" in err[0]
    assert main(["validate", str(source)]) == 1
    assert f"{source}: line 2: malformed #EXTINF" in capsys.readouterr().out


def test_inspect_names_format_and_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(FIXTURES / "exportify-2024.csv")]) == 0
    out = capsys.readouterr().out
    assert "format: exportify, exportify-2024" in out
    assert "warnings: 0" in out
