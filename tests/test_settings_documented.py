"""Every setting is documented in the README (a habit borrowed from datasette)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.settings import Settings, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _env_name(name: str) -> str:
    field = Settings.model_fields[name]
    alias = field.validation_alias
    return alias if isinstance(alias, str) else f"CROSSFADE_{name.upper()}"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert f"`{_env_name(name)}`" in README.read_text(encoding="utf-8")


def test_production_refuses_to_start_without_token_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_ENV", "production")
    monkeypatch.delenv("CROSSFADE_TOKEN_KEYS", raising=False)
    with pytest.raises(ConfigError, match="CROSSFADE_TOKEN_KEYS"):
        load_settings()


def test_a_bad_setting_names_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_HTTP_TIMEOUT_S", "soon")
    with pytest.raises(ConfigError, match="http_timeout_s"):
        load_settings()


def test_postgres_urls_use_psycopg3() -> None:
    settings = Settings(database_url="postgres://u@h/db")  # type: ignore[call-arg]
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"
