"""Decided approval steps and attachments are evidence: the database refuses to change them,
on SQLite and on PostgreSQL, after the whole demo (every leave state) was written through the
services on that database."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.demo import load_demo
from selfservice.persistence import migrate
from selfservice.persistence.db import engine_for
from selfservice.persistence.models import ApprovalStep, LeaveRequest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request, tmp_path, monkeypatch):
    from selfservice.settings import get_settings

    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'evidence.db'}"
    else:
        from tests.pg import fresh_database

        url = fresh_database(request.getfixturevalue("pg_server"), f"leave_{uuid.uuid4().hex[:8]}")
    migrate.upgrade("head", url)
    yield url
    get_settings.cache_clear()


def test_decided_steps_and_attachments_cannot_be_changed_or_deleted(any_db):
    engine = engine_for(any_db)
    with Session(engine) as session:
        load_demo(session)
        session.commit()
        statuses = {r.status for r in session.exec(select(LeaveRequest)).all()}
        decided = session.exec(select(ApprovalStep.id).where(ApprovalStep.status == "rejected")).first()
        pending = session.exec(select(ApprovalStep.id).where(ApprovalStep.status == "pending")).first()
    assert {"pending", "approved", "rejected"} <= statuses
    forbidden = [
        f"UPDATE approval_step SET comment = 'changed' WHERE id = {decided}",
        f"UPDATE approval_step SET status = 'approved' WHERE id = {decided}",
        f"DELETE FROM approval_step WHERE id = {decided}",
        f"DELETE FROM approval_step WHERE id = {pending}",
        "UPDATE leave_attachment SET sha256 = 'x'",
        "DELETE FROM leave_attachment",
        "UPDATE leave_ledger_entry SET days = 99",
    ]
    for statement in forbidden:
        with pytest.raises(sa.exc.DatabaseError), engine.begin() as connection:
            connection.execute(sa.text(statement))
    with engine.begin() as connection:  # an open step may still move on
        connection.execute(sa.text(f"UPDATE approval_step SET reminded_at = NULL WHERE id = {pending}"))
