"""Issue 14: reference data (calendar, watch rules, shift patterns, leave types) is remembered
between events, and never answers with anything older than the database."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from selfservice.domain.actor import SYSTEM
from selfservice.persistence import epochs, reference
from selfservice.persistence.db import engine_for
from selfservice.persistence.models import AttendancePolicy, LeaveType, WorkCalendarDay
from selfservice.services import attendance_settings, leave_balances, work_calendar

NOW = datetime(2026, 12, 2, 1, tzinfo=UTC)


def _queries(session: Session, fn, *args):  # noqa: ANN001, ANN202
    """The answer of ``fn(session, *args)`` and how many statements it sent."""
    sent: list[str] = []

    def count(*_: object) -> None:
        sent.append("")

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        return fn(session, *args), len(sent)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_second_read_sends_no_query_and_a_change_is_seen_at_once(db_url, demo):
    engine = engine_for(db_url)
    with Session(engine) as first:
        rules, sent = _queries(first, attendance_settings.watch_rules)
        assert sent >= 1
    with Session(engine) as second:
        again, sent = _queries(second, attendance_settings.watch_rules)
        assert (again, sent) == (rules, 0)
    with Session(engine) as hr:
        attendance_settings.save_rules(hr, SYSTEM, {**attendance_settings.rules_form(hr, SYSTEM), "case_threshold": "5"}, NOW)
        assert attendance_settings.watch_rules(hr).case_threshold == 5, "the saving transaction sees its own change"
        hr.commit()
    with Session(engine) as third:
        assert attendance_settings.watch_rules(third).case_threshold == 5


def test_an_uncommitted_change_is_neither_remembered_nor_shown_to_others(db_url, demo):
    engine = engine_for(db_url)
    leave_balances.ensure_default_types(demo)
    demo.commit()
    with Session(engine) as reader:
        before = leave_balances.leave_types(reader)
    with Session(engine) as hr:
        row = hr.exec(select(LeaveType).where(LeaveType.code == "sick")).one()
        row.name = "私事假"
        hr.add(row)
        assert any(r.name == "私事假" for r in leave_balances.leave_types(hr)), "seen inside, before any flush"
        hr.rollback()
    with Session(engine) as reader:
        assert leave_balances.leave_types(reader) == before


def test_new_calendar_days_count_and_a_bulk_or_textual_update_too(db_url, demo):
    engine = engine_for(db_url)
    day = date(2026, 12, 30)
    with Session(engine) as reader:
        assert work_calendar.load(reader, day, day).is_workday(day)
    with Session(engine) as hr:
        hr.add(WorkCalendarDay(day=day, kind="holiday", name="测试", name_en="Test", source="manual", updated_at=NOW))
        hr.commit()
    with Session(engine) as reader:
        assert not work_calendar.load(reader, day, day).is_workday(day), "a new row moves the reference epoch"
    with Session(engine) as hr:
        hr.execute(sa.update(AttendancePolicy).values(case_threshold=7))
        hr.commit()
    with Session(engine) as reader:
        rules = attendance_settings.watch_rules(reader)
        assert rules.case_threshold == 7 or reader.get(AttendancePolicy, 1) is None
    with Session(engine) as hr:
        hr.execute(sa.text("DELETE FROM work_calendar_day WHERE day = :d"), {"d": day})
        hr.commit()
    with Session(engine) as reader:
        assert work_calendar.load(reader, day, day).is_workday(day), "a textual statement counts for every epoch"


def test_another_process_moving_the_epoch_drops_the_answer(db_url, demo):
    engine = engine_for(db_url)
    with Session(engine) as reader:
        leave_balances.leave_types(reader)
    with Session(engine) as reader:
        _, sent = _queries(reader, leave_balances.leave_types)
        assert sent == 0
    path = epochs.REFERENCE._file()  # noqa: SLF001  (as the CLI or another worker would)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    later = time.time_ns() + 1_000_000
    os.utime(path, ns=(later, later))
    with Session(engine) as reader:
        _, sent = _queries(reader, leave_balances.leave_types)
        assert sent >= 1


def test_processes_with_different_data_folders_share_a_sqlite_databases_epoch(db_url, tmp_path, monkeypatch):
    """A browser test's own process (or the CLI run elsewhere) writes to the app's database with
    another data folder: the epoch lives beside the database file, so both see the same one."""
    from selfservice.settings import get_settings

    here = epochs.REFERENCE._file(db_url)  # noqa: SLF001
    monkeypatch.setenv("SELFSERVICE_DATA_DIR", str(tmp_path / "elsewhere"))
    get_settings.cache_clear()
    if epochs.sqlite_file(db_url) is not None:
        assert epochs.REFERENCE._file(db_url) == here  # noqa: SLF001
        assert here.parent == epochs.sqlite_file(db_url).parent
    else:
        assert epochs.REFERENCE._file(db_url).parent == tmp_path / "elsewhere"  # noqa: SLF001  (PostgreSQL: one host's data folder, or Redis)


def test_two_databases_never_share_answers(db_url, demo, tmp_path):
    from selfservice.persistence import migrate

    other = f"sqlite:///{tmp_path / 'other.db'}"
    migrate.upgrade("head", other)
    leave_balances.ensure_default_types(demo)
    demo.commit()
    with Session(engine_for(db_url)) as one:
        assert leave_balances.leave_types(one)
    with Session(engine_for(other)) as two:
        assert leave_balances.leave_types(two) == [], "an empty installation has no types"
    assert reference.MAX_AGE <= 300
