"""Declining access on the provider says "you declined", not "link expired"
(Deezer answers with ``error_reason``, the others with ``error``); Connections
says when it runs against the sandbox; an upload is previewed before any dry run."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from test_app_connect_transfer import no_errors, page, served  # noqa: F401 - fixture

from engine.sandbox.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from engine.sandbox.server import SandboxServer


@pytest.mark.parametrize("provider", ["deezer", "spotify"])
def test_declining_access_says_you_declined(served: SandboxServer, provider: str) -> None:  # noqa: F811
    at = page("connections")
    at.text_input(key=f"cf_app_{provider}_client_id").set_value(DEFAULT_CLIENT_ID)
    at.text_input(key=f"cf_app_{provider}_secret").set_value(DEFAULT_CLIENT_SECRET)
    at.button(key=f"cf_app_save_{provider}").click().run()
    at.button(key=f"cf_conn_start_{provider}").click().run()
    no_errors(at)
    url = at.session_state[f"cf_conn_url_{provider}"]
    response = httpx.get(url + "&sandbox_deny=1")  # the person clicks "Deny"
    assert response.status_code == 302, response.text
    query = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert ("error_reason" if provider == "deezer" else "error") in query
    back = page("connections", query)
    errors = [e.value for e in back.error]
    assert any(f"you declined access on {provider}" in e for e in errors), errors
    assert not any("expired" in w.value for w in back.warning)


def test_connections_says_sandbox_and_offers_its_test_app(served: SandboxServer) -> None:  # noqa: F811
    at = page("connections")
    assert any("provider sandbox" in i.value for i in at.info)
    at.button(key="cf_app_sandbox_tidal").click().run()
    no_errors(at)
    assert any("tidal: the sandbox's test app is saved" in s.value for s in at.success)
    assert not at.button(key="cf_conn_start_tidal").disabled  # ready to connect
    url = at.session_state.get("cf_conn_url_tidal")
    assert url is None
    at.button(key="cf_conn_start_tidal").click().run()
    no_errors(at)
    response = httpx.get(at.session_state["cf_conn_url_tidal"])
    assert response.status_code == 302, response.text  # the sandbox knows that app


def test_upload_preview_names_format_count_and_warnings(served: SandboxServer) -> None:  # noqa: F811
    at = page("transfer")
    at.radio(key="cf_tr_kind").set_value("file").run()
    messy = b"#EXTM3U\n#EXTINF:abc,Artist - Song\nsong.mp3\n#EXTINF:200,Other - Thing\nthing.mp3\n"
    at.file_uploader(key="cf_tr_upload").upload("messy.m3u8", messy)
    at.run()
    no_errors(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Read as"))
    assert "**m3u**" in caption and "2 track(s)" in caption and "1 warning(s)" in caption
    shown = " ".join(m.value for m in at.markdown)
    assert "messy.m3u8:2: malformed #EXTINF" in shown
