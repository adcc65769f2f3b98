"""Helpers of the sandbox tests: a deterministic catalogue, a settable clock, and
validators built from the provider document excerpts in tests/fixtures/providers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from engine.sandbox import Sandbox, base_urls

PROVIDER_DOCS = Path(__file__).parents[1] / "fixtures" / "providers"
URLS = base_urls()


def catalogue_records(count: int = 60) -> list[dict[str, Any]]:
    """Deterministic catalogue rows: titles 'Song N', artists 'Artist N%7', ISRCs."""
    return [
        {
            "title": f"Song {i}",
            "artists": [f"Artist {i % 7}"] + (["Guest Star"] if i % 10 == 3 else []),
            "album": f"Album {i % 5}",
            "isrc": f"USSBX{i:07d}",
            "duration_ms": 180_000 + i * 1000,
            "explicit": i % 4 == 0,
            "release_date": "2019-05-17",
        }
        for i in range(count)
    ]


class Clock:
    """A settable clock so token expiry and quota days need no sleeping."""

    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def bearer(sandbox: Sandbox, provider: str, user: str = "alice") -> dict[str, str]:
    return {"Authorization": "Bearer " + sandbox.issue_token(provider, user).access_token}


# --- document validators ------------------------------------------------------------------
def _openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects -> JSON Schema: ``nullable`` becomes a null branch,
    ``discriminator`` (whose implicit mappings the Spotify document does not define) goes."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k != "discriminator"}
    mapping = (node.get("discriminator") or {}).get("mapping")
    if mapping and "oneOf" in out:
        # JSON:API unions: pick the branch by the discriminator, as OpenAPI means it
        prop = node["discriminator"]["propertyName"]
        out.pop("oneOf")
        out["allOf"] = [
            {
                "if": {"properties": {prop: {"const": key}}, "required": [prop]},
                "then": {"$ref": ref},
            }
            for key, ref in mapping.items()
        ]
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def load_doc(name: str) -> dict[str, Any]:
    return json.loads((PROVIDER_DOCS / name).read_text(encoding="utf-8"))


class OpenApiDoc:
    """Validates sandbox responses against one OpenAPI excerpt."""

    def __init__(self, name: str, server_path: str) -> None:
        self.raw = load_doc(name)
        self.root = _openapi_to_jsonschema(copy.deepcopy(self.raw))
        self.server_path = server_path

    def operation(self, path: str, method: str) -> dict[str, Any]:
        return self.raw["paths"][path][method.lower()]

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.raw
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def response_schema(self, path: str, method: str, status: int) -> dict[str, Any] | None:
        responses = self.operation(path, method)["responses"]
        response = self._deref(responses[str(status)])
        content = response.get("content") or {}
        if not content:
            return None
        media = next(iter(content.values()))
        return _openapi_to_jsonschema(media["schema"])

    def validate(self, path: str, response: httpx.Response) -> None:
        """The response's status is documented for ``path`` and its body fits the schema."""
        method = response.request.method
        schema = self.response_schema(path, method, response.status_code)
        if schema is None:
            assert not response.content, f"{method} {path}: body where none is documented"
            return
        validator = jsonschema.Draft7Validator({**self.root, **schema})
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
        assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
            f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
        )

    def parameters(self, path: str, method: str) -> dict[str, dict[str, Any]]:
        out = {}
        for param in self.operation(path, method).get("parameters", []):
            param = self._deref(param)
            out[param["name"]] = param
        return out


def _discovery_to_jsonschema(node: Any, closed: bool) -> Any:
    """Discovery schemas -> JSON Schema; objects with properties are closed so the
    sandbox cannot invent fields."""
    if isinstance(node, list):
        return [_discovery_to_jsonschema(n, closed) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = f"#/schemas/{value}"
        elif key in ("annotations", "id", "format", "description", "enumDescriptions"):
            continue
        elif key == "properties":
            out[key] = {k: _discovery_to_jsonschema(v, closed) for k, v in value.items()}
        else:
            out[key] = _discovery_to_jsonschema(value, closed)
    if out.get("type") == "string" and node.get("format") in ("int64", "uint64"):
        out["type"] = "string"
    if closed and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


class DiscoveryDoc:
    """Validates YouTube responses against the discovery document's schemas."""

    def __init__(self) -> None:
        self.raw = load_doc("youtube/discovery-excerpt.json")
        self.schemas = {
            name: _discovery_to_jsonschema(s, closed=True)
            for name, s in self.raw["schemas"].items()
        }

    def method(self, resource: str, name: str) -> dict[str, Any]:
        return self.raw["resources"][resource]["methods"][name]

    def validate(self, resource: str, name: str, response: httpx.Response) -> None:
        ref = (self.method(resource, name).get("response") or {}).get("$ref")
        if ref is None:
            assert response.status_code == 204 and not response.content
            return
        validator = jsonschema.Draft7Validator(
            {"$ref": f"#/schemas/{ref}", "schemas": self.schemas}
        )
        errors = list(validator.iter_errors(response.json()))
        assert not errors, f"{resource}.{name}: " + "; ".join(
            f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
        )
