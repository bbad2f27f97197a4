"""Shared fixtures: a migrated temporary SQLite database per test, and clocks."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("SELFSERVICE_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite database migrated to head, used by settings for this test."""
    from selfservice.persistence import migrate
    from selfservice.settings import get_settings

    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
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
