from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain.errors import ValidationFailed
from selfservice.domain.work_calendar import DayException, DayKind, Half, WorkCalendar, statutory_exceptions

CN_2026 = WorkCalendar(statutory_exceptions(2026))


def test_national_day_week_and_its_swapped_saturday():
    assert not CN_2026.is_workday(date(2026, 10, 1)) and not CN_2026.is_workday(date(2026, 10, 7))
    assert CN_2026.is_workday(date(2026, 10, 10)), "Saturday 10 Oct 2026 is a swapped workday (调休)"
    assert CN_2026.leave_days(date(2026, 9, 30), Half.am, date(2026, 10, 9), Half.pm) == Decimal(3)
    assert CN_2026.leave_days(date(2026, 9, 30), Half.pm, date(2026, 10, 10), Half.am) == Decimal(3)


def test_spring_festival_names_are_chinese_and_english():
    exceptions = statutory_exceptions(2026)
    assert exceptions[date(2026, 2, 17)] == DayException(DayKind.holiday, "春节", "Spring Festival")
    assert exceptions[date(2026, 2, 14)].kind == DayKind.swapped_workday


def test_half_days():
    plain = WorkCalendar({})
    monday = date(2026, 11, 23)
    assert plain.leave_days(monday, Half.am, monday, Half.am) == Decimal("0.5")
    assert plain.leave_days(monday, Half.pm, monday, Half.pm) == Decimal("0.5")
    assert plain.leave_days(monday, Half.am, monday, Half.pm) == Decimal(1)
    assert plain.leave_days(monday, Half.pm, monday + timedelta(days=1), Half.am) == Decimal(1)


@pytest.mark.parametrize(
    ("start", "start_half", "end", "end_half", "key"),
    [
        (date(2026, 11, 24), Half.am, date(2026, 11, 23), Half.pm, "leave.end_before_start"),
        (date(2026, 11, 23), Half.pm, date(2026, 11, 23), Half.am, "leave.half_order"),
        (date(2026, 11, 28), Half.am, date(2026, 11, 29), Half.pm, "leave.no_workdays"),
        (date(2026, 10, 1), Half.am, date(2026, 10, 7), Half.pm, "leave.no_workdays"),
    ],
)
def test_bad_ranges_are_refused_with_a_reason(start, start_half, end, end_half, key):
    with pytest.raises(ValidationFailed) as error:
        CN_2026.leave_days(start, start_half, end, end_half)
    assert error.value.key == key


def test_years_the_package_does_not_cover_are_refused():
    with pytest.raises(ValidationFailed) as error:
        statutory_exceptions(2031)
    assert error.value.key == "calendar.year_not_covered"


days_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
halves = st.sampled_from(list(Half))


@given(days_2026, st.integers(0, 60), halves, halves)
def test_leave_days_equal_workdays_less_skipped_halves(start, length, start_half, end_half):
    end = start + timedelta(days=length)
    workdays = sum(CN_2026.is_workday(start + timedelta(days=i)) for i in range(length + 1))
    expected = Decimal(workdays) - Decimal("0.5") * (
        (start_half == Half.pm and CN_2026.is_workday(start)) + (end_half == Half.am and CN_2026.is_workday(end))
    )
    if end == start and start_half == Half.pm and end_half == Half.am:
        with pytest.raises(ValidationFailed):
            CN_2026.leave_days(start, start_half, end, end_half)
    elif expected <= 0:
        with pytest.raises(ValidationFailed):
            CN_2026.leave_days(start, start_half, end, end_half)
    else:
        assert CN_2026.leave_days(start, start_half, end, end_half) == expected
        assert expected % Decimal("0.5") == 0 and expected <= length + 1


@given(days_2026, st.integers(1, 40), days_2026)
def test_a_new_holiday_never_makes_a_leave_longer(start, length, holiday):
    end = start + timedelta(days=length)
    before = WorkCalendar({})
    after = WorkCalendar({holiday: DayException(DayKind.holiday)})
    try:
        longer = after.leave_days(start, Half.am, end, Half.pm)
    except ValidationFailed:
        return
    assert longer <= before.leave_days(start, Half.am, end, Half.pm)
