"""Leave and approvals handlers: the right user succeeds, the wrong one is refused and nothing changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from selfservice.persistence.db import session_scope
from selfservice.persistence.models import ApprovalStep, AuditEntry, LeaveRequest
from selfservice.services import leave_balances
from selfservice.ui.pages.approvals import ApprovalsState
from selfservice.ui.pages.leave import LeaveState
from selfservice.ui.pages.leave_calendar import LeaveCalendarState
from selfservice.ui.pages.leave_settings import LeaveSettingsState
from tests.helpers import actor_for, same_leave_facts
from tests.state.conftest import call, substate, token_for


def next_monday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def leave_db(app_db):
    leave_balances.ensure_default_types(app_db)
    same_leave_facts(app_db)
    leave_balances.accrue_year(app_db, actor_for(app_db, "hr01"), next_monday().year, datetime.now(UTC))
    app_db.commit()
    return app_db


def as_user(cls, username):
    state = substate(cls)
    state.session_token = token_for(username)
    return state


def form(start: date, days: int = 1, kind: str = "annual", reason: str = "family") -> dict[str, str]:
    return {
        "leave_type": kind,
        "start": start.isoformat(),
        "start_half": "am",
        "end": (start + timedelta(days=days - 1)).isoformat(),
        "end_half": "pm",
        "reason": reason,
    }


def audit_rows() -> int:
    with session_scope() as session:
        return len(session.exec(select(AuditEntry.seq)).all())


def test_employee_files_and_manager_approves_through_handlers(leave_db):
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    call(employee, "set_field", "start", next_monday().isoformat())
    assert employee.preview_days == "1" and employee.preview_balance == "5" and employee.preview_after == "4"
    call(employee, "submit", form(next_monday()))
    assert employee.form_error == "" and employee.requests[0]["status"] == "pending"
    manager = as_user(ApprovalsState, "E1002")
    call(manager, "load")
    [item] = manager.items
    assert item["requester"] == "张伟" and item["balance_after"] == "4"
    call(manager, "approve", int(item["step_id"]))
    assert manager.items == [] and manager.history[0]["status"] == "approved"
    call(employee, "load")
    assert employee.requests[0]["status"] == "approved" and "李明" in employee.requests[0]["trail_zh"]


def test_bad_input_shows_the_reason_and_writes_nothing(leave_db):
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    before = audit_rows()
    call(employee, "submit", form(next_monday(), days=20))
    assert "余额不足" in employee.form_error
    call(employee, "submit", {**form(next_monday()), "end": "2020-13-01"})
    assert employee.form_error
    call(employee, "submit", form(next_monday(), days=2, kind="sick"))
    assert "证明" in employee.form_error
    employee.lang = "en"
    call(employee, "submit", form(next_monday(), reason=" "))
    assert employee.form_error == "Please give a reason."
    assert audit_rows() == before
    with session_scope() as session:
        assert session.exec(select(LeaveRequest)).all() == []


def test_approving_as_a_non_approver_is_refused_and_nothing_changes(leave_db):
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    call(employee, "submit", form(next_monday()))
    with session_scope() as session:
        step = session.exec(select(ApprovalStep)).one()
    before = audit_rows()
    for intruder in ("E1005", "E1003", "hr01", "E1004"):
        state = as_user(ApprovalsState, intruder)
        call(state, "load")
        assert state.items == [], f"{intruder} sees nothing to decide"
        call(state, "approve", step.id)
        call(state, "open_comment", str(step.id))
        call(state, "set_comment", "no")
        call(state, "reject", step.id)
        call(state, "approve", step.id)
        call(state, "toggle", str(step.id))
        call(state, "approve_selected")
    assert audit_rows() == before
    with session_scope() as session:
        assert session.get(ApprovalStep, step.id).status == "pending"
    other = as_user(LeaveState, "E1005")
    request_id = int(employee.requests[0]["id"])
    call(other, "withdraw", request_id)
    call(other, "cancel", request_id)
    with session_scope() as session:
        assert session.get(LeaveRequest, request_id).status == "pending"


def test_reject_needs_a_comment_and_bulk_approve_decides_each(leave_db):
    for who, offset in (("E1004", 0), ("E1005", 0), ("E1006", 0)):
        state = as_user(LeaveState, who)
        call(state, "load")
        call(state, "submit", form(next_monday() + timedelta(days=offset)))
    manager = as_user(ApprovalsState, "E1002")
    call(manager, "load")
    assert len(manager.items) == 3
    assert all(i["overlapping"] for i in manager.items), "teammates away on the same day are shown"
    first = manager.items[0]["step_id"]
    call(manager, "reject", int(first))  # no comment area open: refused with a toast
    assert len(manager.items) == 3
    call(manager, "open_comment", first)
    call(manager, "set_comment", "  ")
    call(manager, "reject", int(first))
    assert manager.comment_error and len(manager.items) == 3
    call(manager, "set_comment", "release week")
    call(manager, "reject", int(first))
    assert len(manager.items) == 2 and manager.history[0]["comment"] == "release week"
    second = manager.items[0]["step_id"]
    call(manager, "open_comment", second)
    call(manager, "set_comment", "enjoy")
    call(manager, "approve", int(second))
    assert manager.history[0]["comment"] == "enjoy" and manager.history[0]["status"] == "approved"
    for item in manager.items:
        call(manager, "toggle", item["step_id"])
    call(manager, "approve_selected")
    assert manager.items == [] and len(manager.history) == 3


def test_hr_only_screens_refuse_managers_and_hr_edits_are_audited(leave_db):
    manager = as_user(LeaveSettingsState, "E1002")
    before = audit_rows()
    call(manager, "save_policy", {"dept_head_over_days": "1", "escalate_after_hours": "8"})
    call(manager, "adjust", {"employee_no": "E1004", "leave_type": "annual", "year": "2026", "days": "9", "note": "x"})
    assert audit_rows() == before
    hr = as_user(LeaveSettingsState, "hr01")
    call(hr, "load")
    call(hr, "save_policy", {"dept_head_over_days": "2", "escalate_after_hours": "8"})
    assert hr.escalate_after_hours == "8" and hr.dept_head_over_days == "2"
    call(hr, "save_policy", {"dept_head_over_days": "x", "escalate_after_hours": "8"})
    assert hr.policy_error
    call(hr, "adjust", {"employee_no": "E9999", "leave_type": "annual", "year": "2026", "days": "1", "note": "x"})
    assert "E9999" in hr.adjust_error
    call(hr, "new_type")
    call(
        hr,
        "save_type",
        {
            "code": "marriage",
            "name": "婚假",
            "name_en": "Marriage leave",
            "yearly_quota": "",
            "carry_over_cap": "0",
            "attachment_over_days": "0",
            "paid": "on",
            "active": "on",
        },
    )
    assert hr.type_error == "" and any(t["code"] == "marriage" and t["half_day"] == "" for t in hr.types)
    employee_calendar = as_user(LeaveCalendarState, "E1004")
    result = call(employee_calendar, "load")
    assert "error.not_permitted" in str(result)
    assert "error.not_permitted" in str(call(as_user(LeaveCalendarState, "E1002"), "export"))
    export = call(as_user(LeaveCalendarState, "hr01"), "export")
    assert "download" in str(export).lower()


def test_leave_calendar_marks_each_day_of_the_month(leave_db):
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    monday = next_monday()
    while (monday + timedelta(days=1)).month != monday.month:
        monday += timedelta(days=7)
    call(employee, "submit", {**form(monday, days=2, kind="personal"), "end_half": "am"})
    calendar = as_user(LeaveCalendarState, "E1002")
    call(calendar, "load")
    calendar.month = monday.strftime("%Y-%m")
    call(calendar, "shift", 1)
    call(calendar, "shift", -1)
    [row] = calendar.grid
    assert row[0].startswith("张伟|事假")
    assert row[monday.day] == "pending" and row[monday.day + 1] == "pending-half"
    saturday = monday - timedelta(days=2)
    if saturday.month == monday.month:
        assert row[saturday.day] == "rest"
    assert len(row) == 1 + len(calendar.days)


def test_delegation_through_the_inbox_screen(leave_db):
    manager = as_user(ApprovalsState, "E1002")
    call(manager, "load")
    from selfservice.services.approvals import local_today

    today = local_today(datetime.now(UTC))  # the company's date (after 16:00 UTC it is tomorrow in Shanghai)
    call(manager, "delegate", {"delegate": "E1002", "starts_on": today.isoformat(), "ends_on": today.isoformat()})
    assert "自己" in manager.delegate_error
    call(manager, "delegate", {"delegate": "E1003", "starts_on": "soon", "ends_on": today.isoformat()})
    assert manager.delegate_error
    call(manager, "delegate", {"delegate": "E1003", "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=30)).isoformat()})
    assert manager.delegate_error == "" and manager.delegations[0]["delegate"] == "王芳"
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    call(employee, "submit", form(next_monday(), kind="personal"))
    delegate = as_user(ApprovalsState, "E1003")
    call(delegate, "load")
    [item] = delegate.items
    assert item["acting_for"] == "李明"
    other = as_user(ApprovalsState, "E1005")
    call(other, "revoke", int(manager.delegations[0]["id"]))
    call(manager, "load")
    assert len(manager.delegations) == 1, "only the delegator may revoke"
    call(manager, "revoke", int(manager.delegations[0]["id"]))
    assert manager.delegations == []
    call(delegate, "approve", int(item["step_id"]))
    assert delegate.history[0]["on_behalf"] == "李明" and delegate.history[0]["decided_by"] == "王芳"
    call(employee, "load")
    assert "王芳 已同意（代 李明）" in employee.requests[0]["trail_zh"]
    assert "王芳 approved (on behalf of 李明)" in employee.requests[0]["trail_en"]


def test_preview_shows_every_refusal_and_clears_them(leave_db):
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    call(employee, "submit", form(next_monday()))
    call(employee, "load")
    call(employee, "set_field", "start", next_monday().isoformat())
    call(employee, "set_field", "end", (next_monday() + timedelta(days=14)).isoformat())
    assert len(employee.preview_problems) == 2 and any("重叠" in p for p in employee.preview_problems)  # overlap and balance
    call(employee, "set_field", "start", (next_monday() + timedelta(days=1)).isoformat())
    call(employee, "set_field", "end", (next_monday() + timedelta(days=1)).isoformat())
    assert employee.preview_problems == [] and employee.preview_days == "1"
    assert any("余" in t["label_zh"] for t in employee.types), "the picker shows each balance"
    call(employee, "submit", {**form(next_monday()), "start": "", "end": ""})
    assert employee.form_error == "请选择开始日期。"


def test_overtime_through_handlers_and_refused_for_others(leave_db):
    from selfservice.persistence.models import OvertimeRequest

    hr = as_user(LeaveSettingsState, "hr01")
    call(hr, "load")
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    assert not employee.lieu_on
    intruder = as_user(LeaveSettingsState, "E1004")
    call(intruder, "apply_presets", {"province": "shanghai", "lieu": "on"})
    with session_scope() as session:
        assert session.get(leave_balances.LeaveType, "lieu") is None, "only HR switches types on"
    call(hr, "apply_presets", {"province": "shanghai", "lieu": "on", "marriage": "on"})
    assert {t["code"] for t in hr.types} >= {"lieu", "marriage"}
    call(employee, "load")
    assert employee.lieu_on
    worked = datetime.now(UTC).date() - timedelta(days=2)
    call(employee, "submit_overtime", {"work_date": worked.isoformat(), "hours": "3", "reason": "release"})
    assert employee.overtime_error == "" and employee.overtime[0]["status"] == "pending" and employee.overtime[0]["lieu_days"] == "0.375"
    other = as_user(LeaveState, "E1005")
    call(other, "load")
    before = audit_rows()
    call(other, "withdraw_overtime", int(employee.overtime[0]["id"]))
    assert audit_rows() == before
    manager = as_user(ApprovalsState, "E1002")
    call(manager, "load")
    [item] = manager.items
    assert item["workflow"] == "overtime" and item["hours"] == "3"
    call(manager, "approve", int(item["step_id"]))
    assert manager.history[0]["what_zh"] == "加班申请" and "3 小时" in manager.history[0]["summary_zh"]
    with session_scope() as session:
        assert session.exec(select(OvertimeRequest)).one().status == "approved"
    call(employee, "submit_overtime", {"work_date": "", "hours": "3", "reason": "x"})
    assert employee.overtime_error


def test_a_reason_with_a_right_to_left_override_is_stored_as_it_reads(leave_db):
    """Issue 14, item 6: every handler's text arrives without bidi controls or zero-width characters."""
    employee = as_user(LeaveState, "E1004")
    call(employee, "load")
    call(employee, "submit", form(next_monday(), reason="家事\u202e\u200b（txt.exe）\u2066"))
    assert employee.form_error == ""
    with session_scope() as session:
        newest = session.exec(select(LeaveRequest).order_by(LeaveRequest.id.desc())).first()
    assert newest.reason == "家事（txt.exe）"
