"""The disappearance case on PostgreSQL: 小王's journey to a bundle that verifies, the evidence
tables refuse changes, and audit verify catches a cut-off tail there too."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from selfservice.cli import main
from selfservice.demo import load_demo
from selfservice.persistence import migrate
from selfservice.persistence.db import engine_for
from selfservice.services import checkpoints, evidence
from tests.cases_setup import configure, confirm_contacts, handbook
from tests.helpers import actor_for
from tests.unit.services import test_cases as journey

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_server, tmp_path, monkeypatch):
    from selfservice.settings import get_settings
    from tests.pg import fresh_database

    url = fresh_database(pg_server, f"cases_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    with Session(engine_for(url), expire_on_commit=False) as session:
        load_demo(session, workflows=False)
        session.commit()
    yield url
    get_settings.cache_clear()


def test_xiaowangs_case_and_its_bundle_on_postgresql(pg, capsys):
    with Session(engine_for(pg), expire_on_commit=False) as session:
        policy_id = handbook(session, journey.NOW, ["E1007"])
        confirm_contacts(session, "E1007", ["inapp", "wecom", "sms", "email"], journey.NOW - timedelta(days=30))
        configure(session, policy_id, journey.NOW, approvers="E4001,E1001", union_no="E4004")
        case_id = journey._terminated(session)
        export_id = evidence.export(session, actor_for(session, "hr01"), case_id, journey.NOW + timedelta(days=5))
        session.commit()
        data, _, _ = evidence.bundle_file(session, actor_for(session, "hr01"), export_id)
        assert evidence.verify(data).ok
        for table in ("case_notice", "case_event", "audit_checkpoint", "evidence_export"):
            with pytest.raises(sa.exc.DatabaseError):
                session.connection().execute(sa.text(f"DELETE FROM {table}"))
            session.rollback()
        checkpoints.take(session, "manual", journey.NOW + timedelta(days=5, minutes=1))
        session.commit()
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    with Session(engine_for(pg)) as session:
        session.connection().execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        session.connection().execute(sa.text("DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)"))
        session.commit()
    assert main(["audit", "verify"]) == 1
    assert "truncated" in capsys.readouterr().err
