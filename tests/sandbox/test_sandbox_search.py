"""Search in the sandbox as the documents describe it: tolerant of case,
accents, punctuation and word order; field filters; Deezer's fuzzy mode; and
strict where the documents rule things out (market / countryCode codes, the
JSON:API Accept header, TIDAL's filter[query])."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sandbox_helpers import URLS, OpenApiDoc, bearer

from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.catalog import catalog_from_records
from engine.sandbox.search_index import SearchIndex, field_query, parse_free
from engine.sandbox.state import SandboxConfig
from engine.sandbox.tidal_library import query_of, search_id

JSONAPI = "application/vnd.api+json"


@pytest.fixture(scope="module")
def real() -> Sandbox:
    return Sandbox.from_catalog(sample_path(CATALOG), config=SandboxConfig(deezer_quota=None))


@pytest.fixture
def http(real: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=real.transport()) as client:
        yield client


def spotify_titles(http: httpx.Client, real: Sandbox, q: str, **extra: Any) -> list[str]:
    response = http.get(
        f"{URLS['spotify']['api']}/search",
        params={"q": q, "type": "track", "limit": 10, **extra},
        headers=bearer(real, "spotify"),
    )
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()["tracks"]["items"]]


def deezer_titles(http: httpx.Client, real: Sandbox, q: str, **extra: Any) -> list[str]:
    response = http.get(
        f"{URLS['deezer']['api']}/search/track",
        params={"q": q, "access_token": real.issue_token("deezer", "alice").access_token, **extra},
    )
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()["data"]]


def youtube_titles(http: httpx.Client, real: Sandbox, q: str) -> list[str]:
    response = http.get(
        f"{URLS['youtube']['api']}/search",
        params={"part": "snippet", "q": q, "type": "video", "maxResults": 10},
        headers=bearer(real, "youtube"),
    )
    assert response.status_code == 200, response.text
    return [i["snippet"]["title"] for i in response.json()["items"]]


def tidal_get(
    http: httpx.Client, real: Sandbox, path: str, params: dict[str, Any], **headers: str
) -> httpx.Response:
    return http.get(
        f"{URLS['tidal']['api']}{path}",
        params=params,
        headers={**bearer(real, "tidal"), "Accept": JSONAPI, **headers},
    )


def test_case_accents_punctuation_and_word_order_do_not_matter(
    http: httpx.Client, real: Sandbox
) -> None:
    for q in ("beyonce deja vu", "VU DÉJÀ Beyoncé", "deja-vu, beyonce!"):
        assert "Déjà Vu" in spotify_titles(http, real, q)
        assert "Déjà Vu" in deezer_titles(http, real, q, strict="on")
        assert any("Déjà Vu" in t for t in youtube_titles(http, real, q))
    assert "Pour que tu m'aimes encore" in spotify_titles(http, real, "pour que tu maimes encore")
    # every word must be somewhere: an unknown word finds nothing
    assert spotify_titles(http, real, "beyonce deja vu zzyzx") == []


def test_spotify_field_filters(http: httpx.Client, real: Sandbox) -> None:
    assert (
        spotify_titles(http, real, 'track:"ace of spades" artist:motorhead')[0] == "Ace of Spades"
    )
    # a field filter holds its words to that field: the album is called "Ace of Spades" too,
    # but no track of Stromae's is
    assert spotify_titles(http, real, 'track:"ace of spades" artist:stromae') == []
    assert spotify_titles(http, real, "artist:stromae album:cheese")
    assert "Alors on danse" in spotify_titles(http, real, "artist:stromae year:2010")
    assert spotify_titles(http, real, "artist:stromae year:1950-1960") == []
    track = next(t for t in real.catalog.listing("spotify") if t.title == "Jóga")
    assert spotify_titles(http, real, f"isrc:{track.isrc}") == ["Jóga"]
    assert spotify_titles(http, real, f"isrc:{track.isrc} track:nothing") == []
    assert spotify_titles(http, real, "genre:rock stromae") == []  # no genre data: stricter


def test_deezer_advanced_search_and_fuzzy_mode(http: httpx.Client, real: Sandbox) -> None:
    # (Deezer lists some recordings twice: the album and a compilation)
    assert set(deezer_titles(http, real, 'artist:"stromae" track:"alors on danse"')) == {
        "Alors on danse"
    }
    assert set(deezer_titles(http, real, 'artist:"stromae" track:"alors on dnase"')) == {
        "Alors on danse"
    }  # fuzzy by default
    assert deezer_titles(http, real, 'artist:"stromae" track:"alors on dnase"', strict="on") == []
    track = next(t for t in real.catalog.listing("deezer") if t.title == "Alors on danse")
    seconds = track.duration_ms // 1000
    assert deezer_titles(http, real, f"stromae alors dur_min:{seconds - 1} dur_max:{seconds + 1}")
    assert deezer_titles(http, real, f"stromae alors dur_min:{seconds + 5}") == []
    assert deezer_titles(http, real, f"isrc:{track.isrc}") == []  # no isrc filter in search


def test_spotify_market_must_be_an_iso_code(http: httpx.Client, real: Sandbox) -> None:
    url = f"{URLS['spotify']['api']}/search"
    h = bearer(real, "spotify")
    ok = http.get(url, params={"q": "stromae", "type": "track", "market": "GB"}, headers=h)
    assert ok.status_code == 200
    for market in ("ZZ", "us", "USA", "from_token", ""):
        bad = http.get(url, params={"q": "stromae", "type": "track", "market": market}, headers=h)
        assert bad.status_code == 400, market
        assert bad.json()["error"]["message"] == "Invalid market code"


def test_tidal_country_code_and_accept_header(http: httpx.Client, real: Sandbox) -> None:
    params = {"filter[query]": "stromae", "countryCode": "US"}
    assert tidal_get(http, real, "/searchResults", params).status_code == 200
    for country in ("ZZ", "usa", "us"):
        bad = tidal_get(http, real, "/searchResults", {**params, "countryCode": country})
        assert bad.status_code == 400, country
        assert bad.json()["errors"][0]["source"]["parameter"] == "countryCode"
    refused = tidal_get(http, real, "/searchResults", params, Accept="application/json")
    assert refused.status_code == 406
    assert refused.headers["content-type"].startswith(JSONAPI)
    for accept in ("*/*", f"{JSONAPI}, application/json;q=0.5", "application/*"):
        assert tidal_get(http, real, "/searchResults", params, Accept=accept).status_code == 200
    with_params = tidal_get(http, real, "/searchResults", params, Accept=f"{JSONAPI}; ext=x")
    assert with_params.status_code == 406  # JSON:API: media type parameters are refused


def test_tidal_search_results_take_the_query_as_a_filter(
    http: httpx.Client, real: Sandbox, tidal_doc: OpenApiDoc
) -> None:
    query = "Zoé Unplugged / Música de Fondo"  # a "/" in the query, as in "AC/DC"
    params = {"filter[query]": query, "include": "tracks.artists,tracks.albums"}
    found = tidal_get(http, real, "/searchResults", params)
    assert found.status_code == 200, found.text
    tidal_doc.validate("/searchResults", found)
    [result] = found.json()["data"]
    assert result["type"] == "searchResults" and result["attributes"]["query"] == query
    assert "/" not in result["id"] and query_of(result["id"]) == query
    tracks = result["relationships"]["tracks"]["data"]
    names = {r["attributes"]["title"] for r in found.json()["included"] if r["type"] == "tracks"}
    assert tracks and all(i["type"] == "tracks" for i in tracks)
    assert "Labios Rotos" in names
    # the opaque id pages on through the relationship endpoint
    related = tidal_get(http, real, f"/searchResults/{result['id']}/relationships/tracks", {})
    assert related.status_code == 200
    assert [d["id"] for d in related.json()["data"]] == [t["id"] for t in tracks]
    # a "/" in the path segment splits the path, even encoded: 404, as the real service
    raw = http.get(
        f"{URLS['tidal']['api']}/searchResults/Zo%C3%A9%20Unplugged%20%2F%20M%C3%BAsica"
        "/relationships/tracks",
        headers={**bearer(real, "tidal"), "Accept": JSONAPI},
    )
    assert raw.status_code == 404
    too_long = tidal_get(http, real, "/searchResults", {"filter[query]": "x" * 257})
    assert too_long.status_code == 400
    missing = tidal_get(http, real, "/searchResults", {})
    assert missing.status_code == 400
    assert search_id("a b/c") != search_id("a b c")


def test_the_index_answers_without_scanning() -> None:
    records = [
        {"title": f"Song {i}", "artists": [f"Band {i % 50}"], "album": f"Album {i % 300}"}
        for i in range(5000)
    ]
    catalog = catalog_from_records(records)
    index = catalog.index("spotify")
    assert isinstance(index, SearchIndex) and len(index) == 5000
    assert [t.title for t in index.search(parse_free("song 4321 band 21"))] == ["Song 4321"]
    hits = index.search(field_query([], {"artist": "band 7", "album": "album 7"}))
    assert {t.title for t in hits} == {
        f"Song {i}" for i in range(5000) if i % 300 == 7 and i % 50 == 7
    }
    assert index.search(field_query(["sogn"], {"artist": "band 3"}), fuzzy=True)
    assert not index.search(field_query(["sogn"], {"artist": "band 3"}))
