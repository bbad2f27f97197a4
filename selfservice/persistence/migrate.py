"""Run alembic migrations programmatically (used by the CLI and the tests)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from selfservice.settings import PROJECT_ROOT, get_settings


def alembic_config(db_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["db_url"] = db_url or get_settings().db_url
    config.attributes["skip_logging"] = True
    return config


def upgrade(revision: str = "head", db_url: str | None = None) -> None:
    command.upgrade(alembic_config(db_url), revision)


def downgrade(revision: str = "-1", db_url: str | None = None) -> None:
    command.downgrade(alembic_config(db_url), revision)
