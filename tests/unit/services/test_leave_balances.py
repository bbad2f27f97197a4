from datetime import timedelta

import pytest
import sqlalchemy as sa

from selfservice.domain.errors import NotPermitted, ValidationFailed
from selfservice.services import leave_balances
from tests.helpers import actor_for, same_leave_facts


def balance_of(session, viewer, username, year, code="annual"):
    employee_id = actor_for(session, username).employee_id
    return {r.code: r for r in leave_balances.balances(session, viewer, employee_id, year)}[code]


def _facts(session, username, hire, work_start):
    """Pin an employee's hire date and 参加工作时间 (the demo's move with the real date)."""
    from selfservice.persistence.models import Employee

    employee = session.get(Employee, actor_for(session, username).employee_id)
    employee.hire_date, employee.work_start_date = hire, work_start
    session.add(employee)
    session.flush()


def test_accrual_is_once_per_year_and_carry_over_is_capped(demo, now):
    from datetime import date

    hr = actor_for(demo, "hr01")
    leave_balances.ensure_default_types(demo)
    _facts(demo, "E1004", date(2020, 3, 1), date(2014, 6, 1))  # 10 years and more at work: 10 days a year
    leave_balances.accrue_year(demo, hr, 2025, now)
    assert leave_balances.accrue_year(demo, hr, 2025, now) == 0, "accrual is idempotent"
    employee_id = actor_for(demo, "E1004").employee_id
    leave_balances.adjust(demo, hr, employee_id, "annual", 2025, "3", "2024 overtime compensation", now)
    leave_balances.accrue_year(demo, hr, 2026, now + timedelta(days=1))
    last_year = balance_of(demo, hr, "E1004", 2025)
    this_year = balance_of(demo, hr, "E1004", 2026)
    assert last_year.balance == "0", "13 unused: 5 carried over, 8 lapsed"
    assert this_year.granted == "15" and this_year.balance == "15"
    assert leave_balances.accrue_year(demo, hr, 2026, now) == 0, "the nightly run writes nothing new"


def test_scope_of_balances(demo, now):
    from datetime import date

    leave_balances.ensure_default_types(demo)
    _facts(demo, "E1004", date(2022, 3, 1), date(2019, 6, 1))
    leave_balances.accrue_year(demo, actor_for(demo, "hr01"), 2026, now)
    assert balance_of(demo, actor_for(demo, "E1004"), "E1004", 2026).balance == "5"
    assert balance_of(demo, actor_for(demo, "E1002"), "E1004", 2026).balance == "5", "direct manager"
    with pytest.raises(NotPermitted):
        balance_of(demo, actor_for(demo, "E1005"), "E1004", 2026)
    with pytest.raises(NotPermitted):
        balance_of(demo, actor_for(demo, "E1003"), "E1004", 2026)


def test_adjustments_need_hr_a_reason_and_half_day_steps(demo, now):
    leave_balances.ensure_default_types(demo)
    employee_id = actor_for(demo, "E1004").employee_id
    hr = actor_for(demo, "hr01")
    with pytest.raises(NotPermitted):
        leave_balances.adjust(demo, actor_for(demo, "E1002"), employee_id, "annual", 2026, "1", "x", now)
    for days, note, key in (
        ("0.3", "x", "leave.days_format"),
        ("abc", "x", "leave.days_format"),
        ("0", "x", "leave.days_format"),
        ("1", " ", "leave.reason_required"),
    ):
        with pytest.raises(ValidationFailed) as error:
            leave_balances.adjust(demo, hr, employee_id, "annual", 2026, days, note, now)
        assert error.value.key == key


def test_ledger_entries_cannot_be_edited_or_deleted(demo, now):
    leave_balances.ensure_default_types(demo)
    same_leave_facts(demo)
    leave_balances.accrue_year(demo, actor_for(demo, "hr01"), 2026, now)
    demo.commit()
    for statement in ("UPDATE leave_ledger_entry SET days = 99", "DELETE FROM leave_ledger_entry"):
        with pytest.raises(sa.exc.DatabaseError):
            demo.connection().execute(sa.text(statement))
        demo.rollback()
