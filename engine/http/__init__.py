"""The one resilient HTTP stack every provider uses (see ``docs/http.md``)."""

from engine.http.factory import HttpFactory
from engine.http.types import (
    ProviderHttp,
    ProviderHttpConfig,
    Retryable,
    StaticToken,
    TokenSource,
)

__all__ = [
    "HttpFactory",
    "ProviderHttp",
    "ProviderHttpConfig",
    "Retryable",
    "StaticToken",
    "TokenSource",
]
