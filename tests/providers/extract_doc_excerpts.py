"""Build the provider document excerpts the conformance tests check against.

Run once from a checkout that has the shared reference documents beside it::

    .venv/bin/python tests/providers/extract_doc_excerpts.py ../shared/reference/providers

It writes ``tests/fixtures/providers/recorded/doc-excerpts/*.json``: per
operation only what a request can be checked against (path, method, parameter
names/locations/required/maximum/enum, how list values travel (repeated
or comma-separated), request-body property names and array
limits, deprecation). Tests never read ``../shared``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).parents[1] / "fixtures" / "providers" / "recorded" / "doc-excerpts"
METHODS = ("get", "post", "put", "patch", "delete")
_INCLUDE_OPTIONS = re.compile(r"Available options: ([\w.,: ]+)")
"""TIDAL lists the relationships an ``include`` may name in its description."""


def _resolver(doc: dict[str, Any]) -> Any:
    def resolve(node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target: Any = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
            seen += 1
        return node

    return resolve


def _schema_limits(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        k: schema[k] for k in ("maximum", "minimum", "enum", "maxItems", "maxLength") if k in schema
    }


def _body(op: dict[str, Any], resolve: Any) -> dict[str, Any] | None:
    body = resolve(op.get("requestBody"))
    if not body:
        return None
    content = body.get("content") or {}
    media, entry = next(iter(content.items()))
    schema = resolve(entry.get("schema") or {})
    properties = {}
    for name, prop in (schema.get("properties") or {}).items():
        prop = resolve(prop)
        item = resolve(prop.get("items") or {})
        properties[name] = {
            **_schema_limits(prop),
            "type": prop.get("type"),
            "item_properties": sorted((item.get("properties") or {}).keys()) or None,
        }
    return {
        "media_types": sorted(content),
        "media_type": media,
        "required": schema.get("required") or [],
        "properties": properties,
        "additional_properties": bool(schema.get("additionalProperties", False)),
    }


_COMMA_LIST = re.compile(r"comma[- ]separated", re.IGNORECASE)
_OVERVIEW_COMMA_INCLUDE = "`?include=`, a comma-separated list"
"""TIDAL's overview: "Request related resources ... with `?include=`, a
comma-separated list of dot-separated relationship paths"."""


def _list_style(param: dict[str, Any], schema: dict[str, Any], overview: str) -> dict[str, Any]:
    """How several values travel: ``array`` + ``explode`` (OpenAPI's default for
    a query parameter is style ``form``, explode true: the parameter repeats),
    and ``comma_list`` where the document says the values are comma-separated
    (in the parameter's text, or for ``include`` in TIDAL's overview)."""
    if param.get("in") != "query":
        return {}
    style = param.get("style", "form")
    text = f"{param.get('description') or ''} {schema.get('description') or ''}"
    comma = bool(_COMMA_LIST.search(text)) or (
        param["name"] == "include" and _OVERVIEW_COMMA_INCLUDE in overview
    )
    return {
        "array": schema.get("type") == "array",
        "explode": bool(param.get("explode", style == "form")),
        "comma_list": comma,
    }


def openapi_excerpt(doc: dict[str, Any]) -> dict[str, Any]:
    resolve = _resolver(doc)
    overview = str((doc.get("info") or {}).get("description") or "")
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        shared = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = []
            for raw in [*shared, *(op.get("parameters") or [])]:
                param = resolve(raw)
                schema = resolve(param.get("schema") or {})
                entry = {
                    "name": param["name"],
                    "in": param["in"],
                    "required": bool(param.get("required")),
                    **_schema_limits(schema),
                    **_list_style(param, schema, overview),
                }
                options = _INCLUDE_OPTIONS.search(param.get("description") or "")
                if param["name"] == "include" and options:
                    entry["options"] = [o.strip() for o in options.group(1).split(",")]
                params.append(entry)
            paths.setdefault(path, {})[method.upper()] = {
                "deprecated": bool(op.get("deprecated")),
                "parameters": params,
                "body": _body(op, resolve),
            }
    return {"servers": [s["url"] for s in doc.get("servers") or []], "paths": paths}


def discovery_excerpt(doc: dict[str, Any]) -> dict[str, Any]:
    methods = {}
    for resource_name, resource in doc["resources"].items():
        for name, method in (resource.get("methods") or {}).items():
            methods[f"{resource_name}.{name}"] = {
                "httpMethod": method["httpMethod"],
                "path": method["path"],
                "parameters": {
                    pname: {
                        "location": p.get("location"),
                        "required": bool(p.get("required")),
                        "repeated": bool(p.get("repeated")),
                        "comma_list": bool(_COMMA_LIST.search(p.get("description") or "")),
                        **({"maximum": int(p["maximum"])} if "maximum" in p else {}),
                        **({"enum": p["enum"]} if "enum" in p else {}),
                    }
                    for pname, p in (method.get("parameters") or {}).items()
                },
                "request": (method.get("request") or {}).get("$ref"),
            }
    return {
        "rootUrl": doc["rootUrl"],
        "servicePath": doc.get("servicePath", ""),
        "global_parameters": sorted(doc.get("parameters") or {}),
        "methods": methods,
    }


def deezer_reference(root: Path) -> dict[str, Any]:
    derived = json.loads((root / "endpoints-derived.json").read_text())
    connections = {}
    for page in sorted((root / "deezer-api-docs-scrape").glob("*.json")):
        data = json.loads(page.read_text())
        names = [c["Name"] for c in data.get("tab_connections") or []]
        actions = [a.get("request_method") for a in data.get("tab_actions") or []]
        connections[page.stem] = {"connections": names, "actions": actions}
    return {
        "base_url": derived["base_url"],
        "paging_params": sorted(derived["conventions"]["paging_params"]),
        "endpoints": derived["endpoints"],
        "error_codes": derived["error_codes"],
        "objects": connections,
    }


def main(reference: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    spotify = reference / "spotify"
    outputs = {
        "spotify-2026.json": openapi_excerpt(
            yaml.safe_load((spotify / "official-spotify-open-api.yml").read_text())
        ),
        "spotify-pre-2026.json": openapi_excerpt(
            yaml.safe_load((spotify / "pre-2026-02" / "official-spotify-open-api.yml").read_text())
        ),
        "tidal.json": openapi_excerpt(
            json.loads((reference / "tidal" / "tidal-api-oas.json").read_text())
        ),
        "youtube.json": discovery_excerpt(
            json.loads((reference / "youtube" / "youtube.v3.json").read_text())
        ),
        "deezer.json": deezer_reference(reference / "deezer"),
    }
    for name, data in outputs.items():
        (OUT / name).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/providers"))
