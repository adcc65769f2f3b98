"""Hostile and damaged files: every repair is a warning naming file and line, a
file that yields no track is an error, limits hold, and --strict refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from formats_helpers import FIXTURES

import engine.formats as formats
from engine.errors import FormatError
from engine.formats import ReadLimits

XSPF_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/">\n'
)


def _warnings(result: formats.ReadResult) -> list[tuple[int | None, str]]:
    return [(w.line, w.reason) for w in result.warnings]


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_exportify_with_a_doubled_bom_reads_with_a_warning(tmp_path: Path) -> None:
    original = (FIXTURES / "exportify-old.csv").read_bytes()
    path = _write(tmp_path, "liked.csv", b"\xef\xbb\xbf\xef\xbb\xbf" + original)
    result = formats.load(path)
    assert (result.format, result.variant) == ("exportify", "exportify-original")
    assert result.tracks == formats.load(FIXTURES / "exportify-old.csv").tracks > 0
    assert _warnings(result) == [(1, "2 byte-order marks at the start; removed")]


def test_xspf_raw_ampersand_is_recovered_naming_the_line(tmp_path: Path) -> None:
    body = (
        XSPF_HEAD + "<trackList>\n<track><title>Bridge Over Troubled Water</title>"
        "<creator>Simon & Garfunkel</creator></track>\n"
        "<track><title>Tom &amp; Jerry</title></track>\n</trackList></playlist>\n"
    )
    result = formats.load(_write(tmp_path, "desktop.xspf", body))
    assert result.frame()["artists"].to_list() == [["Simon & Garfunkel"], []]
    assert result.frame()["title"].to_list()[1] == "Tom & Jerry"
    assert _warnings(result) == [(4, "raw '&' (not an XML entity) read as a literal '&'")]


@pytest.mark.parametrize("name", ["billion-laughs.xspf", "external-entity.xspf"])
def test_bombs_stay_refused_even_with_a_raw_ampersand(name: str, tmp_path: Path) -> None:
    data = (FIXTURES / name).read_bytes().replace(b"</playlist>", b"<!-- a & b --></playlist>")
    with pytest.raises(FormatError, match="refused unsafe XML"):
        formats.load(_write(tmp_path, name, data))


def test_xinclude_is_refused(tmp_path: Path) -> None:
    body = (
        XSPF_HEAD.replace('xmlns="', 'xmlns:xi="http://www.w3.org/2001/XInclude" xmlns="')
        + '<trackList><xi:include href="file:///etc/passwd" parse="text"/></trackList>'
        "</playlist>"
    )
    with pytest.raises(FormatError, match="XInclude is not allowed"):
        formats.load(_write(tmp_path, "xi.xspf", body))


def test_xspf_without_tracklist_is_an_error_not_zero_tracks(tmp_path: Path) -> None:
    body = XSPF_HEAD + "<title>Mix</title>\n<track><title>x</title></track>\n</playlist>\n"
    with pytest.raises(FormatError, match=r"no tracks found.*no <trackList>"):
        formats.load(_write(tmp_path, "empty.xspf", body))
    # an explicitly empty trackList is an empty playlist (Crossfade writes those)
    empty = formats.load(_write(tmp_path, "e.xspf", XSPF_HEAD + "<trackList/></playlist>"))
    assert empty.tracks == 0 and empty.warnings == []


def test_xspf_markup_namespace_and_duration_are_reported(tmp_path: Path) -> None:
    body = (
        '<?xml version="1.0"?>\n<playlist version="1">\n<trackList>\n'
        "<track>\n<title>Hey <b>Jude</b></title>\n<duration>3:45</duration>\n</track>\n"
        "<track>\n<title>Let It Be</title>\n<duration>long</duration>\n</track>\n"
        "</trackList>\n</playlist>\n"
    )
    result = formats.load(_write(tmp_path, "bare.xspf", body), "xspf")
    assert result.frame()["title"].to_list() == ["Hey Jude", "Let It Be"]
    assert result.frame()["duration_ms"].to_list() == [225000, None]
    assert _warnings(result) == [
        (2, '<playlist> is not in the XSPF namespace "http://xspf.org/ns/0/"; read as XSPF'),
        (5, "markup inside <title> flattened to its text"),
        (6, "<duration> '3:45' is not an integer; read as 225000 ms"),
        (10, "<duration> 'long' is not milliseconds; ignored"),
    ]


def test_malformed_extinf_and_dangling_extinf_are_reported(tmp_path: Path) -> None:
    body = (
        "#EXTM3U\n#EXTINF:abc,Artist - Song\nsong.mp3\n#EXTINF:120 Nothing after\nb.mp3\n"
        "#EXTINF:60,Gone\n"
    )
    result = formats.load(_write(tmp_path, "list.m3u8", body))
    assert result.frame()["title"].to_list() == ["Song", "b"]
    kept = "kept what could be read"
    assert _warnings(result) == [
        (2, f"malformed #EXTINF (no duration in seconds; unexpected text 'abc'); {kept}"),
        (
            4,
            "malformed #EXTINF (unexpected text 'Nothing after'; no ',' before the title); " + kept,
        ),
        (6, "#EXTINF without a location after it; dropped"),
    ]


def test_m3u_of_only_comments_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no tracks found"):
        formats.load(_write(tmp_path, "c.m3u", "# just a note\n#EXTINF:1,x\n"))
    assert formats.load(_write(tmp_path, "e.m3u", "#EXTM3U\n")).tracks == 0


def test_nul_bytes_are_removed_naming_the_line_never_stored(tmp_path: Path) -> None:
    path = _write(tmp_path, "nul.csv", b"title,artist\nA\x00B,x\nC,y\nD,z\x00\x00\n")
    result = formats.load(path)
    assert result.frame()["title"].to_list() == ["AB", "C", "D"]
    assert result.frame()["artists"].to_list()[2] == ["z"]
    assert _warnings(result) == [(2, "NUL character(s) removed"), (4, "NUL character(s) removed")]
    with pytest.raises(FormatError, match=r"nul\.csv:2: NUL"):
        formats.load(path, strict=True)


def test_lone_surrogate_in_jspf_is_replaced_with_a_warning(tmp_path: Path) -> None:
    track = '{"title": "bad \\ud800 one", "creator": "\\u0000A"}'
    doc = '{"playlist": {"title": "x", "track": [' + track + "]}}"
    result = formats.load(_write(tmp_path, "s.jspf", doc))
    frame = result.frame()
    assert frame["title"].to_list() == ["bad \ufffd one"]
    assert frame["artists"].to_list() == [["A"]]
    assert [(w.pointer, w.reason) for w in result.warnings] == [
        ("/playlist/track/0/title", "lone surrogate (invalid \\u escape) replaced by U+FFFD"),
        ("/playlist/track/0/creator", "NUL character removed from a string"),
    ]
    frame.write_parquet(tmp_path / "ok.parquet")  # storable: no surrogate left


@pytest.mark.parametrize("name", ["deep.jspf", "deep.pif.json", "Playlist1.json"])
def test_deep_json_is_refused_before_parsing(name: str, tmp_path: Path) -> None:
    path = _write(tmp_path, name, "[" * 200_000 + "]" * 200_000)
    with pytest.raises(FormatError, match="nested deeper than 64 levels"):
        formats.load(path)
    problems = formats.validate(path)
    assert [p.message for p in problems] == ["JSON nested deeper than 64 levels"]


def test_json_nesting_within_the_limit_still_reads(tmp_path: Path) -> None:
    extension = {"a": {"b": {"c": {"d": [[["deep but fine"]]]}}}}
    doc = {"playlist": {"track": [{"title": "t", "extension": extension}]}}
    assert formats.load(_write(tmp_path, "ok.jspf", json.dumps(doc))).tracks == 1


def test_long_fields_are_cut_with_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.csv", "title,artist\nshort,a\n" + "x" * 300 + ",b\n")
    result = formats.load(path, limits=ReadLimits(max_field_chars=100))
    assert result.frame()["title"].str.len_chars().to_list() == [5, 100]
    assert [w.line for w in result.warnings] == [3]
    assert "cut to 100" in result.warnings[0].reason


def test_size_and_row_limits_refuse_up_front(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.csv", "title\n" + "a\n" * 50)
    with pytest.raises(FormatError, match="CROSSFADE_READ_MAX_FILE_MB"):
        formats.load(path, limits=ReadLimits(max_file_bytes=20))
    with pytest.raises(FormatError, match=r"50 tracks.*CROSSFADE_READ_MAX_ROWS"):
        formats.load(path, limits=ReadLimits(max_rows=10))


def test_latin1_fallback_names_the_guessed_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, "l.csv", "title,artist\nok,a\nCaf\xe9,b\n".encode("latin-1"))
    result = formats.load(path)
    assert result.frame()["title"].to_list() == ["ok", "Café"]
    assert _warnings(result) == [
        (3, "not valid UTF-8 (first bad byte 0xe9); read as Windows-1252 (guessed encoding)")
    ]


def test_utf16_without_bom_is_guessed(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.txt", "Name\tArtist\nJóga\tBjörk\n".encode("utf-16-le"))
    result = formats.load(path, "csv")
    assert result.frame()["artists"].to_list() == [["Björk"]]
    assert _warnings(result) == [(1, "no byte-order mark; read as UTF-16-LE (guessed encoding)")]


def test_cr_only_lines_and_header_whitespace_are_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "mac.csv", " Title ,Artist\rA,x\rB,y\r")
    result = formats.load(path)
    assert result.frame()["title"].to_list() == ["A", "B"]
    assert _warnings(result) == [
        (1, "lines end in CR only (classic Mac); read as line breaks"),
        (1, "header ' Title ' has surrounding whitespace; read as 'Title'"),
    ]


def test_strict_turns_the_first_warning_into_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "l.m3u", "#EXTM3U\n#EXTINF:x,A - B\na.mp3\n")
    assert len(formats.load(path).warnings) == 1
    with pytest.raises(FormatError, match=r"l\.m3u:2: malformed #EXTINF.*--strict"):
        formats.load(path, strict=True)


def test_warnings_are_capped_with_a_count(tmp_path: Path) -> None:
    body = "#EXTM3U\n" + "#EXTINF:x,A - B\na.mp3\n" * 30
    result = formats.load(_write(tmp_path, "m.m3u", body), limits=ReadLimits(max_warnings=5))
    assert len(result.warnings) == 6
    assert result.warnings[-1].reason == "25 more warning(s) not shown"


def test_validate_reports_reader_warnings(tmp_path: Path) -> None:
    path = _write(tmp_path, "l.m3u", "#EXTM3U\n#EXTINF:x,A - B\na.mp3\n")
    problems = formats.validate(path)
    assert [(p.line, p.message[:17]) for p in problems] == [(2, "malformed #EXTINF")]
