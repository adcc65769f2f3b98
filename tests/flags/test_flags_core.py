"""Feature flags: settings, database override without restart, require(), CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import flags
from engine.cli import main
from engine.errors import ConfigError, FeatureDisabledError, UsageError
from engine.runtime import Runtime
from engine.settings import Settings
from engine.store.db import session_scope


def _settings(tmp_path: Path, text: str = "") -> Settings:
    return Settings(env="test", data_dir=tmp_path, flags=text)  # type: ignore[call-arg]


def test_parse_flags() -> None:
    assert flags.parse_flags("feature.sync=off, provider.spotify=ON,,") == {
        "feature.sync": False,
        "provider.spotify": True,
    }
    with pytest.raises(ConfigError, match="item 1"):
        flags.parse_flags("feature.sync")
    with pytest.raises(ConfigError, match="item 2"):
        flags.parse_flags("feature.sync=off,Spotify=on")
    with pytest.raises(ConfigError, match="expected on or off"):
        flags.parse_flags("feature.sync=maybe")


def test_database_overrides_settings_without_restart(db_engine: sa.Engine, tmp_path: Path) -> None:
    settings = _settings(tmp_path, "feature.sync=off")
    assert flags.flag_state(db_engine, settings, "feature.sync").origin == "settings"
    with pytest.raises(FeatureDisabledError, match=r"feature\.sync is switched off in settings"):
        flags.require(db_engine, settings, "feature.sync")
    flags.require(db_engine, settings, "feature.export")  # default on

    flags.set_flag(db_engine, "feature.sync", True)
    flags.require(db_engine, settings, "feature.sync")
    flags.set_flag(db_engine, "provider.spotify", False)
    flags.set_flag(db_engine, "provider.spotify", False)  # idempotent upsert
    with pytest.raises(FeatureDisabledError) as caught:
        flags.require_provider(db_engine, settings, "spotify")
    assert caught.value.status == 503 and "by an operator" in str(caught.value)

    with session_scope(db_engine) as session:
        assert flags.is_enabled(session, settings, "provider.spotify") is False
        flags.set_flag(session, "provider.deezer", False)
        assert flags.clear_flag(session, "provider.deezer") is True
    with db_engine.begin() as connection:
        flags.set_flag(connection, "feature.custom-thing", False)
        assert flags.clear_flag(connection, "feature.custom-thing") is True
    states = {s.name: s for s in flags.list_flags(db_engine, settings)}
    assert states["provider.spotify"].origin == "database"
    assert states["feature.sync"].enabled is True
    assert states["provider.deezer"].origin == "default"
    assert flags.clear_flag(db_engine, "feature.sync") is True
    assert flags.clear_flag(db_engine, "feature.sync") is False
    assert flags.is_enabled(db_engine, settings, "feature.sync") is False


def test_runtime_and_bad_names(tmp_path: Path) -> None:
    runtime = Runtime(_settings(tmp_path))
    try:
        flags.set_flag(runtime, "feature.pull", False)
        assert flags.is_enabled(runtime, runtime.settings, "feature.pull") is False
        with pytest.raises(UsageError, match="invalid flag name"):
            flags.require(runtime, runtime.settings, "Sync")
        with pytest.raises(UsageError):
            flags.is_enabled(object(), runtime.settings, "feature.pull")  # type: ignore[arg-type]
    finally:
        runtime.close()


def test_cli_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CROSSFADE_FLAGS", "feature.export=off")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["flags", "set", "provider.tidal", "off"]) == 0
    assert "provider.tidal is now off" in capsys.readouterr().out
    assert main(["flags", "list"]) == 0
    listing = capsys.readouterr().out
    assert "provider.tidal         off  database" in listing
    assert "feature.export         off  settings" in listing
    assert main(["flags", "set", "provider.tidal", "maybe"]) == 1
    assert "expected on or off" in capsys.readouterr().err
    assert main(["flags", "clear", "provider.tidal"]) == 0
    assert "cleared; provider.tidal is on (default)" in capsys.readouterr().out
