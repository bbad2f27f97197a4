"""A year whose statutory holidays nobody entered: leave touching it is refused with the reason
and HR is told once; HR enters the whole year from the State Council's notice (checked,
previewed, saved at once); afterwards the same request counts the holidays and charges each
year's days to that year."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from selfservice.domain.errors import DomainError, NotPermitted, ValidationFailed
from selfservice.domain.work_calendar import DayKind, parse_notice
from selfservice.persistence.models import LeaveLedgerEntry, NotificationMessage, WorkCalendarDay
from selfservice.services import approvals, leave_balances, leave_requests, work_calendar
from tests.helpers import actor_for, audit_count, same_leave_facts

NOW = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NOTICE_2027 = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至14日（周日）放假调休，共9天。2月20日（周六）上班。
三、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。"""


@pytest.fixture
def company(demo):
    leave_balances.ensure_default_types(demo)
    hr = actor_for(demo, "hr01")
    same_leave_facts(demo)
    leave_balances.accrue_year(demo, hr, 2026, NOW)
    leave_balances.accrue_year(demo, hr, 2027, NOW)
    demo.commit()
    return demo


def test_the_notice_is_read_into_weekday_holidays_and_weekend_workdays():
    days, errors = parse_notice(NOTICE_2027, 2027)
    assert errors == []
    assert days[date(2027, 1, 1)].kind == DayKind.holiday and date(2027, 1, 2) not in days  # a Saturday is a rest day anyway
    assert [d.isoformat() for d, e in days.items() if e.kind == DayKind.swapped_workday] == ["2027-02-20", "2027-04-25", "2027-05-08"]
    assert days[date(2027, 2, 8)].name_en == "Spring Festival"
    _, errors = parse_notice("一、元旦：1月1日放假。\n这一行不是通知\n二、春节：2月8日（周一）上班。", 2027)
    assert [(e.line, e.key) for e in errors] == [(2, "calendar.notice_unreadable"), (3, "calendar.notice_workday_on_weekday")]
    _, errors = parse_notice("2027-02-06 ~ 2027-02-13 放假 春节\n2027-02-20 上班 春节", 2027)
    assert errors == []


def test_leave_into_an_unentered_year_is_refused_and_hr_told_once(company):
    employee = actor_for(company, "E1004")
    shown = leave_requests.preview(company, employee, "annual", date(2026, 12, 31), "am", date(2027, 1, 4), "pm", NOW)
    assert shown.days == "" and [(p.key, p.params) for p in shown.problems] == [("leave.calendar_missing", {"year": 2027})]
    before = audit_count(company)
    with pytest.raises(DomainError, match="leave.calendar_missing"):
        leave_requests.submit(company, employee, "annual", date(2026, 12, 31), "am", date(2027, 1, 4), "pm", "trip", [], NOW)
    company.rollback()
    alerts = company.exec(select(NotificationMessage).where(NotificationMessage.template == "calendar.year_missing")).all()
    assert len(alerts) == 3 and {a.link_path for a in alerts} == {"/calendar"}  # hr01, hr02 and admin, once (not per try)
    assert audit_count(company) == before  # the refused request wrote nothing


def test_hr_enters_the_year_and_the_request_then_counts_and_charges_each_year(company):
    hr = actor_for(company, "hr01")
    preview = work_calendar.preview_notice(company, hr, 2027, NOTICE_2027)
    assert preview.errors == [] and len(preview.rows) == 12  # 1 + 5 + 3 weekday holidays, 3 weekend workdays
    with pytest.raises(ValidationFailed, match="calendar.notice_workday_on_weekday"):
        work_calendar.save_notice(company, hr, 2027, NOTICE_2027 + "\n四、清明节：4月6日（周二）上班。", NOW)
    with pytest.raises(NotPermitted):
        work_calendar.preview_notice(company, actor_for(company, "E1004"), 2027, NOTICE_2027)
    assert work_calendar.save_notice(company, hr, 2027, NOTICE_2027, NOW) == 12
    company.commit()
    assert company.get(WorkCalendarDay, date(2027, 1, 1)).source == "notice"
    employee = actor_for(company, "E1004")
    assert leave_balances.balance_of(company, employee.employee_id, "annual", 2026) == 0  # the 2026 days are used up
    # each year's part against that year's balance, not all against 2026
    shown = leave_requests.preview(company, employee, "annual", date(2026, 12, 31), "am", date(2027, 1, 4), "pm", NOW)
    assert [(p.key, p.params["year"]) for p in shown.problems] == [("leave.over_balance_year", 2026)]
    with pytest.raises(ValidationFailed, match="leave.over_balance_year"):
        leave_requests.submit(company, employee, "annual", date(2026, 12, 31), "am", date(2027, 1, 4), "pm", "trip", [], NOW)
    company.rollback()
    leave_balances.adjust(company, hr, employee.employee_id, "annual", 2026, "1", "carried over by agreement", NOW)
    company.commit()
    shown = leave_requests.preview(company, employee, "annual", date(2026, 12, 31), "am", date(2027, 1, 4), "pm", NOW)
    assert (shown.days, shown.balance, shown.balance_after, shown.problems) == (
        "2",
        "1",
        "0",
        [],
    )  # 31 Dec and 4 Jan; 1 Jan a holiday, 2–3 Jan the weekend
    request_id = leave_requests.submit(company, employee, "annual", date(2026, 12, 31), "am", date(2027, 1, 4), "pm", "trip", [], NOW)
    company.commit()
    manager = actor_for(company, "E1002")
    step = next(s for s in approvals.pending_for(company, manager) if s.subject_id == request_id)
    approvals.decide(company, manager, step.step_id, "approve", "ok", NOW)
    company.commit()
    used = {
        e.year: e.days
        for e in company.exec(
            select(LeaveLedgerEntry).where(LeaveLedgerEntry.employee_id == employee.employee_id, LeaveLedgerEntry.kind == "usage")
        ).all()
    }
    assert used == {2026: Decimal("-1"), 2027: Decimal("-1")}
