"""Statutory annual leave (art. 3 tiers, art. 5 pro-rating), per-event limits, calendar counting,
childcare and overtime, checked against a plain day-by-day reference."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfservice.domain import leave_law as law
from selfservice.domain.errors import ValidationFailed
from selfservice.domain.leave import calendar_days


def reference(year: int, hire: date, work_start: date | None) -> int:
    """Day by day: each calendar day of the year in this employment is worth the tier of the
    working years completed on that day ÷ 365; the sum, fractions dropped. A whole year at one
    tier is the tier itself (366 days in a leap year do not make 15 into 15.04)."""
    since = work_start if work_start is not None and work_start <= hire else hire
    first, last = max(date(year, 1, 1), hire), date(year, 12, 31)
    tiers = []
    day = first
    while day <= last:
        # completed years; an anniversary of 29 February falls on 1 March in a common year
        years = day.year - since.year - ((day.month, day.day) < (since.month, since.day))
        tiers.append(15 if years >= 20 else 10 if years >= 10 else 5 if years >= 1 else 0)
        day += timedelta(days=1)
    year_days = 366 if _leap(year) else 365
    if len(tiers) == year_days and len(set(tiers)) == 1:
        return tiers[0]
    return sum(tiers) // 365


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


dates = st.dates(min_value=date(1975, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=400, deadline=None)
@given(year=st.integers(2000, 2030), hire=dates, prior_days=st.integers(0, 30 * 366))
def test_entitlement_matches_the_day_by_day_reference(year, hire, prior_days):
    work_start = hire - timedelta(days=prior_days)
    if work_start.year < 1950:
        return
    got = law.annual_entitlement(year, hire, work_start)
    assert got.days == reference(year, hire, work_start)
    assert 0 <= got.days <= 15
    if got.segments:  # the explanation adds up to the number
        assert sum(s.days for s in got.segments) <= 366 and got.weighted == sum(s.days * s.per_year for s in got.segments)


@pytest.mark.parametrize(
    ("work_start", "year", "days"),
    [
        (date(2016, 1, 1), 2026, 10),  # exactly 10 years on 1 January: the whole year at 10
        (date(2016, 1, 2), 2026, 9),  # 1 January at 5, the rest at 10: (1×5 + 364×10) ÷ 365 = 9.98 → 9
        (date(2006, 7, 1), 2026, 12),  # 20 years on 1 July: (181×10 + 184×15) ÷ 365 = 12.5 → 12
        (date(2025, 1, 1), 2026, 5),  # exactly 1 year on 1 January
        (date(2025, 12, 31), 2026, 0),  # 1 year on 31 December: 1×5 ÷ 365 → 0
        (date(2025, 7, 2), 2026, 2),  # 1 year on 2 July: 183×5 ÷ 365 = 2.5 → 2
        (date(2004, 2, 29), 2024, 14),  # 20 years on 29 February 2024: (59×10 + 307×15) ÷ 365 = 14.2 → 14
        (date(2005, 2, 29 - 1), 2025, 14),  # 20 years on 28 February 2025: (58×10 + 307×15) ÷ 365 = 14.2 → 14
    ],
)
def test_boundaries_at_1_10_and_20_years(work_start, year, days):
    got = law.annual_entitlement(year, work_start, work_start)  # with us since the first job: no pro-rating for joining
    assert got.days == days == reference(year, work_start, work_start)


def test_new_joiners_are_pro_rated_by_the_remaining_calendar_days():
    long_career = date(2000, 3, 1)
    assert law.annual_entitlement(2026, date(2026, 7, 1), long_career).days == 7  # 184 ÷ 365 × 15 = 7.56
    assert law.annual_entitlement(2026, date(2026, 12, 31), long_career).days == 0  # joining on 31 December
    assert law.annual_entitlement(2026, date(2026, 1, 1), long_career).days == 15
    leap = law.annual_entitlement(2024, date(2024, 1, 1), date(2010, 1, 1))
    assert leap.days == 10 and len(leap.segments) == 1  # 366 days at 10: still 10
    joined = law.annual_entitlement(2026, date(2026, 10, 1), None)
    assert joined.days == 0 and not joined.work_start_entered and joined.segments == ()  # no 参加工作时间: from the hire date


def test_work_start_checks():
    with pytest.raises(ValidationFailed, match="work_start_after_hire"):
        law.check_work_start(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(ValidationFailed, match="work_start_too_early"):
        law.check_work_start(date(1930, 2, 1), date(2026, 1, 1))
    law.check_work_start(None, date(2026, 1, 1))


def test_maternity_allowance_and_per_event_limits():
    shanghai = {p.kind: p for p in law.presets("shanghai")}
    maternity = shanghai[law.Kind.maternity]
    assert maternity.per_event_days == Decimal(158) and maternity.counting == law.Counting.calendar
    assert law.event_allowance("maternity", maternity.per_event_days, False, 1) == 158
    assert law.event_allowance("maternity", maternity.per_event_days, True, 2) == 158 + 15 + 15
    law.check_event("maternity", Decimal(158), Decimal(188), True, 2)
    with pytest.raises(ValidationFailed, match="leave.over_event"):
        law.check_event("maternity", Decimal(158), Decimal(159), False, 1)
    with pytest.raises(ValidationFailed, match="leave.babies_range"):
        law.check_event("maternity", Decimal(158), Decimal(10), False, 0)
    law.check_event("marriage", Decimal(10), Decimal(10), False, 1)
    with pytest.raises(ValidationFailed, match="leave.over_event"):
        law.check_event("marriage", Decimal(10), Decimal(11), False, 1)
    assert {law.presets(p)[1].per_event_days for p in law.PROVINCES} == {Decimal(3), Decimal(10), Decimal(13)}  # 婚假
    guangdong = {p.kind: p for p in law.presets("guangdong")}
    assert guangdong[law.Kind.maternity].per_event_days == 178 and guangdong[law.Kind.childcare].yearly_quota == 10
    with pytest.raises(ValidationFailed, match="province_unknown"):
        law.presets("atlantis")


def test_calendar_day_types_count_weekends_and_holidays():
    # 2026-09-28 (Mon) to 2026-10-11 (Sun): 14 calendar days, National Day week included
    assert calendar_days(date(2026, 9, 28), "am", date(2026, 10, 11), "pm") == 14
    assert calendar_days(date(2026, 9, 28), "pm", date(2026, 9, 28), "pm") == Decimal("0.5")
    with pytest.raises(ValidationFailed, match="end_before_start"):
        calendar_days(date(2026, 9, 28), "am", date(2026, 9, 27), "pm")


def test_children_under_three_and_births():
    births = law.parse_births("2023-05-01， 2026-02-10")
    assert births == [date(2023, 5, 1), date(2026, 2, 10)]
    assert law.children_under_age(births, 2026) == 2  # the elder turns 3 on 2026-05-01
    assert law.children_under_age(births, 2027) == 1
    assert law.children_under_age(births, 2029) == 1 and law.children_under_age(births, 2030) == 0
    with pytest.raises(ValidationFailed, match="field.date_format"):
        law.parse_births("2023-13-01")


@given(hours=st.decimals(min_value=Decimal("0.5"), max_value=Decimal(16), places=1))
def test_overtime_hours_become_exact_days_in_half_hours(hours):
    if hours % Decimal("0.5"):
        with pytest.raises(ValidationFailed):
            law.check_overtime(hours, date(2026, 11, 28), date(2026, 12, 1), 30, "release")
        return
    law.check_overtime(hours, date(2026, 11, 28), date(2026, 12, 1), 30, "release")
    assert law.lieu_days(hours) * 8 == hours


def test_overtime_refusals():
    today = date(2026, 12, 1)
    for hours, day, reason, key in (
        (Decimal(0), today, "x", "overtime.hours_range"),
        (Decimal(17), today, "x", "overtime.hours_range"),
        (Decimal(2), today + timedelta(days=1), "x", "overtime.future"),
        (Decimal(2), today - timedelta(days=40), "x", "leave.too_far_past"),
        (Decimal(2), today, " ", "leave.reason_missing"),
    ):
        with pytest.raises(ValidationFailed) as error:
            law.check_overtime(hours, day, today, 30, reason)
        assert error.value.key == key
