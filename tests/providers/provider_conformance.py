"""Check recorded requests against the providers' own documents.

A :class:`RecordingTransport` sits between a client and whatever answers
(the sandbox, in-process) and keeps every request; the ``check_*`` functions
return a list of problems for one request against the document excerpts
under ``tests/fixtures/providers/recorded/doc-excerpts/`` (an empty list
means the request is exactly what the document allows).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx

EXCERPTS = Path(__file__).parents[1] / "fixtures" / "providers" / "recorded" / "doc-excerpts"

AUTH_QUERY_PARAMS = {"deezer": {"access_token"}}
"""Credentials that ride in the query string by design (auth.json)."""


@dataclass(frozen=True)
class Sent:
    """One request as it left the client."""

    method: str
    url: httpx.URL
    headers: httpx.Headers
    body: Any

    @property
    def params(self) -> list[tuple[str, str]]:
        return list(self.url.params.multi_items())


class RecordingTransport(httpx.BaseTransport):
    """Keeps every request, then lets ``handler`` answer it."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.sent: list[Sent] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()
        body = json.loads(content) if content else None
        self.sent.append(Sent(request.method, request.url, request.headers, body))
        response = self.handler(request)
        response.read()
        return response


@cache
def excerpt(name: str) -> dict[str, Any]:
    return dict(json.loads((EXCERPTS / f"{name}.json").read_text(encoding="utf-8")))


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


def _match_template(templates: list[str], path: str) -> str | None:
    """The most specific documented template matching ``path``."""
    hits = [t for t in templates if _template_regex(t).match(path)]
    return max(hits, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t)), default=None)


def _relative(sent: Sent, base_url: str) -> str | None:
    base_path = httpx.URL(base_url).path.rstrip("/")
    path = sent.url.path
    return path[len(base_path) :] if path.startswith(base_path + "/") else None


def _limit_problems(name: str, value: str, spec: dict[str, Any]) -> list[str]:
    problems = []
    if "options" in spec:
        # Include paths are relative to the root resource; a nested path must
        # start with a documented relationship (TIDAL overview, "Relationships").
        roots = {path.split(".")[0] for path in value.split(",")}
        problems += [
            f"{name} path {root!r} is not one of {spec['options']}"
            for root in sorted(roots - set(spec["options"]))
        ]
    if "maximum" in spec and value.lstrip("-").isdigit() and int(value) > int(spec["maximum"]):
        problems.append(f"{name}={value} is above the documented maximum {spec['maximum']}")
    if "minimum" in spec and value.lstrip("-").isdigit() and int(value) < int(spec["minimum"]):
        problems.append(f"{name}={value} is below the documented minimum {spec['minimum']}")
    if "enum" in spec and value not in spec["enum"]:
        problems.append(f"{name}={value} is not one of {spec['enum']}")
    return problems


def _list_problems(sent: Sent, specs: dict[str, Any], *, openapi: bool) -> list[str]:
    """Several values sent the way the document says they travel: repeated
    only where it allows several values (an OpenAPI array with ``explode``,
    the OpenAPI default for query parameters; a discovery ``repeated``
    parameter), comma-joined only where it says "comma-separated" (TIDAL's
    ``include`` by its overview)."""
    problems = []
    counts = Counter(name for name, _ in sent.params)
    for name, value in sent.params:
        spec = specs.get(name)
        if spec is None:
            continue
        several = spec.get("array") and spec.get("explode") if openapi else spec.get("repeated")
        if counts[name] > 1 and not several:
            problems.append(f"{name!r} is repeated but the document takes one value")
        if several and "," in value and not spec.get("comma_list"):
            problems.append(
                f"{name}={value!r} is comma-joined; the document repeats the parameter "
                "for several values"
            )
    return sorted(set(problems))


def _body_problems(body: Any, spec: dict[str, Any] | None, sent: Sent) -> list[str]:
    if body is None:
        return []
    if spec is None:
        return ["a body is sent but the operation documents none"]
    problems = []
    media = sent.headers.get("content-type", "").split(";")[0]
    if media not in spec["media_types"]:
        problems.append(f"content type {media!r} is not one of {spec['media_types']}")
    if not isinstance(body, dict):
        return [*problems, "body is not a JSON object"]
    problems += [f"body lacks required {k!r}" for k in spec["required"] if k not in body]
    for key, value in body.items():
        prop = spec["properties"].get(key)
        if prop is None:
            problems.append(f"body property {key!r} is not documented")
            continue
        if isinstance(value, list):
            if "maxItems" in prop and len(value) > prop["maxItems"]:
                problems.append(
                    f"{key} holds {len(value)} items, documented max {prop['maxItems']}"
                )
            allowed = prop.get("item_properties")
            for item in value:
                if allowed and isinstance(item, dict) and set(item) - set(allowed):
                    problems.append(
                        f"{key}[] carries undocumented {sorted(set(item) - set(allowed))}"
                    )
    return problems


def check_openapi(doc_name: str, base_url: str, sent: Sent) -> list[str]:
    """Path, method, parameters, limits and body of ``sent`` against an OpenAPI excerpt."""
    doc = excerpt(doc_name)
    path = _relative(sent, base_url)
    if path is None:
        return [f"{sent.url} is not under {base_url}"]
    template = _match_template(list(doc["paths"]), path)
    if template is None:
        return [f"{sent.method} {path}: no such path in {doc_name}"]
    op = doc["paths"][template].get(sent.method)
    if op is None:
        return [f"{sent.method} {template}: method not documented in {doc_name}"]
    where = f"{sent.method} {template}"
    problems = [f"{where} is deprecated in {doc_name}"] if op["deprecated"] else []
    query = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    for name, value in sent.params:
        if name not in query:
            problems.append(f"{where}: query parameter {name!r} not documented")
        else:
            problems += [f"{where}: {p}" for p in _limit_problems(name, value, query[name])]
    problems += [f"{where}: {p}" for p in _list_problems(sent, query, openapi=True)]
    sent_names = {n for n, _ in sent.params}
    problems += [
        f"{where}: required query parameter {name!r} missing"
        for name, p in query.items()
        if p["required"] and name not in sent_names
    ]
    headers = {p["name"].lower() for p in op["parameters"] if p["in"] == "header"}
    if "idempotency-key" in sent.headers and "idempotency-key" not in headers:
        problems.append(f"{where}: Idempotency-Key header not documented")
    problems += [f"{where}: {p}" for p in _body_problems(sent.body, op["body"], sent)]
    return problems


def check_discovery(base_url: str, sent: Sent) -> list[str]:
    """``sent`` against the YouTube discovery excerpt: method, path, parameters."""
    doc = excerpt("youtube")
    path = _relative(sent, base_url)
    if path is None:
        return [f"{sent.url} is not under {base_url}"]
    candidates = {
        name: m
        for name, m in doc["methods"].items()
        if m["httpMethod"] == sent.method and "/" + m["path"].split("/", 2)[-1] == path
    }
    if len(candidates) != 1:
        return [f"{sent.method} {path}: {len(candidates)} discovery methods match"]
    ((name, method),) = candidates.items()
    problems = []
    for pname, value in sent.params:
        spec = method["parameters"].get(pname)
        if spec is None:
            if pname not in doc["global_parameters"]:
                problems.append(f"{name}: parameter {pname!r} not documented")
            continue
        problems += [f"{name}: {p}" for p in _limit_problems(pname, value, spec)]
    problems += [f"{name}: {p}" for p in _list_problems(sent, method["parameters"], openapi=False)]
    sent_names = {n for n, _ in sent.params}
    problems += [
        f"{name}: required parameter {p!r} missing"
        for p, spec in method["parameters"].items()
        if spec["required"] and p not in sent_names
    ]
    if sent.body is not None and method["request"] is None:
        problems.append(f"{name}: a body is sent but the method takes none")
    return problems


def discovery_method(base_url: str, sent: Sent) -> str | None:
    """The discovery method name of ``sent`` (for quota accounting)."""
    path = _relative(sent, base_url)
    for name, m in excerpt("youtube")["methods"].items():
        if m["httpMethod"] == sent.method and "/" + m["path"].split("/", 2)[-1] == path:
            return name
    return None


def _deezer_routes() -> list[tuple[str, re.Pattern[str], set[str]]]:
    ref = excerpt("deezer")
    routes = []
    paging = set(ref["paging_params"])
    for endpoint in ref["endpoints"]:
        pattern = endpoint["path"]
        pattern = re.sub(r"\[((?:/\w+\|?)+)\]", lambda m: "(?:" + m.group(1) + ")?", pattern)
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", pattern)
        params = endpoint.get("params") or []
        names = set(params if isinstance(params, list) else params.keys())
        if endpoint["method"] == "GET" and endpoint.get("returns", "").startswith("list"):
            names |= paging
        routes.append((endpoint["method"], re.compile(f"^{pattern}$"), names))
    for obj, info in ref["objects"].items():
        for connection in info["connections"]:
            leaf = connection.split("/")[-1].strip()
            routes.append(("GET", re.compile(f"^/{obj}/[^/]+/{re.escape(leaf)}$"), paging))
    return routes


def check_deezer(base_url: str, sent: Sent) -> list[str]:
    """``sent`` against Deezer's reference tables (derived endpoints + connections)."""
    path = _relative(sent, base_url)
    if path is None:
        return [f"{sent.url} is not under {base_url}"]
    names = {n for n, _ in sent.params} - AUTH_QUERY_PARAMS["deezer"]
    matching = [(m, names_ok) for m, rx, names_ok in _deezer_routes() if rx.match(path)]
    if not matching:
        return [f"{sent.method} {path}: no such endpoint in the Deezer reference"]
    same_method = [ok for m, ok in matching if m == sent.method]
    if not same_method:
        return [f"{sent.method} {path}: method not in the Deezer reference"]
    if not any(names <= ok for ok in same_method):
        allowed = sorted(set().union(*same_method))
        return [f"{sent.method} {path}: parameters {sorted(names)} not within {allowed}"]
    if sent.body is not None:
        return [f"{sent.method} {path}: Deezer takes parameters, not a JSON body"]
    return []
