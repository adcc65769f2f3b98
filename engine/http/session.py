"""One provider's HTTP session for one user: the :class:`ProviderHttp` the
provider modules receive from :class:`engine.http.factory.HttpFactory`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from engine.errors import ProviderError, UsageError
from engine.http import status
from engine.http.types import ProviderHttpConfig, Retryable, TokenSource


class HttpSession:
    """Builds requests (base URL, auth, headers) and runs them through the stack."""

    def __init__(
        self,
        config: ProviderHttpConfig,
        *,
        client: httpx.Client,
        user_key: str,
        token: TokenSource | None,
    ) -> None:
        self.provider = config.provider
        self.config = config
        self.user_key = user_key
        self._client = client
        self._token = token
        self._base = httpx.URL(config.base_url.rstrip("/") + "/")

    # -- the ProviderHttp protocol -------------------------------------------------

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET ``path`` and decode its JSON body."""
        response = self.send("GET", path, params=params, headers=headers)
        return decode_json(self.provider, response)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one logical request; return the final successful response."""
        url = self.url_for(path, params)
        refreshed = False
        while True:
            request = self._build(method, url, json=json, data=data, headers=headers)
            response = self._client.send(request)
            response.read()
            if response.status_code == 401 and self._token is not None and not refreshed:
                self._token.refresh()
                refreshed = True
                continue
            self._check(response)
            return response

    # -- building requests ----------------------------------------------------------

    def url_for(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.URL:
        """Absolute URL of ``path`` (relative to base_url, or an absolute ``next``
        link on the same origin) with ``params`` merged over its query."""
        if path.startswith(("http://", "https://")):
            url = httpx.URL(path)
            if (url.scheme, url.host, url.port) != (
                self._base.scheme,
                self._base.host,
                self._base.port,
            ):
                raise UsageError(
                    f"{self.provider}: refusing to send credentials to {status.redact_url(url)} "
                    f"(not on {self._base.host})"
                )
        else:
            url = self._base.join(path.lstrip("/"))
        merged: dict[str, Any] = dict(url.params.multi_items())
        for key, value in (params or {}).items():
            if value is None:
                continue
            merged[key] = _param_value(value)
        merged.pop("access_token", None)  # added per attempt, never stored with the URL
        return url.copy_with(params=merged) if merged else url.copy_with(query=None)

    def _build(
        self,
        method: str,
        url: httpx.URL,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        merged_headers = dict(self.config.default_headers or {})
        merged_headers.update(headers or {})
        if self._token is not None and self.config.auth_style == "bearer":
            merged_headers["Authorization"] = f"Bearer {self._token.access_token()}"
        elif self._token is not None and self.config.auth_style == "query_access_token":
            url = url.copy_add_param("access_token", self._token.access_token())
        return self._client.build_request(
            method.upper(), url, json=json, data=data, headers=merged_headers
        )

    def _check(self, response: httpx.Response) -> None:
        """Run the provider hook, then map failing statuses to errors."""
        if self.config.check_response is not None:
            try:
                self.config.check_response(response)
            except Retryable as exc:
                raise ProviderError(
                    f"{status.describe(response)} ({exc})", provider=self.provider
                ) from exc
        if response.status_code >= 400:
            raise status.final_error(self.provider, response)


def _param_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def decode_json(provider: str, response: httpx.Response) -> Any:
    """The JSON body, or a ProviderError naming the request when it is not JSON."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(
            f"response is not JSON ({status.describe(response)})",
            provider=provider,
            kind="bad-response",
        ) from exc
