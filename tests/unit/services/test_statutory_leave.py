"""Statutory leave on the demo company: presets by province, annual leave from 参加工作时间 (and
recomputed when HR corrects it), calendar-day maternity leave, per-event limits and proof, the
preview listing every refusal, and overtime credited as time off in lieu."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from selfservice.domain.errors import NotPermitted, ValidationFailed
from selfservice.persistence.models import AuditEntry, Employee, LeaveLedgerEntry, LeaveType, OvertimeRequest
from selfservice.services import approvals, employees, leave_balances, leave_requests, overtime
from tests.helpers import actor_for, audit_count, same_leave_facts

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


@pytest.fixture
def company(demo):
    leave_balances.ensure_default_types(demo)
    same_leave_facts(demo)
    leave_balances.apply_presets(demo, actor_for(demo, "hr01"), "shanghai", ["marriage", "maternity", "lieu", "childcare"], NOW)
    leave_balances.accrue_year(demo, actor_for(demo, "hr01"), 2026, NOW)
    demo.commit()
    return demo


def submit(session, who, kind, start, end, reason="family", staged=(), halves=("am", "pm"), **extra):
    return leave_requests.submit(
        session, actor_for(session, who), kind, start, halves[0], end, halves[1], reason, list(staged), NOW, **extra
    )


def test_presets_are_hr_only_audited_and_fill_the_provinces_days(company):
    with pytest.raises(NotPermitted):
        leave_balances.apply_presets(company, actor_for(company, "E1004"), "beijing", ["marriage"], NOW)
    with pytest.raises(ValidationFailed, match="presets_none"):
        leave_balances.apply_presets(company, actor_for(company, "hr01"), "beijing", [], NOW)
    maternity = company.get(LeaveType, "maternity")
    assert (maternity.per_event_days, maternity.counting, maternity.kind, maternity.active) == (Decimal(158), "calendar", "maternity", True)
    assert company.get(LeaveType, "marriage").per_event_days == Decimal(10) and company.get(LeaveType, "lieu").carry_over_cap == 365
    leave_balances.apply_presets(company, actor_for(company, "hr01"), "guangdong", ["maternity"], NOW)
    assert company.get(LeaveType, "maternity").per_event_days == Decimal(178)
    entry = company.exec(select(AuditEntry).where(AuditEntry.action == "leave.type_preset").order_by(AuditEntry.seq.desc())).first()
    assert json.loads(entry.after_json)["province"] == "guangdong" and entry.actor_id == actor_for(company, "hr01").account_id


def test_maternity_leave_counts_calendar_days_and_needs_no_entered_calendar(company):
    # 2026-09-28 to 2026-10-11: 14 calendar days over the National Day week; 2027 need not be entered
    shown = leave_requests.preview(company, actor_for(company, "E1006"), "maternity", date(2026, 12, 1), "am", date(2027, 5, 7), "pm", NOW)
    assert shown.days == "158" and shown.problems == [] and shown.allowance == "158"
    over = leave_requests.preview(company, actor_for(company, "E1006"), "maternity", date(2026, 12, 1), "am", date(2027, 5, 8), "pm", NOW)
    assert [p.key for p in over.problems] == ["leave.over_event"]
    twins = leave_requests.preview(
        company, actor_for(company, "E1006"), "maternity", date(2026, 12, 1), "am", date(2027, 6, 6), "pm", NOW, True, 2
    )
    assert twins.days == "188" and twins.problems == [] and twins.allowance == "188"
    with pytest.raises(ValidationFailed, match="leave.proof_required"):
        submit(company, "E1006", "maternity", date(2026, 12, 1), date(2027, 5, 7))


def test_per_event_type_limits_and_whole_days(company):
    shown = leave_requests.preview(company, actor_for(company, "E1004"), "marriage", date(2026, 12, 1), "am", date(2026, 12, 15), "pm", NOW)
    assert shown.days == "11" and [p.key for p in shown.problems] == ["leave.over_event"]  # 10 working days at most (Shanghai)
    half = leave_requests.preview(company, actor_for(company, "E1004"), "marriage", date(2026, 12, 1), "am", date(2026, 12, 1), "am", NOW)
    assert [p.key for p in half.problems] == ["leave.whole_days_only"]


def test_the_preview_lists_every_refusal_at_once_and_submit_refuses_with_the_first(company):
    employee = actor_for(company, "E1004")
    submit(company, "E1004", "annual", date(2026, 12, 1), date(2026, 12, 1))
    company.commit()
    # too far back, overlapping the request above, and more days than the balance: all three at once
    shown = leave_requests.preview(company, employee, "annual", date(2026, 10, 1), "am", date(2026, 12, 4), "pm", NOW)
    assert [p.key for p in shown.problems] == ["leave.too_far_past", "leave.overlap", "leave.over_balance"]
    before = audit_count(company)
    with pytest.raises(ValidationFailed, match="leave.too_far_past"):
        submit(company, "E1004", "annual", date(2026, 10, 1), date(2026, 12, 4))
    company.rollback()
    assert audit_count(company) == before
    fine = leave_requests.preview(company, employee, "annual", date(2026, 12, 7), "am", date(2026, 12, 7), "pm", NOW)
    assert fine.problems == [] and (fine.days, fine.balance, fine.balance_after) == ("1", "4", "3")


def test_annual_leave_follows_the_record_and_is_recomputed_when_hr_corrects_it(company):
    hr = actor_for(company, "hr01")
    employee_id = actor_for(company, "E1005").employee_id
    assert leave_balances.balance_of(company, employee_id, "annual", 2026) == 5
    record = employees.edit_view(company, hr, employee_id).values
    employees.update(company, hr, employee_id, {**record, "work_start_date": "2006-01-01"}, NOW)  # 20 years and more
    company.commit()
    assert leave_balances.balance_of(company, employee_id, "annual", 2026) == 15
    entries = company.exec(
        select(LeaveLedgerEntry).where(
            LeaveLedgerEntry.employee_id == employee_id, LeaveLedgerEntry.year == 2026, LeaveLedgerEntry.kind == "accrual"
        )
    ).all()
    assert [e.days for e in entries] == [Decimal(5), Decimal(10)] and "5 → 15" in entries[1].note  # appended, never overwritten
    explained = leave_balances.annual_explanation(company, actor_for(company, "E1005"), employee_id, 2026)
    assert explained.work_start == "2006-01-01" and explained.entitlement.days == 15
    with pytest.raises(NotPermitted):
        leave_balances.annual_explanation(company, actor_for(company, "E1007"), employee_id, 2026)
    with pytest.raises(employees.InvalidEmployee) as bad:
        employees.update(company, hr, employee_id, {**record, "work_start_date": "2027-01-01"}, NOW)
    assert bad.value.errors[0].key == "employee.work_start_after_hire"


def test_a_new_hire_gets_pro_rated_days_at_once(company):
    hr = actor_for(company, "hr01")
    employee_id = employees.create(
        company,
        hr,
        {
            "employee_no": "E9001",
            "name": "新同事",
            "department": "RD",
            "hire_date": "2026-07-01",
            "work_start_date": "2012-07-01",  # 14 years: 10 days a year
            "phone": "13800139001",
        },
        now=NOW,
    )
    company.commit()
    assert leave_balances.balance_of(company, employee_id, "annual", 2026) == 5  # 184 ÷ 365 × 10 = 5.04


def test_childcare_leave_is_granted_per_child_under_three(company):
    employee = company.get(Employee, actor_for(company, "E1006").employee_id)
    employee.child_births = "2025-03-01,2024-06-01"
    company.add(employee)
    company.flush()
    leave_balances.accrue_year(company, actor_for(company, "hr01"), 2026, NOW)
    assert leave_balances.balance_of(company, employee.id, "childcare", 2026) == 10  # 5 days × 2 children (Shanghai)


def test_overtime_approved_credits_time_off_in_lieu_which_leave_then_draws(company):
    worker, manager = actor_for(company, "E1004"), actor_for(company, "E1002")
    with pytest.raises(ValidationFailed, match="overtime.future"):
        overtime.submit(company, worker, date(2026, 11, 26), "4", "release", NOW)
    request_id = overtime.submit(company, worker, date(2026, 11, 21), "4", "release night", NOW)
    with pytest.raises(ValidationFailed, match="overtime.same_day"):
        overtime.submit(company, worker, date(2026, 11, 21), "2", "again", NOW)
    with pytest.raises(NotPermitted):
        overtime.withdraw(company, actor_for(company, "E1005"), request_id, NOW)
    [item] = overtime.inbox(company, manager)
    assert item.request.hours == "4" and item.request.lieu_days == "0.5"
    assert approvals.summaries(company, [item.item])[item.item.step_id]["summary_zh"] == "2026-11-21 加班 4 小时（调休 0.5 天）"
    approvals.decide(company, manager, item.item.step_id, True, "", NOW)
    company.commit()
    assert company.get(OvertimeRequest, request_id).status == "approved"
    assert leave_balances.balance_of(company, worker.employee_id, "lieu", 2026) == Decimal("0.5")
    shown = leave_requests.preview(company, worker, "lieu", date(2026, 12, 1), "am", date(2026, 12, 1), "pm", NOW)
    assert [p.key for p in shown.problems] == ["leave.over_balance"]
    leave_id = submit(company, "E1004", "lieu", date(2026, 12, 1), date(2026, 12, 1), halves=("am", "am"))
    approvals.decide(
        company, manager, next(i for i in approvals.pending_for(company, manager) if i.subject_id == leave_id).step_id, True, "", NOW
    )
    company.commit()
    assert leave_balances.balance_of(company, worker.employee_id, "lieu", 2026) == 0


def test_overtime_needs_the_lieu_type_switched_on(company):
    lieu = company.get(LeaveType, "lieu")
    lieu.active = False
    company.add(lieu)
    company.flush()
    with pytest.raises(ValidationFailed, match="overtime.no_lieu_type"):
        overtime.submit(company, actor_for(company, "E1004"), date(2026, 11, 21), "4", "release", NOW)


def test_the_leave_settlement_on_separation_uses_the_days_taken(company):
    worker = actor_for(company, "E1004")  # 8 years at work: 5 days a year
    leave_id = submit(company, "E1004", "annual", date(2026, 12, 1), date(2026, 12, 2))
    manager = actor_for(company, "E1002")
    step = next(i for i in approvals.pending_for(company, manager) if i.subject_id == leave_id)
    approvals.decide(company, manager, step.step_id, True, "", NOW)
    company.commit()
    got = leave_balances.settlement(company, worker, worker.employee_id, date(2026, 12, 31))
    assert (got.elapsed_days, got.taken, got.days) == (365, Decimal(2), 3)  # 365 × 5 ÷ 365 − 2
    early = leave_balances.settlement(company, actor_for(company, "hr01"), worker.employee_id, date(2026, 12, 31) - timedelta(days=300))
    assert early.days == 0  # took more than the pro-rata share: nothing paid, nothing deducted
    with pytest.raises(NotPermitted):
        leave_balances.settlement(company, actor_for(company, "E1005"), worker.employee_id, date(2026, 12, 31))
