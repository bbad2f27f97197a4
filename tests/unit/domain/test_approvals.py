"""The approval engine's rules without a database: routing, delegation, state machine, time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain import approvals as rules
from selfservice.domain.errors import DomainError, NotPermitted

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 1 ← 2 ← 3 (3 reports to 2, 2 to 1); department head of everyone is 1; 9 is inactive.
MANAGERS = {3: 2, 2: 1, 4: 9, 9: 1}


def make_org(delegates=None, away=(), inactive=(9,), heads=None):
    delegates = delegates or {}
    return rules.Org(
        manager_of=MANAGERS.get,
        dept_head_of=lambda e: (heads or {}).get(e, 1),
        delegate_of=delegates.get,
        is_away=lambda e: e in away,
        is_active=lambda e: e not in inactive,
    )


def test_plan_manager_then_head_over_threshold_then_hr():
    org = make_org()
    assert rules.plan(org, 3, Decimal(2), Decimal(3), False) == [rules.PlannedStep(rules.Rule.manager, 2)]
    assert rules.plan(org, 3, Decimal(4), Decimal(3), True) == [
        rules.PlannedStep(rules.Rule.manager, 2),
        rules.PlannedStep(rules.Rule.dept_head, 1),
        rules.PlannedStep(rules.Rule.hr, None),
    ]
    assert rules.plan(org, 2, Decimal(4), Decimal(3), False) == [rules.PlannedStep(rules.Rule.manager, 1)], "merged"
    assert rules.plan(org, 1, Decimal(1), None, False) == [rules.PlannedStep(rules.Rule.hr, None)], "no one above: HR"


def test_inactive_manager_is_skipped_and_nobody_approves_their_own_request():
    assert rules.plan(make_org(), 4, Decimal(1), None, False)[0].approver_id == 1
    assert rules.route(make_org(), 2, 2) == (1, None)


def test_delegation_and_absence_routing():
    assert rules.route(make_org(delegates={2: 5}), 3, 2) == (2, 5)
    assert rules.route(make_org(away={2}), 3, 2) == (2, 1), "away without a delegate: their manager"
    assert rules.route(make_org(delegates={2: 5}, away={2, 5}), 3, 2) == (2, 5), "delegate away: stays with the delegate"
    assert rules.route(make_org(delegates={2: 3}), 3, 2) == (2, None), "never delegated to the requester"
    assert rules.route(make_org(delegates={2: 5, 5: 2}), 3, 2) == (2, 5), "cycles stop"


@given(st.dictionaries(st.integers(1, 9), st.integers(1, 9), max_size=9), st.sets(st.integers(1, 9)), st.integers(1, 9), st.integers(1, 9))
def test_routing_never_lands_on_the_requester(delegates, away, requester, approver):
    routed, acting = rules.route(make_org(delegates=delegates, away=away), requester, approver)
    assert requester not in (routed, acting)
    assert acting is None or routed is not None


def view(status="pending", approver=2, acting=None, pool=""):
    return rules.StepView(1, 0, rules.StepStatus(status), approver, acting, pool)


def test_state_machine_refuses_illegal_decisions():
    rules.check_decision(view(), 3, 2, False)
    rules.check_decision(view(acting=5), 3, 5, False)
    rules.check_decision(view(approver=None, pool="hr"), 3, 7, True)
    with pytest.raises(NotPermitted):
        rules.check_decision(view(), 3, 3, True)  # own request, even for HR
    with pytest.raises(NotPermitted):
        rules.check_decision(view(), 3, 7, True)  # HR is not the named approver
    with pytest.raises(NotPermitted):
        rules.check_decision(view(approver=None, pool="hr"), 3, 7, False)
    for status in ("approved", "rejected", "escalated", "cancelled", "waiting"):
        with pytest.raises(DomainError) as refused:
            rules.check_decision(view(status), 3, 2, False)
        assert refused.value.key == "approval.already_decided"


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


def test_working_hours_skip_rest_days():
    friday_10 = datetime(2026, 11, 27, 10, tzinfo=SHANGHAI).astimezone(UTC)
    assert rules.add_working_hours(friday_10, 24, weekdays_only, SHANGHAI) == datetime(2026, 11, 30, 10, tzinfo=SHANGHAI)
    saturday = datetime(2026, 11, 28, 15, tzinfo=SHANGHAI)
    assert rules.add_working_hours(saturday, 1, weekdays_only, SHANGHAI) == datetime(2026, 11, 30, 1, tzinfo=SHANGHAI)


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)), st.integers(1, 200))
def test_working_hours_are_monotonic_and_count_only_workdays(start, hours):
    due = rules.add_working_hours(start, hours, weekdays_only, SHANGHAI)
    assert due >= start + timedelta(hours=hours)
    assert rules.add_working_hours(start, hours + 1, weekdays_only, SHANGHAI) > due
    counted, moment = timedelta(0), start
    while moment < due:  # walk in 30-minute steps, counting workday time
        step = min(timedelta(minutes=30), due - moment)
        if weekdays_only(moment.astimezone(SHANGHAI).date()):
            counted += step
        moment += step
    assert abs(counted - timedelta(hours=hours)) <= timedelta(minutes=30)


def test_overdue_reminds_once_then_escalates():
    due = datetime(2026, 12, 1, tzinfo=UTC)
    later = due + timedelta(days=1)
    assert rules.overdue_action(due - timedelta(seconds=1), due, None, later) == rules.Overdue.none
    assert rules.overdue_action(due, due, None, later) == rules.Overdue.remind
    assert rules.overdue_action(due + timedelta(hours=1), due, due, later) == rules.Overdue.none
    assert rules.overdue_action(later, due, due, later) == rules.Overdue.escalate
