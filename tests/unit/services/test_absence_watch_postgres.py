"""The absence watch on PostgreSQL: the same answers as on SQLite, and two schedulers (or a
scheduler and an operator) scanning at once still remind each employee once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from selfservice.demo import load_demo
from selfservice.domain.actor import SYSTEM
from selfservice.persistence import migrate
from selfservice.persistence.db import engine_for
from selfservice.persistence.models import AbsenceAction, AbsenceStreak, AttendancePolicy, NotificationMessage, ScanRun
from selfservice.services import absence_watch, attendance
from tests.helpers import actor_for
from tests.unit.services.test_absence_watch import NEXT, WEEK, local, present

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_server, tmp_path, monkeypatch):
    from selfservice.settings import get_settings
    from tests.pg import fresh_database

    url = fresh_database(pg_server, f"watch_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    with Session(engine_for(url), expire_on_commit=False) as session:
        load_demo(session, workflows=False)
        session.add(AttendancePolicy(id=1, tracked_from=WEEK[0]))
        session.commit()
        present(session, WEEK, {"E1004": {WEEK[3], WEEK[4]}, "E3008": {WEEK[4]}})
        present(session, NEXT[:1], {"E1004": {NEXT[0]}, "E3008": {NEXT[0]}})
    yield url
    get_settings.cache_clear()


def test_the_scan_on_postgresql_finds_the_same_streaks_and_reminds(pg):
    with Session(engine_for(pg), expire_on_commit=False) as session:
        report = absence_watch.scan(session, SYSTEM, NEXT[1], local(NEXT[1], 10))
        session.commit()
        rows = {
            r.employee_no: (r.days, r.reminder_at != "")
            for r in attendance.current_streaks(session, actor_for(session, "hr01"), local(NEXT[1], 11), 1)
        }
    assert rows == {"E1004": (3, True), "E3008": (2, True)}
    assert len(report.reminded) == 2


@pytest.mark.parametrize("how", ["two schedulers", "scheduler and operator"])
def test_two_scans_at_once_remind_each_employee_once(pg, how):
    start = threading.Barrier(2)

    def scan(which: int):
        with Session(engine_for(pg), expire_on_commit=False) as session:
            start.wait()
            if how == "two schedulers" or which == 0:
                result = absence_watch.scheduled_scan(session, SYSTEM, local(NEXT[1], 10, 1))
            else:
                result = absence_watch.scan(session, SYSTEM, NEXT[1], local(NEXT[1], 10, 1), trigger="cli")
            session.commit()
            return result

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(scan, [0, 1]))
    with Session(engine_for(pg)) as session:
        reminders = session.exec(select(NotificationMessage).where(NotificationMessage.kind == "absence_reminder")).all()
        runs = session.exec(select(ScanRun)).all()
        streaks = session.exec(select(AbsenceStreak).where(AbsenceStreak.status == "open")).all()
        actions = session.exec(select(AbsenceAction)).all()
    assert len(reminders) == 2 and len(actions) == 2 and len(streaks) == 2
    if how == "two schedulers":
        assert sum(r is not None for r in results) == 1 and [r.run_key for r in runs] == ["schedule:2026-11-24"]
    else:
        assert len(runs) == 2
