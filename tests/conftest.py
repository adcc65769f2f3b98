"""Shared fixtures: real SQLite, real Postgres, real Redis; no mocks.

A test that needs a service it cannot reach is skipped on a laptop and fails
when ``CI=true``. Each test gets its own Postgres database (cloned from a
migrated template) and its own Redis database number, so several pytest runs
can share one machine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as settings_profiles

from engine.settings import Settings
from engine.store.db import make_engine, migrate

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get(
    "CROSSFADE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("CROSSFADE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# CI explores the same examples every run, so a landing never hinges on luck;
# developers' runs stay random and keep finding new cases.
settings_profiles.register_profile("ci", derandomize=True, print_blob=True)
settings_profiles.register_profile("dev", print_blob=True)
settings_profiles.load_profile("ci" if IN_CI else "dev")


def service_missing(what: str, exc: BaseException | None = None) -> None:
    """Skip locally, fail in CI, when a service a test needs is unreachable."""
    message = f"{what} is not reachable" + (f": {exc}" if exc else "")
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _pg_url(database: str) -> str:
    return str(sa.make_url(PG_ADMIN_URL).set(database=database).render_as_string(False))


def _pg_admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated Postgres database that each test clones; dropped at the end."""
    name = f"cf_tmpl_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        service_missing("PostgreSQL", exc)
    engine = make_engine(_pg_url(name), poolclass=sa.NullPool)
    migrate(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """URL of a fresh, migrated Postgres database for one test."""
    name = f"cf_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh, migrated SQLite file for one test."""
    url = f"sqlite:///{tmp_path / 'crossfade.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on Postgres."""
    return str(request.getfixturevalue(f"{'pg' if request.param == 'postgres' else 'sqlite'}_url"))


@pytest.fixture
def db_engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number claimed for this test alone, flushed before and after."""
    try:
        from redis import Redis

        admin = Redis.from_url(REDIS_TEST_URL, db=0)
        admin.ping()
    except Exception as exc:  # any connection failure means "not reachable"
        service_missing("Redis", exc)
    claimed = None
    for number in range(1, 16):
        if admin.set(f"crossfade:test:claim:{number}", os.getpid(), nx=True, ex=900):
            claimed = number
            break
    if claimed is None:
        pytest.fail("no free Redis database number for the test")
    url = f"{REDIS_TEST_URL}/{claimed}"
    client = Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
    admin.delete(f"crossfade:test:claim:{claimed}")
    admin.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-default settings with the data dir under tmp_path."""
    return Settings(env="test", data_dir=tmp_path / "data")  # type: ignore[call-arg]
