"""Separation rules: the notice period (art. 37), the unused-leave settlement (实施办法 art. 12)
against a plain day-by-day reference, and the checklist's stage order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfservice.domain import separation as sep
from selfservice.domain.errors import ValidationFailed


def reference(hire: date, work_start: date | None, last_day: date, taken: Decimal) -> int:
    """Day by day from 1 January (or the hire date) to the last day: each day is worth the tier of
    the working years completed on it ÷ 365; minus the days taken; fractions dropped; never
    negative (days taken beyond the pro-rata share are not deducted)."""
    since = work_start if work_start is not None and work_start <= hire else hire
    total = Decimal(0)
    day = max(hire, date(last_day.year, 1, 1))
    while day <= last_day:
        years = day.year - since.year - ((day.month, day.day) < (since.month, since.day))
        total += 15 if years >= 20 else 10 if years >= 10 else 5 if years >= 1 else 0
        day += timedelta(days=1)
    exact = total / 365 - taken
    return max(0, int(exact // 1))


@settings(max_examples=300, deadline=None)
@given(
    hire=st.dates(min_value=date(2000, 1, 1), max_value=date(2028, 12, 31)),
    prior=st.integers(0, 25 * 366),
    worked=st.integers(0, 5 * 366),
    taken=st.integers(0, 40).map(lambda n: Decimal(n) / 2),
)
def test_settlement_matches_the_day_by_day_reference(hire, prior, worked, taken):
    last_day = hire + timedelta(days=worked)
    work_start = hire - timedelta(days=prior)
    got = sep.settlement(hire, work_start, last_day, taken)
    assert got.days == reference(hire, work_start, last_day, taken)
    assert got.days >= 0 and got.elapsed_days == (last_day - max(hire, date(last_day.year, 1, 1))).days + 1


def test_settlement_examples_with_the_working():
    # 10 days a year, leaving on 31 August 2026 (243 days), 3 days taken: 243 × 10 ÷ 365 − 3 = 3.66 → 3
    got = sep.settlement(date(2015, 3, 1), date(2010, 7, 1), date(2026, 8, 31), Decimal(3))
    assert (got.elapsed_days, got.weighted, got.exact, got.days, got.pay_percent) == (243, 2430, Decimal("3.66"), 3, 300)
    # took more than the pro-rata share: nothing to pay, nothing deducted
    assert sep.settlement(date(2015, 3, 1), date(2010, 7, 1), date(2026, 2, 28), Decimal(5)).days == 0
    # a leap year still divides by 365: all of 2028 at 5 days → 366 × 5 ÷ 365 = 5.01 → 5
    assert sep.settlement(date(2020, 1, 1), date(2019, 1, 1), date(2028, 12, 31), Decimal(0)).days == 5
    with pytest.raises(ValidationFailed, match="last_day_before_hire"):
        sep.settlement(date(2026, 5, 1), None, date(2026, 4, 30), Decimal(0))


def test_notice_period_and_last_day_checks():
    today = date(2026, 12, 1)
    assert sep.default_last_day(today, on_probation=False) == date(2026, 12, 31)
    assert sep.default_last_day(today, on_probation=True) == date(2026, 12, 4)
    sep.check_last_day(date(2026, 12, 31), today, False, manager_agreed=False)
    sep.check_last_day(date(2027, 1, 15), today, False, manager_agreed=False)  # later is the employee's choice
    sep.check_last_day(date(2026, 12, 10), today, False, manager_agreed=True)  # earlier, agreed
    for proposed, probation, key in (
        (date(2026, 11, 30), False, "separation.last_day_past"),
        (date(2026, 12, 10), False, "separation.last_day_early"),
        (date(2026, 12, 3), True, "separation.last_day_early"),
        (date(2028, 1, 1), False, "separation.last_day_too_far"),
    ):
        with pytest.raises(ValidationFailed) as error:
            sep.check_last_day(proposed, today, probation, manager_agreed=False)
        assert error.value.key == key


def _items(*spec):
    return [sep.ItemView(i + 1, stage, sep.ItemStatus(status)) for i, (stage, status) in enumerate(spec)]


def test_stages_open_one_after_another():
    items = _items((1, "open"), (1, "done"), (2, "waiting"), (3, "waiting"))
    assert sep.open_stage(items) == 1
    with pytest.raises(ValidationFailed, match="checklist.stage_not_open"):
        sep.check_confirm(items, 3)  # stage 2 while stage 1 is open
    with pytest.raises(ValidationFailed, match="checklist.item_done"):
        sep.check_confirm(items, 2)
    sep.check_confirm(items, 1)
    done = _items((1, "done"), (1, "done"), (2, "waiting"), (3, "waiting"))
    assert sep.statuses_after(done) == {1: "done", 2: "done", 3: "open", 4: "waiting"}
    back = _items((1, "done"), (1, "sent_back"), (2, "open"), (3, "waiting"))
    assert sep.open_stage(back) == 1, "an item sent back reopens its stage"
    assert sep.statuses_after(back)[3] == "waiting"
    assert sep.open_stage(_items((1, "done"), (2, "done"))) is None


@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["waiting", "open", "done", "sent_back"])), min_size=1, max_size=12))
def test_only_items_of_the_first_unfinished_stage_can_be_confirmed(spec):
    items = _items(*spec)
    current = sep.open_stage(items)
    for item in items:
        allowed = item.status != "done" and item.stage == current
        try:
            sep.check_confirm(items, item.id)
            assert allowed
        except ValidationFailed:
            assert not allowed
