"""Sandbox-only control API under ``/_sandbox`` (no real service has these).

Lets tests and benchmarks drive a sandbox that runs as a separate server:

=======  ===========================  =================================================
method   path                         body (JSON) / answer
=======  ===========================  =================================================
GET      /_sandbox/status             counts of tracks, requests, playlists, users
GET      /_sandbox/catalog            ``{"tracks": [{title, artists, isrc, ids}...]}``
GET      /_sandbox/log                ``{"counts": {...}, "records": [...]}``
DELETE   /_sandbox/log                clears the log
POST     /_sandbox/tokens             ``{provider, user?, scopes?}`` -> token pair
POST     /_sandbox/apps               ``{provider, client_id, client_secret, redirect_uris?}``
POST     /_sandbox/expire             ``{provider?, user?}`` -> ``{"expired": n}``
POST     /_sandbox/revoke             ``{provider?, user?}`` -> ``{"revoked": n}``
POST     /_sandbox/faults             ``{spec}`` or ``{rate, kinds, providers?, seed?}``
                                      or ``{fail_next, kind, provider?}``
DELETE   /_sandbox/faults             clears every fault rule
POST     /_sandbox/library            ``{provider, user?, liked?, saved_albums?}``
POST     /_sandbox/playlists          ``{provider, user, name, track_ids?, public?}``
GET      /_sandbox/playlists/{provider}/{id}   ``{"track_ids": [...]}``
=======  ===========================  =================================================
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import httpx

from engine.errors import CrossfadeError
from engine.sandbox.wire import ApiError, SandboxRequest, json_response

if TYPE_CHECKING:
    from engine.sandbox.app import Sandbox


class ControlEndpoints:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle(self, request: SandboxRequest) -> httpx.Response:
        try:
            body = request.json() if request.method in ("POST", "PUT") else None
            if body is not None and not isinstance(body, dict):
                raise ApiError(400, "body must be a JSON object")
            return self._dispatch(request, body or {})
        except ApiError as error:
            return json_response(error.status, {"error": error.message})
        except CrossfadeError as error:
            return json_response(error.status, {"error": str(error)})

    def _dispatch(self, request: SandboxRequest, body: dict[str, Any]) -> httpx.Response:
        sandbox = self.sandbox
        key = (request.method, request.path.rstrip("/") or "/")
        if key == ("GET", "/status"):
            return sandbox.status_response()
        if key == ("GET", "/catalog"):
            tracks = [
                {
                    "title": t.title,
                    "artists": list(t.artists),
                    "album": t.album,
                    "isrc": t.isrc,
                    "duration_ms": t.duration_ms,
                    "ids": dict(t.ids),
                }
                for t in sandbox.catalog.tracks
            ]
            return json_response(200, {"tracks": tracks})
        if key == ("GET", "/log"):
            records = [dataclasses.asdict(r) for r in sandbox.log.records[-1000:]]
            return json_response(200, {"counts": dict(sandbox.log.counts), "records": records})
        if key == ("DELETE", "/log"):
            sandbox.log.clear()
            return json_response(200, {"cleared": True})
        if key == ("POST", "/tokens"):
            pair = sandbox.issue_token(
                _required(body, "provider"), body.get("user") or "sandbox-user", body.get("scopes")
            )
            return json_response(200, dataclasses.asdict(pair))
        if key == ("POST", "/apps"):
            sandbox.register_app(
                _required(body, "provider"),
                _required(body, "client_id"),
                _required(body, "client_secret"),
                body.get("redirect_uris") or (),
            )
            return json_response(200, {"registered": True})
        if key == ("POST", "/expire"):
            return json_response(
                200, {"expired": sandbox.expire_tokens(body.get("provider"), body.get("user"))}
            )
        if key == ("POST", "/revoke"):
            return json_response(
                200,
                {"revoked": sandbox.revoke_refresh_tokens(body.get("provider"), body.get("user"))},
            )
        if key == ("POST", "/faults"):
            return self._faults(body)
        if key == ("DELETE", "/faults"):
            sandbox.faults.clear()
            return json_response(200, {"cleared": True})
        if key == ("POST", "/library"):
            sandbox.seed_library(
                _required(body, "provider"),
                body.get("user") or "sandbox-user",
                body.get("liked") or (),
                body.get("saved_albums") or (),
            )
            return json_response(200, {"ok": True})
        if key == ("POST", "/playlists"):
            playlist_id = sandbox.seed_playlist(
                _required(body, "provider"),
                _required(body, "user"),
                _required(body, "name"),
                body.get("track_ids") or (),
                public=bool(body.get("public")),
            )
            return json_response(201, {"id": playlist_id})
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 3 and parts[0] == "playlists":
            return json_response(200, {"track_ids": sandbox.playlist_track_ids(parts[1], parts[2])})
        raise ApiError(404, f"no sandbox control endpoint {request.method} {request.path}")

    def _faults(self, body: dict[str, Any]) -> httpx.Response:
        faults = self.sandbox.faults
        if "spec" in body:
            faults.apply_spec(str(body["spec"]))
        elif "fail_next" in body:
            faults.fail_next(
                int(body["fail_next"]), str(body.get("kind", "500")), body.get("provider")
            )
        else:
            if "seed" in body:
                faults.seed(int(body["seed"]))
            faults.set(
                float(body.get("rate", 0)), body.get("kinds") or ["500"], body.get("providers")
            )
        return json_response(200, {"ok": True})


def _required(body: dict[str, Any], name: str) -> Any:
    if not body.get(name):
        raise ApiError(400, f"missing field {name!r}")
    return body[name]
