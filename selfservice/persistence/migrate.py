"""Run alembic migrations programmatically (used by the CLI and the tests)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.config import Config

from alembic import command
from selfservice.domain.errors import DomainError
from selfservice.settings import PROJECT_ROOT, get_settings


class DowngradeRefused(DomainError):
    """A downgrade drops the newer tables: refused while the database holds evidence."""

    key = "db.downgrade_with_data"


def alembic_config(db_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["db_url"] = db_url or get_settings().db_url
    config.attributes["skip_logging"] = True
    return config


def upgrade(revision: str = "head", db_url: str | None = None) -> None:
    command.upgrade(alembic_config(db_url), revision)


def audit_entries(db_url: str | None = None) -> int:
    """How many audit entries the database holds (0 before the first migration)."""
    from selfservice.persistence.db import engine_for

    engine = engine_for(db_url or get_settings().db_url)
    if not sa.inspect(engine).has_table("audit_log"):
        return 0
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one())


def downgrade(revision: str = "-1", db_url: str | None = None, discard_data: bool = False) -> None:
    """Step the schema back. Refused on a database in use (it has audit entries) unless the
    caller explicitly discards its data: evidence is never dropped by accident."""
    entries = audit_entries(db_url)
    if entries and not discard_data:
        raise DowngradeRefused(entries=entries)
    command.downgrade(alembic_config(db_url), revision)
