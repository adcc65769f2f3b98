"""The fast PIF check never accepts what the JSON Schema rejects."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.formats.pif import schema
from engine.formats.validation import document_problems, fast_document_ok

_any_scalar = (
    st.none()
    | st.booleans()
    | st.integers(-5, 10**8)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["USRC17123456", "1.0", "2.0", "spotify", "x-1"])
)
_value = st.recursive(
    _any_scalar,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["spotify", "Bad", "a", ""]), inner, max_size=2)
    ),
    max_leaves=6,
)
_track_keys = st.sampled_from(
    [
        "id",
        "position",
        "title",
        "artists",
        "album",
        "duration_ms",
        "isrc",
        "explicit",
        "release_date",
        "provider",
        "provider_id",
        "url",
        "ids",
        "extras",
        "titel",
    ]
)
_track = st.dictionaries(_track_keys, _value, max_size=6) | st.builds(
    lambda d: {"title": "t", **d}, st.dictionaries(_track_keys, _value, max_size=4)
)
_playlist = st.builds(
    lambda tracks, extra: {"tracks": tracks, **extra},
    st.lists(_track, max_size=3),
    st.dictionaries(
        st.sampled_from(["name", "description", "ids", "extras", "x"]), _value, max_size=2
    ),
)
_document = st.builds(
    lambda pif, playlists, extra: {"pif": pif, "playlists": playlists, **extra},
    st.sampled_from(["1.0", "1.12", "2.0", "1.x"]) | _any_scalar,
    st.lists(_playlist, max_size=2),
    st.dictionaries(st.sampled_from(["generator", "created", "other"]), _value, max_size=1),
)


@settings(max_examples=200, deadline=None)
@given(_document)
def test_fast_check_agrees_with_schema(doc: dict[str, Any]) -> None:
    schema_ok = jsonschema.Draft202012Validator(schema()).is_valid(doc)
    if fast_document_ok(doc):
        assert schema_ok
    # and problems are reported whichever path ran
    if not schema_ok:
        assert document_problems(doc)


def test_fast_check_accepts_a_typical_document() -> None:
    doc = {
        "pif": "1.0",
        "playlists": [
            {
                "name": "x",
                "tracks": [
                    {
                        "id": "1",
                        "position": 0,
                        "title": "a",
                        "artists": ["b"],
                        "duration_ms": 1000,
                        "isrc": "USRC17123456",
                        "explicit": True,
                        "ids": {"deezer": "1"},
                        "extras": {"k": "v"},
                    }
                ],
            }
        ],
    }
    assert fast_document_ok(doc)
    assert document_problems(doc) == []
