from datetime import date
from decimal import Decimal

import pytest

from selfservice.domain.errors import NotPermitted, ValidationFailed
from selfservice.persistence.models import WorkCalendarDay
from selfservice.services import work_calendar
from tests.helpers import actor_for, audit_count


def test_hr_loads_statutory_days_and_everyone_reads_them(demo, now):
    hr, employee = actor_for(demo, "hr01"), actor_for(demo, "E1004")
    before = audit_count(demo)
    assert work_calendar.load_statutory(demo, hr, 2026, now) == 25
    rows = work_calendar.year_rows(demo, employee, 2026)
    assert len(rows) == 25 and rows[0].day == "2026-01-01" and rows[0].name == "元旦"
    assert audit_count(demo) == before + 1
    assert work_calendar.count_leave_days(demo, employee, date(2026, 9, 30), "am", date(2026, 10, 9), "pm") == Decimal(3)


def test_only_hr_changes_the_calendar(demo, now):
    employee = actor_for(demo, "E1004")
    with pytest.raises(NotPermitted):
        work_calendar.load_statutory(demo, employee, 2026, now)
    with pytest.raises(NotPermitted):
        work_calendar.set_day(demo, employee, date(2027, 1, 1), "holiday", "元旦", now)
    assert demo.get(WorkCalendarDay, date(2027, 1, 1)) is None


def test_hr_enters_a_later_year_by_hand_and_reloading_keeps_it(demo, now):
    hr = actor_for(demo, "hr01")
    with pytest.raises(ValidationFailed) as not_covered:
        work_calendar.load_statutory(demo, hr, 2031, now)
    assert not_covered.value.key == "calendar.year_not_covered"
    work_calendar.set_day(demo, hr, date(2031, 1, 1), "holiday", "元旦", now)
    work_calendar.set_day(demo, hr, date(2031, 1, 4), "swapped_workday", "元旦调休", now)
    with pytest.raises(ValidationFailed) as weekend:
        work_calendar.set_day(demo, hr, date(2031, 1, 5), "holiday", "x", now)
    assert weekend.value.key == "calendar.holiday_on_weekend"
    with pytest.raises(ValidationFailed) as weekday:
        work_calendar.set_day(demo, hr, date(2031, 1, 6), "swapped_workday", "x", now)
    assert weekday.value.key == "calendar.swap_on_weekday"
    assert [r.kind for r in work_calendar.year_rows(demo, hr, 2031)] == ["holiday", "swapped_workday"]
    work_calendar.set_day(demo, hr, date(2026, 10, 8), "holiday", "公司庆典", now)
    work_calendar.load_statutory(demo, hr, 2026, now)
    assert demo.get(WorkCalendarDay, date(2026, 10, 8)).name == "公司庆典", "HR's own entries survive a reload"
    work_calendar.set_day(demo, hr, date(2031, 1, 1), "", "", now)
    assert demo.get(WorkCalendarDay, date(2031, 1, 1)) is None
