"""Shared fixtures: a migrated temporary database per test, and clocks.

The service-level suite (tests/unit/services, tests/unit/jobs) runs every test that uses the
database twice: on SQLite (the embedded default) and on PostgreSQL (the scale-out one). Each
PostgreSQL test gets its own database, cloned from a template migrated once per run."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")


SERVICE_LEVEL = ("tests/unit/services/", "tests/unit/jobs/")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Service-level tests on both engines (ids: [sqlite], [postgresql])."""
    path = str(metafunc.definition.path).replace(os.sep, "/")
    if "engine" in metafunc.fixturenames and any(part in path for part in SERVICE_LEVEL) and "postgres" not in path.rsplit("/", 1)[-1]:
        metafunc.parametrize("engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """A database migrated to head once; each PostgreSQL test clones it (fast) instead of migrating."""
    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from tests.pg import fresh_database

    url = fresh_database(pg_server, "selfservice_template")
    migrate.upgrade("head", url)
    engine_for(url).dispose()  # a template may have no connections while it is cloned
    return "selfservice_template"


_pg_databases = iter(range(1, 10**9))


@pytest.fixture
def db_url(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    """A fresh database at head (SQLite, or PostgreSQL for the service-level suite's second run),
    used by settings for this test."""
    import sqlalchemy as sa

    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.settings import get_settings

    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    if engine == "postgresql":
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_template")
        name = f"test_{next(_pg_databases)}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = server.rsplit("/", 1)[0] + f"/{name}"
        monkeypatch.setenv("SELFSERVICE_DB_URL", url)
        get_settings.cache_clear()
        yield url
        get_settings.cache_clear()
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    yield url
    get_settings.cache_clear()


@pytest.fixture
def session(db_url: str):
    from sqlmodel import Session

    from selfservice.persistence.db import engine_for

    with Session(engine_for(db_url), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def demo(session):
    """The demo company loaded into the test database."""
    from selfservice.demo import load_demo

    load_demo(session, workflows=False)
    session.commit()
    return session


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the whole run (started only if a test asks for it)."""
    from tests.pg import postgres_server

    with postgres_server() as url:
        yield url
