"""The set-based streak query gives exactly what the day-by-day reference gives, on random
punches, voids, half-day and retroactive leave, rosters, hire dates, holidays and 调休 days,
and across a year whose holidays nobody entered."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from selfservice.domain import attendance as rules
from selfservice.domain.actor import SYSTEM
from selfservice.persistence.models import (
    Department,
    Employee,
    LeaveRequest,
    LeaveType,
    Punch,
    PunchSource,
    PunchVoid,
    ScheduleAssignment,
    ShiftPattern,
)
from selfservice.services import absence_streaks, attendance_settings, work_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIODS = {
    "golden_week": date(2026, 10, 9),  # 09-30 worked?, 10-01..07 holiday, Sat 10-10 is a 调休 workday
    "new_year_unentered": date(2027, 1, 5),  # 2027 is not in the calendar: its days are unconfirmed
    "plain_november": date(2026, 11, 20),
}
_counter = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def scan_db(request, tmp_path_factory):
    """One database for every example (SQLite, then PostgreSQL): each example adds its own employees."""
    import os

    from selfservice.persistence import migrate
    from selfservice.persistence.db import engine_for
    from selfservice.settings import get_settings

    if request.param == "postgresql":
        from tests.pg import fresh_database

        url = fresh_database(request.getfixturevalue("pg_server"), "streaks")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('scan') / 'scan.db'}"
    old = os.environ.get("SELFSERVICE_DB_URL")
    os.environ["SELFSERVICE_DB_URL"] = url
    get_settings.cache_clear()
    migrate.upgrade("head", url)
    with Session(engine_for(url)) as session:
        work_calendar.load_statutory(session, SYSTEM, 2026, datetime(2026, 1, 1, tzinfo=UTC))
        session.add(Department(code="D", name="部门"))
        session.add(LeaveType(code="annual", name="年假", name_en="Annual leave"))
        session.add_all(
            [
                ShiftPattern(
                    name="4 on 2 off",
                    kind="cycle",
                    days="111100",
                    anchor=date(2026, 8, 3),
                    follows_calendar=False,
                    start_time="08:00",
                    end_time="20:00",
                ),
                ShiftPattern(name="six days", kind="weekly", days="1111110", follows_calendar=True, start_time="09:00", end_time="18:00"),
                ShiftPattern(name="nights", kind="weekly", days="1111100", follows_calendar=True, start_time="22:00", end_time="06:00"),
            ]
        )
        session.add(PunchSource(code="test", kind="api", name="test"))
        session.commit()
    yield url
    if old is None:
        os.environ.pop("SELFSERVICE_DB_URL", None)
    else:
        os.environ["SELFSERVICE_DB_URL"] = old
    get_settings.cache_clear()


halves = st.sampled_from(["am", "pm"])


@st.composite
def people(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    judged = PERIODS[period]
    count = draw(st.integers(1, 4))
    result = []
    for _ in range(count):
        span = list(range(-45, 2))  # days relative to the last judged day; +1 is "today"
        punch_days = draw(st.lists(st.sampled_from(span), max_size=25, unique=True))
        punches = [(d, draw(st.sampled_from([time(8, 55), time(12, 0), time(14, 30), time(18, 5), time(23, 0)]))) for d in punch_days]
        voided = draw(st.lists(st.sampled_from(range(len(punches))), unique=True, max_size=3)) if punches else []
        leave = draw(
            st.lists(
                st.tuples(
                    st.integers(-40, 0),
                    st.integers(0, 6),
                    halves,
                    halves,
                    st.sampled_from(["approved", "approved", "pending", "cancel_pending"]),
                ),
                max_size=3,
            )
        )
        result.append(
            {
                "hire": draw(st.integers(-70, 0)),
                "punches": punches,
                "voided": voided,
                "leave": leave,
                "pattern": draw(st.sampled_from([None, None, "4 on 2 off", "six days", "nights"])),
                "assigned": draw(st.integers(-60, -1)),
            }
        )
    return period, judged, draw(st.integers(-35, -5)), draw(st.integers(14, 40)), result


def reference(session: Session, person: dict, employee_id: int, as_of: datetime, tracked_from: date, lookback: int) -> rules.Streak | None:
    plan = attendance_settings.schedules(session, as_of.date() - timedelta(days=120), as_of.date())
    schedule = plan.of(employee_id, as_of.date() - timedelta(days=1)) if person["pattern"] else plan.standard
    through = schedule.judged_through(as_of, SHANGHAI)
    employee = session.get(Employee, employee_id)
    since = max(employee.hire_date, tracked_from, plan.assigned_since(employee_id, through) or date(1970, 1, 1))
    punches = session.exec(
        select(Punch).where(Punch.employee_id == employee_id, ~select(PunchVoid.id).where(PunchVoid.punch_id == Punch.id).exists())
    ).all()
    leave = session.exec(
        select(LeaveRequest).where(LeaveRequest.employee_id == employee_id, LeaveRequest.status.in_(("approved", "cancel_pending")))
    ).all()
    spans = [rules.LeaveSpan(r.start_date, r.start_half, r.end_date, r.end_half) for r in leave]
    today = as_of.astimezone(SHANGHAI).date()
    unconfirmed = attendance_settings.unconfirmed_years(session, today - timedelta(days=120), today)
    records = rules.month_records(
        through - timedelta(days=100),
        today,
        lambda _day: schedule,
        [p.at.astimezone(SHANGHAI).replace(tzinfo=None) for p in punches if p.at <= as_of],
        spans,
        since,
        lambda _s: through,
        unconfirmed,
    )
    return rules.streak_of(records, through, through - timedelta(days=lookback - 1))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people())
def test_set_based_scan_equals_day_by_day_reference(scan_db, example):
    from selfservice.persistence.db import engine_for

    period, judged, tracked_offset, lookback, persons = example
    as_of = datetime.combine(judged + timedelta(days=1), time(10), tzinfo=SHANGHAI)
    tracked_from = judged + timedelta(days=tracked_offset)
    watch = rules.WatchRules(lookback_days=lookback)
    with Session(engine_for(scan_db)) as session:
        source = session.exec(select(PunchSource)).first()
        department = session.exec(select(Department)).first()
        patterns = {p.name: p.id for p in session.exec(select(ShiftPattern)).all()}
        ids = []
        for person in persons:
            number = next(_counter)
            employee = Employee(
                employee_no=f"P{number}", name=f"人{number}", department_id=department.id, hire_date=judged + timedelta(days=person["hire"])
            )
            session.add(employee)
            session.flush()
            ids.append(employee.id)
            if person["pattern"]:
                session.add(
                    ScheduleAssignment(
                        employee_id=employee.id,
                        pattern_id=patterns[person["pattern"]],
                        starts_on=judged + timedelta(days=person["assigned"]),
                    )
                )
            rows = []
            for offset, moment in person["punches"]:
                local = datetime.combine(judged + timedelta(days=offset), moment, tzinfo=SHANGHAI)
                rows.append(
                    Punch(
                        employee_id=employee.id,
                        at=local,
                        work_date=local.date(),
                        source_id=source.id,
                        external_id=f"{number}-{offset}-{moment}",
                    )
                )
            session.add_all(rows)
            session.flush()
            session.add_all([PunchVoid(punch_id=rows[i].id, reason="test") for i in person["voided"]])
            for start, length, first_half, last_half, status in person["leave"]:
                first = judged + timedelta(days=start)
                session.add(
                    LeaveRequest(
                        employee_id=employee.id,
                        leave_type="annual",
                        start_date=first,
                        start_half=first_half,
                        end_date=first + timedelta(days=length),
                        end_half="pm" if length == 0 and first_half == "pm" else last_half,
                        days=1,
                        status=status,
                    )
                )
        session.flush()
        found, _ = absence_streaks.find_streaks(session, as_of.astimezone(UTC), watch, tracked_from, set(ids))
        for person, employee_id in zip(persons, ids, strict=True):
            expected = reference(session, person, employee_id, as_of.astimezone(UTC), tracked_from, lookback)
            got = found.get(employee_id)
            event(
                f"{period}: "
                + (
                    "no streak"
                    if expected is None
                    else ("capped" if expected.capped else f"streak of {min(len(expected), 5)}+")
                    + (" unconfirmed" if expected.unconfirmed else "")
                    + (" half" if expected.missing % 1 else "")
                )
            )
            if expected is None:
                assert got is None, (period, person)
            else:
                assert got is not None, (period, person, expected)
                assert got.streak.days == expected.days, (period, person)
                assert got.streak.missing == expected.missing
                assert got.streak.unconfirmed == expected.unconfirmed
                assert got.streak.capped == expected.capped
        session.commit()


def test_golden_week_example_from_the_issue(scan_db):
    """09-30 missed, 10-01..07 holiday, 10-08 missed → a streak of 2 on 10-08."""
    from selfservice.persistence.db import engine_for

    with Session(engine_for(scan_db)) as session:
        source = session.exec(select(PunchSource)).first()
        department = session.exec(select(Department)).first()
        employee = Employee(employee_no="GOLD1", name="国庆", department_id=department.id, hire_date=date(2026, 1, 1))
        session.add(employee)
        session.flush()
        at = datetime(2026, 9, 29, 9, 0, tzinfo=SHANGHAI)
        session.add(Punch(employee_id=employee.id, at=at, work_date=at.date(), source_id=source.id, external_id="gold-929"))
        session.flush()
        as_of = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
        found, _ = absence_streaks.find_streaks(session, as_of, rules.WatchRules(), date(2026, 9, 1), {employee.id})
        assert found[employee.id].streak.days == (date(2026, 9, 30), date(2026, 10, 8))
        as_of = datetime(2026, 10, 11, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)  # Sat 10-10 was a 调休 workday
        found, _ = absence_streaks.find_streaks(session, as_of, rules.WatchRules(), date(2026, 9, 1), {employee.id})
        assert found[employee.id].streak.days == (date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10))
        session.rollback()
