"""Typed settings, read from the environment once at start-up and passed in.

Nothing here runs at import time: call :func:`load_settings` at the edge (CLI,
app, worker, API) and hand the result down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.errors import ConfigError

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    """Every knob Crossfade reads. Environment variables are ``CROSSFADE_<NAME>``
    except ``DATABASE_URL`` and ``REDIS_URL``, which keep their usual names."""

    model_config = SettingsConfigDict(env_prefix="CROSSFADE_", extra="ignore", frozen=True)

    env: Environment = Field("development", description="development, test or production.")
    data_dir: Path = Field(Path(".crossfade"), description="Where the embedded store lives.")
    database_url: str | None = Field(
        None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL of Postgres; unset means SQLite in data_dir.",
    )
    redis_url: str | None = Field(
        None,
        validation_alias="REDIS_URL",
        description="Redis URL; unset means in-process jobs and local caches.",
    )
    token_keys: str | None = Field(
        None,
        description="Comma-separated key ring id:base64key; the first encrypts, all decrypt.",
    )
    sandbox_url: str | None = Field(
        None,
        description="Root URL of the provider sandbox; when set, every provider talks to it.",
    )
    log_level: str = Field("INFO", description="Python logging level name.")
    http_timeout_s: float = Field(20.0, description="Timeout of every outbound HTTP call.")
    http_max_retries: int = Field(5, description="Retries on 429, 5xx and timeouts.")
    http_cache_ttl_s: int = Field(3600, description="TTL of cached GET responses.")
    breaker_fail_max: int = Field(5, description="Consecutive failures that open a breaker.")
    breaker_reset_s: float = Field(30.0, description="Seconds before a half-open probe.")
    ladder_requests_per_track: int = Field(
        5,
        ge=1,
        le=10,
        description="Most search requests (ISRC lookup included) one track may cost "
        "on the query ladder of a migration, sync or dry run.",
    )
    ladder_youtube_units_per_track: int = Field(
        300,
        ge=100,
        le=1000,
        description="Most YouTube quota units one track's searches may cost "
        "(search.list costs 100; the default allows three rungs).",
    )
    user_agent: str = Field("Crossfade/0.1 (+https://example.invalid/crossfade)")
    job_lease_s: float = Field(
        30.0,
        gt=0,
        description="Seconds a job runner's lease lasts; renewed every third of it. "
        "A job whose runner stopped renewing is taken over after this long.",
    )
    oidc_enabled: bool = Field(False, description="Use st.login for multi-user mode.")
    read_max_file_mb: int = Field(
        512, ge=1, description="Playlist files larger than this (MiB) are refused up front."
    )
    read_max_rows: int = Field(
        5_000_000, ge=1, description="Playlist files with more tracks than this are refused."
    )
    read_max_field_chars: int = Field(
        10_000, ge=100, description="Text fields longer than this are cut, with a warning."
    )
    read_max_json_depth: int = Field(
        64, ge=8, description="JSON nested deeper than this is refused before parsing."
    )
    flags: str = Field(
        "", description="Feature flags, e.g. 'feature.sync=off,provider.spotify=on'."
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_db_url(cls, value: str | None) -> str | None:
        if value and value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value and value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value or None

    @property
    def sqlalchemy_url(self) -> str:
        """The store's URL: Postgres when configured, else SQLite under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'crossfade.db').resolve()}"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise ConfigError naming the bad field."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {field}: {first['msg']}") from exc
    if settings.is_production and not settings.token_keys:
        raise ConfigError("CROSSFADE_TOKEN_KEYS is required when CROSSFADE_ENV=production")
    return settings
