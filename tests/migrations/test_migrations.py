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
    with pytest.raises(migrate.DowngradeRefused):
        migrate.downgrade("base", url)  # the audit entry above is evidence
    assert table_names(url) == set(SQLModel.metadata.tables)
    migrate.downgrade("base", url, discard_data=True)
    assert table_names(url) == set()
    migrate.upgrade("head", url)
    assert schema_diff(url) == []


def test_sqlite_upgrade_matches_models_and_downgrades(tmp_path):
    check_round_trip(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_postgresql_upgrade_matches_models_and_downgrades(pg_server):
    from tests.pg import fresh_database

    check_round_trip(fresh_database(pg_server, "migrations"))


def test_a_populated_sqlite_database_refuses_a_downgrade_clearly_then_downgrades_when_told(tmp_path, monkeypatch, capsys):
    """The demo (every workflow, foreign keys everywhere) on SQLite: `db downgrade base` says why
    it will not and changes nothing; with --discard-data it reaches base (it used to end in a
    FOREIGN KEY traceback), and upgrade head gives the models' schema again."""
    from selfservice.cli import main
    from selfservice.settings import get_settings

    url = f"sqlite:///{tmp_path / 'populated.db'}"
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["demo"]) == 0
        entries = migrate.audit_entries(url)
        assert entries > 100
        capsys.readouterr()
        assert main(["db", "downgrade", "base"]) == 2
        err = capsys.readouterr().err
        assert f"{entries} audit entries" in err and "--discard-data" in err and "Traceback" not in err
        assert table_names(url) == set(SQLModel.metadata.tables) and migrate.audit_entries(url) == entries
        assert main(["db", "downgrade", "base", "--discard-data"]) == 0
        assert table_names(url) == set()
        assert main(["db", "upgrade"]) == 0
        assert schema_diff(url) == []
    finally:
        get_settings.cache_clear()
