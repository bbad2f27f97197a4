"""`upgrade head` on an empty database gives exactly the models' schema, and `downgrade base` works."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from selfservice.persistence import (
    migrate,
    models,  # noqa: F401
)


def schema_diff(url: str) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return diff


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def audit_guard_refuses(url: str) -> bool:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, prev_hash, hash) VALUES (1, '2026-01-01', 'x', 'x', 'x', '1', 'p', 'h')"
            )
        )
    refused = 0
    for statement in ("UPDATE audit_log SET action='y'", "DELETE FROM audit_log"):
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
        except sa.exc.DatabaseError:
            refused += 1
    engine.dispose()
    return refused == 2


def check_round_trip(url: str) -> None:
    migrate.upgrade("head", url)
    assert schema_diff(url) == []
    assert table_names(url) == set(SQLModel.metadata.tables)
    assert audit_guard_refuses(url)
    migrate.downgrade("base", url)
    assert table_names(url) == set()
    migrate.upgrade("head", url)
    assert schema_diff(url) == []


def test_sqlite_upgrade_matches_models_and_downgrades(tmp_path):
    check_round_trip(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_matches_models_and_downgrades(pg_server):
    from tests.pg import fresh_database

    check_round_trip(fresh_database(pg_server, "migrations"))
