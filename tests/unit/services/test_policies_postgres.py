"""Policies, signatures and contact details on PostgreSQL: the same answers as on SQLite, and the
evidence tables refuse changes there too."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.demo import load_demo
from selfservice.persistence import migrate
from selfservice.persistence.db import engine_for
from selfservice.persistence.models import PolicyVersion
from selfservice.services import contacts, policies, signatures
from tests.helpers import actor_for
from tests.signing import drawing, reauthenticate, with_session

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def pg(pg_server, tmp_path, monkeypatch):
    from selfservice.settings import get_settings
    from tests.pg import fresh_database

    url = fresh_database(pg_server, f"policies_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SELFSERVICE_DB_URL", url)
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    with Session(engine_for(url), expire_on_commit=False) as session:
        load_demo(session, workflows=False)
        session.commit()
    yield url
    get_settings.cache_clear()


def test_publish_sign_remind_and_verify_on_postgresql(pg):
    with Session(engine_for(pg), expire_on_commit=False) as session:
        hr = actor_for(session, "hr01")
        policy_id = policies.save_draft(
            session, hr, None, {"title_zh": "员工手册", "body_markdown": "# 规则", "audience": "everyone", "deadline": "2026-12-05"}, NOW
        )
        policies.publish(session, hr, policy_id, NOW)
        session.commit()
        version = session.exec(select(PolicyVersion)).one()
        actor = with_session(session, actor_for(session, "E1004"), NOW)
        reauthenticate(session, actor, NOW)
        signature_id = policies.sign(session, actor, version.id, "张伟", drawing(), signatures.Context(ip="203.0.113.9"), NOW)
        session.commit()
        pdf, _name = signatures.receipt(session, actor, signature_id, NOW)
        session.commit()
        assert pdf.startswith(b"%PDF-")
        rows = policies.status_by_department(session, hr, NOW)
        rd = next(r for r in rows if r.department == "研发部")
        assert (rd.signed, rd.unsigned, rd.overdue) == (1, 11, 0)
        late = policies.remind_due(session, NOW + timedelta(days=11))
        assert late["overdue"] == 39
        token = session.exec(sa.text("SELECT verify_token FROM signature")).scalar()
        assert signatures.verify(session, token).ok
        with pytest.raises(sa.exc.DBAPIError):
            session.execute(sa.text("UPDATE policy_version SET content = 'x'"))
        session.rollback()
        with pytest.raises(sa.exc.DBAPIError):
            session.execute(sa.text("DELETE FROM signature"))
        session.rollback()


def test_contacts_on_postgresql(pg):
    with Session(engine_for(pg), expire_on_commit=False) as session:
        actor = with_session(session, actor_for(session, "E1004"), NOW)
        contacts.save(
            session, actor, {"address": "上海市", "emergency_contact_name": "张父", "emergency_contact_phone": "13900139000"}, NOW
        )
        reauthenticate(session, actor, NOW)
        assert contacts.confirm_service(session, actor, ["inapp", "sms"], "张伟", drawing(), signatures.Context(), NOW) == 1
        session.commit()
        assert contacts.formal_channels(session, actor.employee_id) == ["inapp", "sms"]
        assert contacts.reconfirm_due(session, NOW)["asked"] == 39
        assert len(contacts.stale(session, actor_for(session, "hr01"), NOW + timedelta(days=400))) == 40
