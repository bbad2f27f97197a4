"""Engine and sessions. One engine per URL; SQLite gets foreign keys, WAL and a busy timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, create_engine

from selfservice.persistence import (
    epochs,  # noqa: F401  (its ORM hooks bump the epochs on commits that change their tables)
    models,  # noqa: F401  (tables must be registered)
)
from selfservice.settings import get_settings, normalize_db_url

SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for another's lock


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
    url = normalize_db_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        return engine
    # psycopg 3: many-row INSERTs go as multi-VALUES ("insertmanyvalues"), executemany is pipelined.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> sa.Engine:
    return engine_for(get_settings().db_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error (nothing half-written)."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_ignoring_duplicates(session: Session, table: sa.Table) -> sa.Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's dialect (SQLite or PostgreSQL):
    with ``RETURNING`` it tells which rows were new, even when another writer raced us."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()
