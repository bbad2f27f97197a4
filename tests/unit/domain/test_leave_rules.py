from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain.errors import ValidationFailed
from selfservice.domain.leave import DEFAULT_TYPES, LeaveTypeRule, balance, carry_over, check_days

ANNUAL, SICK, PERSONAL = DEFAULT_TYPES
halves = st.integers(-40, 40).map(lambda n: Decimal(n) / 2)


@given(st.lists(halves, max_size=30))
def test_balance_is_the_sum_of_the_ledger_in_any_order(amounts):
    assert balance(amounts) == balance(reversed(amounts)) == sum(amounts, Decimal(0))


@given(halves, st.integers(0, 20).map(Decimal))
def test_carry_over_is_within_zero_and_the_cap(unused, cap):
    carried = carry_over(unused, cap)
    assert Decimal(0) <= carried <= cap and carried <= max(unused, Decimal(0))


def test_over_balance_is_refused_with_the_numbers():
    with pytest.raises(ValidationFailed) as error:
        check_days(ANNUAL, Decimal("3.5"), Decimal(2))
    assert error.value.key == "leave.over_balance" and error.value.params == {"days": "3.5", "available": "2"}
    check_days(ANNUAL, Decimal(2), Decimal(2))


def test_types_without_balance_are_not_limited_and_whole_day_types_refuse_halves():
    check_days(PERSONAL, Decimal(30), None)
    whole = LeaveTypeRule("x", "婚假", "Marriage leave", paid=True, half_day=False, yearly_quota=Decimal(3))
    with pytest.raises(ValidationFailed) as error:
        check_days(whole, Decimal("1.5"), Decimal(3))
    assert error.value.key == "leave.whole_days_only"


def test_sick_leave_over_one_day_needs_a_note():
    assert not SICK.attachment_required(Decimal(1)) and SICK.attachment_required(Decimal("1.5"))


def test_check_request_order_and_negative_types():
    from datetime import date

    from selfservice.domain.leave import check_request, year_parts

    today = date(2026, 11, 25)
    ok = dict(start=date(2026, 12, 1), end=date(2026, 12, 2), today=today, past_limit_days=30, days=Decimal(2), available=Decimal(5))
    check_request(ANNUAL, **ok, attachments=0, overlaps=False, reason="trip")
    for changes, key in (
        ({"start": date(2026, 10, 1)}, "leave.too_far_past"),
        ({"reason": " "}, "leave.reason_missing"),
        ({"overlaps": True}, "leave.overlap"),
        ({"available": Decimal(1)}, "leave.over_balance"),
    ):
        args = {**ok, "attachments": 0, "overlaps": False, "reason": "trip", **changes}
        with pytest.raises(ValidationFailed) as error:
            check_request(ANNUAL, **args)
        assert error.value.key == key
    negative = LeaveTypeRule("adv", "预支年假", "Advance leave", paid=True, half_day=True, yearly_quota=Decimal(0), allow_negative=True)
    check_request(negative, **{**ok, "available": Decimal(0)}, attachments=0, overlaps=False, reason="x")
    assert year_parts(date(2026, 12, 30), "pm", date(2027, 1, 4), "am") == [
        (2026, date(2026, 12, 30), "pm", date(2026, 12, 31), "pm"),
        (2027, date(2027, 1, 1), "am", date(2027, 1, 4), "am"),
    ]
