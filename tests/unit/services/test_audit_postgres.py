"""On PostgreSQL, concurrent writers still produce one gap-free chain, and tampering is found."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from selfservice.domain.actor import SYSTEM
from selfservice.persistence import migrate
from selfservice.persistence.db import engine_for
from selfservice.services import audit

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_server):
    from tests.pg import fresh_database

    url = fresh_database(pg_server, f"audit_{uuid.uuid4().hex[:8]}")
    migrate.upgrade("head", url)
    return url


def test_concurrent_appends_form_one_gap_free_chain(pg_url):
    engine = engine_for(pg_url)

    def write(worker: int) -> None:
        for i in range(25):
            with Session(engine) as session:
                audit.append(session, SYSTEM, "test.concurrent", "worker", worker, after={"i": i})
                session.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    with Session(engine) as session:
        result = audit.verify(session)
    assert result.ok and result.checked == 200


def test_tampering_is_found_on_postgresql(pg_url):
    engine = engine_for(pg_url)
    with Session(engine) as session:
        for i in range(5):
            audit.append(session, SYSTEM, "test.event", "employee", i, after={"n": i})
        session.commit()
    with engine.begin() as connection:
        with pytest.raises(sa.exc.DatabaseError):
            with connection.begin_nested():
                connection.execute(sa.text("UPDATE audit_log SET action = 'x' WHERE seq = 3"))
        connection.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        connection.execute(sa.text("UPDATE audit_log SET after_json = :v WHERE seq = 3"), {"v": '{"n":9}'})
    with Session(engine) as session:
        result = audit.verify(session)
    assert not result.ok and result.first_bad_seq == 3
