"""Fixtures of the app tests: an isolated data dir per test, the Streamlit
resource cache cleared (and its Runtimes closed) after each test; the provider
sandbox served for the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st

from engine.auth.crypto import generate_key
from engine.runtime import Runtime
from engine.samples import CATALOG, sample_path
from engine.sandbox import Sandbox
from engine.sandbox.server import SandboxServer
from engine.settings import Settings


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings the app will read from the environment (SQLite under tmp_path)."""
    data = tmp_path / "data"
    monkeypatch.setenv("CROSSFADE_ENV", "test")
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(data))
    for name in ("DATABASE_URL", "REDIS_URL", "CROSSFADE_SANDBOX_URL", "CROSSFADE_OIDC_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    yield Settings(env="test", data_dir=data)  # type: ignore[call-arg]
    st.cache_resource.clear()


@pytest.fixture
def app_runtime(app_env: Settings) -> Iterator[Runtime]:
    """A Runtime on the same store the app uses, for seeding and checking."""
    runtime = Runtime(app_env)
    yield runtime
    runtime.close()


@pytest.fixture
def sandbox(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The sample catalogue's sandbox served on loopback, the app pointed at it."""
    box = Sandbox.from_catalog(sample_path(CATALOG))
    server = SandboxServer(box).start()
    monkeypatch.setenv("CROSSFADE_SANDBOX_URL", server.url)
    monkeypatch.setenv("CROSSFADE_TOKEN_KEYS", generate_key("app1"))
    yield box
    server.stop()


@pytest.fixture
def service_missing(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``tests/conftest.py``'s skip-locally/fail-in-CI helper (both conftest
    modules are named ``conftest``, so it is fetched from pytest's plugins)."""
    root = str(Path(__file__).resolve().parents[1] / "conftest.py")
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) == root:
            return plugin.service_missing  # type: ignore[no-any-return]
    raise LookupError("tests/conftest.py is not loaded")
